#include "aggregate.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "flow_rules.h"
#include "hash.h"

/* The table: open addressing over a power-of-two slot array, each slot the
 * group's hash and index + 1 (0 = empty); the groups themselves in blocks
 * of fixed-size entries (sums, then the key), so the table grows without
 * copying them and a merge can free them as it goes.  Keys of a fixed
 * width (addresses, ports...) are stored as they are; others with their
 * length, inline when short, else in the arena.
 *
 * Lookups are the cost when groups run into the millions (each one a cache
 * miss in the slots, then one in the entry), so records wait in a short
 * ring: a record's slot is prefetched when it arrives, its entry when it is
 * half-way through, and it is counted when it leaves. */
#define INLINE_KEY 32
#define BLOCK_SHIFT 17
#define BLOCK (1u << BLOCK_SHIFT)
#define RING 16

struct slot {
    uint32_t hash;
    uint32_t idx;
};

/* A record (or a merged group) waiting to be counted. */
struct pending {
    uint32_t hash;
    uint16_t len;
    struct hf_sums sums;
    uint8_t key[HF_KEY_BYTES_MAX];
};

struct hf_agg {
    struct hf_key keys[HF_KEYS_MAX];
    unsigned n;
    bool either;
    size_t fixed;               /* key width when every key has one, else 0 */
    size_t stride;              /* bytes an entry takes */
    struct slot *slots;
    uint32_t mask;              /* slots - 1 */
    uint8_t **blocks;
    guint nblocks;
    uint32_t first_cap;         /* entries the first block holds: it starts
                                 * small and doubles up to BLOCK, so a table
                                 * of a few groups stays a few KiB */
    uint32_t count;             /* entries */
    GByteArray *arena;          /* long variable keys */
    struct hf_sums total;
    struct pending ring[RING];
    unsigned head, waiting;
};

/* Big tables are mostly TLB misses on 4 KiB pages: they get 2 MiB pages
 * where the kernel gives them on request (transparent huge pages). */
#define HUGE_PAGE (2u << 20)

