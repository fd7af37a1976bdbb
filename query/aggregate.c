#include "aggregate.h"

#include <string.h>

#include "flow_rules.h"
#include "hash.h"

/* One group: its sums and its key, inline when short (addresses, ports:
 * no second cache miss), else in the arena. */
#define INLINE_KEY 32
struct entry {
    struct hf_sums sums;
    uint32_t hash;
    uint16_t len;
    uint8_t key[INLINE_KEY];    /* or the arena offset, when len > INLINE_KEY */
};

/* Open addressing over a power-of-two slot array: each slot holds the
 * group's hash and index + 1 (0 = empty), so a probe touches the slot and,
 * on a hash match, the one entry -- millions of groups stay fast. */
struct slot {
    uint32_t hash;
    uint32_t idx;
};

struct hf_agg {
    struct hf_key keys[HF_KEYS_MAX];
    unsigned n;
    bool either;
    struct slot *slots;
    uint32_t mask;              /* slots - 1 */
    GArray *entries;            /* struct entry */
    GByteArray *arena;          /* long keys */
    struct hf_sums total;
    uint8_t probe[HF_KEY_BYTES_MAX + INLINE_KEY];
};

static uint32_t
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
    return (uint32_t)hf_mix64(h ^ v ^ 0xff);
}

static const uint8_t *
entry_key(const struct hf_agg *a, const struct entry *e)
{
    uint32_t off;

    if (e->len <= INLINE_KEY)
        return e->key;
    memcpy(&off, e->key, sizeof(off));
    return a->arena->data + off;
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
    a->mask = 1023;
    a->slots = g_new0(struct slot, a->mask + 1);
    a->entries = g_array_new(FALSE, FALSE, sizeof(struct entry));
    a->arena = g_byte_array_new();
    return a;
}

void
hf_agg_free(struct hf_agg *a)
{
    if (!a)
        return;
    g_free(a->slots);
    g_array_unref(a->entries);
    g_byte_array_unref(a->arena);
    g_free(a);
}

/* Twice the slots when more than half are taken. */
static void
grow(struct hf_agg *a)
{
    uint32_t mask = a->mask * 2 + 1;
    struct slot *slots = g_new0(struct slot, (size_t)mask + 1);

    for (uint32_t i = 0; i <= a->mask; i++) {
        struct slot sl = a->slots[i];
        if (!sl.idx)
            continue;
        uint32_t j = sl.hash & mask;
        while (slots[j].idx)
            j = (j + 1) & mask;
        slots[j] = sl;
    }
    g_free(a->slots);
    a->slots = slots;
    a->mask = mask;
}

/* The group of a key, made if new; a key of at most INLINE_KEY bytes must
 * be followed by zeros up to INLINE_KEY. */
static struct entry *
group(struct hf_agg *a, const uint8_t *key, size_t len, uint32_t hash)
{
    uint32_t i = hash & a->mask;
    struct entry *e;

    for (;; i = (i + 1) & a->mask) {
        struct slot *sl = &a->slots[i];
        if (!sl->idx)
            break;
        if (sl->hash != hash)
            continue;
        e = &g_array_index(a->entries, struct entry, sl->idx - 1);
        if (e->len != len)
            continue;
        /* short keys: both zero-padded to INLINE_KEY, one fixed-size compare */
        if (len <= INLINE_KEY ? memcmp(e->key, key, INLINE_KEY) == 0
                              : memcmp(entry_key(a, e), key, len) == 0)
            return e;
    }
    struct entry ne;
    memset(&ne, 0, sizeof(ne));
    ne.hash = hash;
    ne.len = (uint16_t)len;
    if (len <= INLINE_KEY) {
        memcpy(ne.key, key, len);
    } else {
        uint32_t off = a->arena->len;
        g_byte_array_append(a->arena, key, (guint)len);
        memcpy(ne.key, &off, sizeof(off));
    }
    g_array_append_val(a->entries, ne);
    a->slots[i].hash = hash;
    a->slots[i].idx = a->entries->len;
    if (a->entries->len * 2 > a->mask)
        grow(a);
    return &g_array_index(a->entries, struct entry, a->entries->len - 1);
}

void
hf_agg_add(struct hf_agg *a, const hf_flow_record_t *r, const struct hf_key_env *env)
{
    struct hf_sums one = { 0 };

    hf_sums_add_record(&one, r);
    hf_sums_add(&a->total, &one);
    for (int side = 0; side < (a->either ? 2 : 1); side++) {
        size_t len = hf_keys_encode(a->keys, a->n, r, env, side, a->probe);
        if (len < INLINE_KEY)
            memset(a->probe + len, 0, INLINE_KEY - len);
        struct entry *e = group(a, a->probe, len, key_hash(a->probe, len));
        hf_sums_add(&e->sums, &one);
    }
}

void
hf_agg_merge(struct hf_agg *into, struct hf_agg *from)
{
    hf_sums_add(&into->total, &from->total);
    memset(&from->total, 0, sizeof(from->total));
    for (guint i = 0; i < from->entries->len; i++) {
        const struct entry *e = &g_array_index(from->entries, struct entry, i);
        /* an inline key is zero-padded already */
        struct entry *mine = group(into, entry_key(from, e), e->len, e->hash);
        hf_sums_add(&mine->sums, &e->sums);
    }
    g_array_set_size(from->entries, 0);
    g_byte_array_set_size(from->arena, 0);
    memset(from->slots, 0, ((size_t)from->mask + 1) * sizeof(struct slot));
}

const struct hf_sums *
hf_agg_total(const struct hf_agg *a)
{
    return &a->total;
}

guint
hf_agg_size(const struct hf_agg *a)
{
    return a->entries->len;
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
                                     a->entries->len);

    for (guint i = 0; i < a->entries->len; i++) {
        const struct entry *e = &g_array_index(a->entries, struct entry, i);
        struct hf_agg_row row = { entry_key(a, e), e->len, e->sums };
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
