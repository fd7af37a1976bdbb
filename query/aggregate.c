#include "aggregate.h"

#include <string.h>

#include "flow_rules.h"
#include "hash.h"

struct entry {
    struct hf_sums sums;
    guint hash;
    uint16_t len;
    uint8_t key[];
};

struct hf_agg {
    struct hf_key keys[HF_KEYS_MAX];
    unsigned n;
    bool either;
    GHashTable *groups;         /* struct entry*, keyed by its bytes */
    struct hf_sums total;
    struct entry *probe;        /* lookups build their key here */
};

static guint
key_hash(const uint8_t *p, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;

    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = hf_mix64(h ^ v);
        p += 8;
        len -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, len);
    return (guint)hf_mix64(h ^ v ^ 0xff);
}

static guint
entry_hash(gconstpointer p)
{
    return ((const struct entry *)p)->hash;
}

static gboolean
entry_equal(gconstpointer a, gconstpointer b)
{
    const struct entry *x = a, *y = b;
    return x->len == y->len && memcmp(x->key, y->key, x->len) == 0;
}

bool
hf_order_parse(const char *s, enum hf_order *o)
{
    if (g_ascii_strcasecmp(s, "bytes") == 0)
        *o = HF_ORDER_BYTES;
    else if (g_ascii_strcasecmp(s, "packets") == 0)
        *o = HF_ORDER_PACKETS;
    else if (g_ascii_strcasecmp(s, "flows") == 0)
        *o = HF_ORDER_FLOWS;
    else if (g_ascii_strcasecmp(s, "key") == 0)
        *o = HF_ORDER_KEY;
    else
        return false;
    return true;
}

void
hf_sums_add_record(struct hf_sums *s, const hf_flow_record_t *r)
{
    uint64_t scale = hf_flow_scale(r);

    s->flows += hf_flow_count(r);
    s->packets += r->packetDeltaCount * scale;
    s->bytes += r->octetDeltaCount * scale;
    if (!s->first_ms || (r->flowStartMilliseconds && r->flowStartMilliseconds < s->first_ms))
        s->first_ms = r->flowStartMilliseconds;
    if (r->flowEndMilliseconds > s->last_ms)
        s->last_ms = r->flowEndMilliseconds;
}

void
hf_sums_add(struct hf_sums *s, const struct hf_sums *b)
{
    s->flows += b->flows;
    s->packets += b->packets;
    s->bytes += b->bytes;
    if (b->first_ms && (!s->first_ms || b->first_ms < s->first_ms))
        s->first_ms = b->first_ms;
    if (b->last_ms > s->last_ms)
        s->last_ms = b->last_ms;
}

struct hf_agg *
hf_agg_new(const struct hf_key *keys, unsigned n)
{
    struct hf_agg *a = g_new0(struct hf_agg, 1);

    memcpy(a->keys, keys, n * sizeof(*keys));
    a->n = n;
    a->either = hf_keys_either_side(keys, n);
    a->groups = g_hash_table_new_full(entry_hash, entry_equal, g_free, NULL);
    a->probe = g_malloc(sizeof(struct entry) + HF_KEY_BYTES_MAX);
    return a;
}

void
hf_agg_free(struct hf_agg *a)
{
    if (!a)
        return;
    g_hash_table_destroy(a->groups);
    g_free(a->probe);
    g_free(a);
}

static struct entry *
group(struct hf_agg *a, const uint8_t *key, size_t len, guint hash)
{
    struct entry *e;

    a->probe->len = (uint16_t)len;
    a->probe->hash = hash;
    if (key != a->probe->key)
        memcpy(a->probe->key, key, len);
    e = g_hash_table_lookup(a->groups, a->probe);
    if (!e) {
        e = g_malloc0(sizeof(*e) + len);
        e->len = (uint16_t)len;
        e->hash = hash;
        memcpy(e->key, key, len);
        g_hash_table_add(a->groups, e);
    }
    return e;
}

void
hf_agg_add(struct hf_agg *a, const hf_flow_record_t *r, const struct hf_key_env *env)
{
    struct hf_sums one = { 0 };

    hf_sums_add_record(&one, r);
    hf_sums_add(&a->total, &one);
    for (int side = 0; side < (a->either ? 2 : 1); side++) {
        size_t len = hf_keys_encode(a->keys, a->n, r, env, side, a->probe->key);
        struct entry *e = group(a, a->probe->key, len, key_hash(a->probe->key, len));
        hf_sums_add(&e->sums, &one);
    }
}

void
hf_agg_merge(struct hf_agg *into, struct hf_agg *from)
{
    GHashTableIter it;
    gpointer k;

    hf_sums_add(&into->total, &from->total);
    memset(&from->total, 0, sizeof(from->total));
    g_hash_table_iter_init(&it, from->groups);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        struct entry *e = k;
        struct entry *mine = g_hash_table_lookup(into->groups, e);
        if (mine) {
            hf_sums_add(&mine->sums, &e->sums);
        } else {
            g_hash_table_iter_steal(&it);
            g_hash_table_add(into->groups, e);
        }
    }
    g_hash_table_remove_all(from->groups);
}

const struct hf_sums *
hf_agg_total(const struct hf_agg *a)
{
    return &a->total;
}

guint
hf_agg_size(const struct hf_agg *a)
{
    return g_hash_table_size(a->groups);
}

static uint64_t
measure(const struct hf_sums *s, enum hf_order o)
{
    return o == HF_ORDER_BYTES ? s->bytes : o == HF_ORDER_PACKETS ? s->packets : s->flows;
}

/* largest first; ties by the other counters, then by key, so the result
 * does not depend on hash order */
static gint
row_cmp(gconstpointer pa, gconstpointer pb, gpointer data)
{
    const struct hf_agg_row *a = pa, *b = pb;
    enum hf_order order = *(const enum hf_order *)data;
    uint64_t x, y;

    if (order == HF_ORDER_KEY) {
        int c = memcmp(a->key, b->key, MIN(a->len, b->len));
        return c ? c : (a->len > b->len) - (a->len < b->len);
    }
    x = measure(&a->sums, order);
    y = measure(&b->sums, order);
    if (x != y)
        return x > y ? -1 : 1;
    for (int o = HF_ORDER_BYTES; o <= HF_ORDER_FLOWS; o++) {
        x = measure(&a->sums, o);
        y = measure(&b->sums, o);
        if (x != y)
            return x > y ? -1 : 1;
    }
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return memcmp(a->key, b->key, a->len);
}

GArray *
hf_agg_top(const struct hf_agg *a, enum hf_order order, unsigned n, struct hf_sums *other)
{
    GArray *rows = g_array_sized_new(FALSE, FALSE, sizeof(struct hf_agg_row),
                                     g_hash_table_size(a->groups));
    GHashTableIter it;
    gpointer k;

    g_hash_table_iter_init(&it, a->groups);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        const struct entry *e = k;
        struct hf_agg_row row = { e->key, e->len, e->sums };
        g_array_append_val(rows, row);
    }
    g_array_sort_with_data(rows, row_cmp, &order);
    memset(other, 0, sizeof(*other));
    if (n && rows->len > n) {
        for (guint i = n; i < rows->len; i++)
            hf_sums_add(other, &g_array_index(rows, struct hf_agg_row, i).sums);
        g_array_set_size(rows, n);
    }
    return rows;
}