static size_t
table_size(size_t size)
{
    return size < HUGE_PAGE ? size : (size + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
}

/* Zeroed memory for a table: small ones from malloc, big ones mapped on a
 * huge-page boundary (fresh pages come zeroed: no second pass over them). */
static void *
table_alloc(size_t size)
{
    void *p;

    if (size < HUGE_PAGE) {
        p = calloc(1, size);
        if (!p)
            g_error("aggregation: out of memory for %zu bytes", size);
        return p;
    }
    size = table_size(size);
    uint8_t *m = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        g_error("aggregation: out of memory for %zu bytes", size);
    uint8_t *a = (uint8_t *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (a > m)
        munmap(m, (size_t)(a - m));
    munmap(a + size, (size_t)(m + HUGE_PAGE - a));
#ifdef MADV_HUGEPAGE
    madvise(a, size, MADV_HUGEPAGE);
#endif
    return a;
}

static void
table_free(void *p, size_t size)
{
    if (!p)
        return;
    if (size < HUGE_PAGE)
        free(p);
    else
        munmap(p, table_size(size));
}

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

static uint8_t *
entry_at(const struct hf_agg *a, uint32_t idx)
{
    return a->blocks[idx >> BLOCK_SHIFT] + (size_t)(idx & (BLOCK - 1)) * a->stride;
}

/* An entry: its sums first (8-byte aligned), then the key: fixed-width
 * keys as they are; others as a 16-bit length, then the key inline (up to
 * INLINE_KEY) or its 32-bit arena offset. */
static const uint8_t *
entry_key(const struct hf_agg *a, const uint8_t *e, size_t *len)
{
    const uint8_t *k = e + sizeof(struct hf_sums);
    uint16_t l;
    uint32_t off;

    if (a->fixed) {
        *len = a->fixed;
        return k;
    }
    memcpy(&l, k, sizeof(l));
    *len = l;
    if (l <= INLINE_KEY)
        return k + sizeof(l);
    memcpy(&off, k + sizeof(l), sizeof(off));
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
}

void
hf_sums_add(struct hf_sums *s, const struct hf_sums *b)
{
    s->flows += b->flows;
    s->packets += b->packets;
    s->bytes += b->bytes;
}

struct hf_agg *
hf_agg_new(const struct hf_key *keys, unsigned n)
{
    struct hf_agg *a = g_new0(struct hf_agg, 1);

    memcpy(a->keys, keys, n * sizeof(*keys));
    a->n = n;
    a->either = hf_keys_either_side(keys, n);
    a->fixed = hf_keys_fixed_width(keys, n);
    a->stride = sizeof(struct hf_sums) + (a->fixed ? a->fixed : sizeof(uint16_t) + INLINE_KEY);
    a->stride = (a->stride + 7) & ~(size_t)7;
    a->mask = 1023;
    a->slots = table_alloc(((size_t)a->mask + 1) * sizeof(struct slot));
    a->arena = g_byte_array_new();
    return a;
}

static size_t
block_bytes(const struct hf_agg *a, guint i)
{
    return (size_t)(i ? BLOCK : a->first_cap) * a->stride;
}

static void
free_blocks(struct hf_agg *a)
{
    for (guint i = 0; i < a->nblocks; i++)
        table_free(a->blocks[i], block_bytes(a, i));
    g_free(a->blocks);
    a->blocks = NULL;
    a->nblocks = 0;
    a->count = 0;
    a->first_cap = 0;
}

/* Room for one more entry. */
static void
make_room(struct hf_agg *a)
{
    if (a->nblocks == 1 && a->count == a->first_cap && a->first_cap < BLOCK) {
        uint8_t *b = table_alloc((size_t)a->first_cap * 2 * a->stride);
        memcpy(b, a->blocks[0], block_bytes(a, 0));
        table_free(a->blocks[0], block_bytes(a, 0));
        a->blocks[0] = b;
        a->first_cap *= 2;
    } else if ((a->count & (BLOCK - 1)) == 0 && (a->count >> BLOCK_SHIFT) == a->nblocks) {
        if (!a->nblocks)
            a->first_cap = 256;
        a->blocks = g_renew(uint8_t *, a->blocks, a->nblocks + 1);
        a->blocks[a->nblocks] = table_alloc(block_bytes(a, a->nblocks));
        a->nblocks++;
    }
}

void
hf_agg_free(struct hf_agg *a)
{
    if (!a)
        return;
    free_blocks(a);
    table_free(a->slots, ((size_t)a->mask + 1) * sizeof(struct slot));
    g_byte_array_unref(a->arena);
    g_free(a);
}

/* Twice the slots when more than three quarters are taken (linear probing
 * with a well-mixed hash stays short at that load). */
static void
grow(struct hf_agg *a)
{
    uint32_t mask = a->mask * 2 + 1;
    struct slot *slots = table_alloc(((size_t)mask + 1) * sizeof(struct slot));

    for (uint32_t i = 0; i <= a->mask; i++) {
        struct slot sl = a->slots[i];
        if (!sl.idx)
            continue;
        uint32_t j = sl.hash & mask;
        while (slots[j].idx)
            j = (j + 1) & mask;
        slots[j] = sl;
    }
    table_free(a->slots, ((size_t)a->mask + 1) * sizeof(struct slot));
    a->slots = slots;
    a->mask = mask;
}

static uint8_t *
new_entry(struct hf_agg *a, const uint8_t *key, size_t len)
{
    make_room(a);
    uint8_t *e = entry_at(a, a->count++);
    uint8_t *k = e + sizeof(struct hf_sums);

    memset(e, 0, sizeof(struct hf_sums));
    if (a->fixed) {
        memcpy(k, key, len);
    } else {
        uint16_t l = (uint16_t)len;
        memcpy(k, &l, sizeof(l));
        if (len <= INLINE_KEY) {
            memcpy(k + sizeof(l), key, len);
        } else {
            uint32_t off = a->arena->len;
            g_byte_array_append(a->arena, key, (guint)len);
            memcpy(k + sizeof(l), &off, sizeof(off));
        }
    }
    return e;
}

/* Counts a waiting record under its group, made if new. */
static void
count(struct hf_agg *a, const struct pending *p)
{
    uint32_t i = p->hash & a->mask;
    struct hf_sums *s;

    for (;; i = (i + 1) & a->mask) {
        struct slot *sl = &a->slots[i];
        if (!sl->idx)
            break;
        if (sl->hash != p->hash)
            continue;
        uint8_t *e = entry_at(a, sl->idx - 1);
        size_t len;
        const uint8_t *k = entry_key(a, e, &len);
        if (len == p->len && memcmp(k, p->key, len) == 0) {
            s = (struct hf_sums *)(void *)e;
            hf_sums_add(s, &p->sums);
            return;
        }
    }
    s = (struct hf_sums *)(void *)new_entry(a, p->key, p->len);
    hf_sums_add(s, &p->sums);
    a->slots[i].hash = p->hash;
    a->slots[i].idx = a->count;
    if ((uint64_t)a->count * 4 > (uint64_t)(a->mask + 1) * 3)
        grow(a);
}

/* The entry a waiting record will probably land on, to prefetch. */
static void
prefetch_entry(const struct hf_agg *a, const struct pending *p)
{
    const struct slot *sl = &a->slots[p->hash & a->mask];

    if (sl->idx && sl->hash == p->hash)
        __builtin_prefetch(entry_at(a, sl->idx - 1), 1);
}

/* The next free place in the ring, counting the oldest record first when
 * the ring is full. */
static struct pending *
ring_take(struct hf_agg *a)
{
    struct pending *p = &a->ring[a->head];

    if (a->waiting == RING)
        count(a, p);            /* the oldest sits where the next goes */
    else
        a->waiting++;
    return p;
}

static void
ring_put(struct hf_agg *a, struct pending *p)
{
    __builtin_prefetch(&a->slots[p->hash & a->mask], 1);
    if (a->waiting > RING / 2)
        prefetch_entry(a, &a->ring[(a->head + RING - RING / 2) % RING]);
    a->head = (a->head + 1) % RING;
}

static void
flush(struct hf_agg *a)
{
    for (unsigned i = a->waiting; i > 0; i--)
        count(a, &a->ring[(a->head + RING - i) % RING]);
    a->waiting = 0;
}

void
hf_agg_add(struct hf_agg *a, const hf_flow_record_t *r, const struct hf_key_env *env)
{
    struct hf_sums one = { 0 };

    hf_sums_add_record(&one, r);
    hf_agg_add_sums(a, r, env, &one);
}

void
hf_agg_add_sums(struct hf_agg *a, const hf_flow_record_t *r, const struct hf_key_env *env,
                const struct hf_sums *sums)
{
    struct hf_sums one = *sums;

    hf_sums_add(&a->total, &one);
    for (int side = 0; side < (a->either ? 2 : 1); side++) {
        struct pending *p = ring_take(a);
        size_t len = hf_keys_encode(a->keys, a->n, r, env, side, p->key);
        p->len = (uint16_t)len;
        p->hash = key_hash(p->key, len);
        p->sums = one;
        ring_put(a, p);
    }
}

void
hf_agg_merge(struct hf_agg *into, struct hf_agg *from)
{
    flush(from);
    /* from's groups are read in entry order: its slots can go now */
    table_free(from->slots, ((size_t)from->mask + 1) * sizeof(struct slot));
    from->mask = 1023;
    from->slots = table_alloc(((size_t)from->mask + 1) * sizeof(struct slot));
    hf_sums_add(&into->total, &from->total);
    memset(&from->total, 0, sizeof(from->total));
    for (uint32_t i = 0; i < from->count; i++) {
        const uint8_t *e = entry_at(from, i);
        size_t len;
        const uint8_t *k = entry_key(from, e, &len);
        struct pending *p = ring_take(into);

        memcpy(p->key, k, len);
        p->len = (uint16_t)len;
        p->hash = key_hash(k, len);
        memcpy(&p->sums, e, sizeof(p->sums));
        ring_put(into, p);
        /* a block merged is a block given back */
        if ((i & (BLOCK - 1)) == BLOCK - 1) {
            table_free(from->blocks[i >> BLOCK_SHIFT], block_bytes(from, i >> BLOCK_SHIFT));
            from->blocks[i >> BLOCK_SHIFT] = NULL;
        }
    }
    flush(into);
    free_blocks(from);
    g_byte_array_set_size(from->arena, 0);
}

const struct hf_sums *
hf_agg_total(const struct hf_agg *a)
{
    return &a->total;
}

guint
hf_agg_size(const struct hf_agg *a)
{
    return a->count + a->waiting;
}

static uint64_t
measure(const struct hf_sums *s, enum hf_order o)
{
    return o == HF_ORDER_BYTES ? s->bytes : o == HF_ORDER_PACKETS ? s->packets : s->flows;
}

/* largest first; ties by the other counters, then by key, so the result
 * does not depend on hash order */
static int
row_order(const struct hf_agg_row *a, const struct hf_agg_row *b, enum hf_order order)
{
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

static gint
row_cmp(gconstpointer pa, gconstpointer pb, gpointer data)
{
    return row_order(pa, pb, *(const enum hf_order *)data);
}

static struct hf_agg_row
row_of(const struct hf_agg *a, uint32_t idx)
{
    const uint8_t *e = entry_at(a, idx);
    struct hf_agg_row row;

    memcpy(&row.sums, e, sizeof(row.sums));
    row.key = entry_key(a, e, &row.len);
    return row;
}

/* Restores the heap below i: the row that comes last in the order at the
 * root, so the root is the one a better row replaces. */
static void
sift_down(struct hf_agg_row *h, unsigned n, unsigned i, enum hf_order order)
{
    for (;;) {
        unsigned worst = i, l = 2 * i + 1, r = l + 1;
        if (l < n && row_order(&h[l], &h[worst], order) > 0)
            worst = l;
        if (r < n && row_order(&h[r], &h[worst], order) > 0)
            worst = r;
        if (worst == i)
            return;
        struct hf_agg_row t = h[i];
        h[i] = h[worst];
        h[worst] = t;
        i = worst;
    }
}

GArray *
hf_agg_top(struct hf_agg *a, enum hf_order order, unsigned n, struct hf_sums *other)
{
    GArray *rows;
    struct hf_sums sum = { 0 };

    flush(a);                   /* first: the groups still waiting count too */
    bool all = n == 0 || n >= a->count;
    memset(other, 0, sizeof(*other));
    rows = g_array_sized_new(FALSE, FALSE, sizeof(struct hf_agg_row), all ? a->count : n);
    if (all) {
        for (uint32_t i = 0; i < a->count; i++) {
            struct hf_agg_row row = row_of(a, i);
            g_array_append_val(rows, row);
        }
    } else {
        /* the n best in a bounded heap: memory follows n, not the groups */
        struct hf_agg_row *h = (struct hf_agg_row *)(void *)rows->data;
        for (uint32_t i = 0; i < a->count; i++) {
            struct hf_agg_row row = row_of(a, i);
            hf_sums_add(&sum, &row.sums);
            if (i < n) {
                h[i] = row;
                if (i == n - 1)
                    for (unsigned k = n / 2; k-- > 0;)
                        sift_down(h, n, k, order);
            } else if (row_order(&row, &h[0], order) < 0) {
                h[0] = row;
                sift_down(h, n, 0, order);
            }
        }
        g_array_set_size(rows, n);
        /* the groups left out: all of them less the n kept */
        *other = sum;
        for (unsigned i = 0; i < n; i++) {
            other->flows -= h[i].sums.flows;
            other->packets -= h[i].sums.packets;
            other->bytes -= h[i].sums.bytes;
        }
    }
    g_array_sort_with_data(rows, row_cmp, &order);
    return rows;
}
