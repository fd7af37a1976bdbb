#include "aggregate.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "flow_rules.h"
#include "hash.h"

/* The table: open addressing over a power-of-two slot array of 32-bit
 * slots (0 = empty; else the group's index + 1 in the bits below the
 * slot count, which the index never reaches, and the key hash's bits above
 * them, so most other keys fail without reading their entry); the groups themselves in blocks
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

typedef uint32_t slot_t;

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
    slot_t *slots;
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
    /* a share of the keys (hf_agg_partition): part of parts */
    uint32_t part, parts;
    /* tables of the other shares, adopted whole (hf_agg_adopt) */
    GPtrArray *adopted;
    /* a table by one address: its IPv4 groups in a table of their own with
     * 4-byte keys (the address: the family and the 12 zero bytes left out),
     * entries of 24 bytes, not 48; the keys of the rows it gives out made
     * whole in wide */
    struct hf_agg *narrow;
    GStringChunk *wide;
    int addr_src[2];            /* per side, hf_keys_addr_src() */
    uint64_t seed;              /* hf_hash_seed(): the same in every table */
    GHashTable *flows_over;     /* narrow: entry index -> its flows past 32 bits */
    /* keys of one or two bytes (protocol, a port): sums in an array
     * indexed by the key, no hashing; put into the table when it is read */
    struct hf_sums *direct;
    uint8_t *direct_used;
    uint32_t direct_groups;
    /* hf_agg_add_batch's keys on their way to a table */
    struct batch_key *batch;
    uint8_t *batch_bytes;
    size_t batch_cap, batch_bytes_cap;
};

/* A key of a batch: its table (the table or its narrow one), its hash, its
 * bytes in batch_bytes and the sums to count under it. */
struct batch_key {
    struct hf_agg *table;
    uint32_t hash;
    uint32_t at;
    uint16_t len;
    const struct hf_sums *sums;
};

#define ADDR_KEY 17             /* keys.c: family, 16 bytes */
#define NARROW_KEY 4             /* an IPv4 address, the family implied */

/* A narrow entry (the millions of an address table): its flows in 32 bits
 * (a group's flows past them set aside in flows_over), the address, its
 * packets and bytes: 24 bytes.  Other entries: struct hf_sums, the key. */
#define NARROW_KEY_AT 4
#define NARROW_STRIDE 24

/* Big tables are mostly TLB misses on 4 KiB pages: they get 2 MiB pages
 * where the kernel gives them on request (transparent huge pages), from a
 * huge-page boundary; the tail past the last whole one stays in small
 * pages, so a block of entries partly filled holds only what it touched. */
#define HUGE_PAGE (2u << 20)

/* Tables from this size are mapped, not taken from malloc: given back, they
 * return to the kernel (a freed malloc chunk of a thread's arena stays in
 * the process, and the tables double through every size up to here). */
#define MAP_MIN (256u << 10)

/* Zeroed memory for a table: small ones from malloc, others mapped (fresh
 * pages come zeroed: no second pass over them, and pages never touched,
 * as in a sparse array, take no memory), big ones on a huge-page
 * boundary. */
static void *
table_alloc(size_t size)
{
    void *p;

    if (size < MAP_MIN) {
        /* on cache lines of their own: each thread has its tables */
        if (posix_memalign(&p, 64, size) != 0)
            g_error("aggregation: out of memory for %zu bytes", size);
        return memset(p, 0, size);
    }
    if (size < HUGE_PAGE) {
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            g_error("aggregation: out of memory for %zu bytes", size);
        return p;
    }
    size = (size + 4095) & ~(size_t)4095;  /* the unmapped tail from a page boundary */
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
    if (size < MAP_MIN)
        free(p);
    else
        munmap(p, size);
}

/* Each 8-byte word, mixed with the seed (hf_hash_seed(): keys are what
 * the records say, and records can be forged), times its own odd
 * constant, summed, then one finalizer: the multiplications run side by
 * side, where a finalizer per word would chain them (keys are short: an
 * address is 17 bytes). */
static inline __attribute__((always_inline)) uint32_t
key_hash(uint64_t seed, const uint8_t *p, size_t len)
{
    static const uint64_t k[4] = { 0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL,
                                   0x165667b19e3779f9ULL, 0xd6e8feb86659fd93ULL };
    uint64_t h = len * 0x27d4eb2f165667c5ULL;
    unsigned i = 0;

    for (; len >= 8; len -= 8, p += 8, i++) {
        uint64_t v;
        memcpy(&v, p, 8);
        h += (v ^ seed ^ (i >> 2)) * k[i & 3];
    }
    /* the last 0-7 bytes as a little-endian number, from two loads that
     * overlap (the bytes they share land on the same bits) */
    uint64_t v = 0;
    if (len >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + len - 4, 4);
        v = GUINT32_FROM_LE(lo) | (uint64_t)GUINT32_FROM_LE(hi) << (8 * (len - 4));
    } else if (len) {
        v = p[0] | (uint64_t)p[len / 2] << (8 * (len / 2)) | (uint64_t)p[len - 1] << (8 * (len - 1));
    }
    h += ((v ^ seed) + 1) * k[i & 3];
    return (uint32_t)(hf_mix64(h) >> 16);
}

static uint8_t *
entry_at(const struct hf_agg *a, uint32_t idx)
{
    return a->blocks[idx >> BLOCK_SHIFT] + (size_t)(idx & (BLOCK - 1)) * a->stride;
}

/* An entry: its sums first (8-byte aligned), then the key: fixed-width
 * keys as they are; others as a 16-bit length, then the key inline (up to
 * INLINE_KEY) or its 32-bit arena offset. */
static inline size_t
key_at(const struct hf_agg *a)
{
    return a->fixed == NARROW_KEY ? NARROW_KEY_AT : sizeof(struct hf_sums);
}

static const uint8_t *
entry_key(const struct hf_agg *a, const uint8_t *e, size_t *len)
{
    const uint8_t *k = e + key_at(a);
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

static struct hf_agg *
agg_new(const struct hf_key *keys, unsigned n, size_t fixed)
{
    /* on cache lines of its own, as its arrays: each thread has its tables,
     * updated per record, and they must not share lines */
    struct hf_agg *a = g_aligned_alloc0(1, sizeof(*a), 64);

    memcpy(a->keys, keys, n * sizeof(*keys));
    a->n = n;
    a->either = hf_keys_either_side(keys, n);
    a->seed = hf_hash_seed();
    for (int side = 0; side < 2; side++)
        a->addr_src[side] = hf_keys_addr_src(keys, n, side);
    a->fixed = fixed;
    a->stride = sizeof(struct hf_sums) + (a->fixed ? a->fixed : sizeof(uint16_t) + INLINE_KEY);
    a->stride = fixed == NARROW_KEY ? NARROW_STRIDE : (a->stride + 7) & ~(size_t)7;
    a->mask = 1023;
    a->slots = table_alloc(((size_t)a->mask + 1) * sizeof(slot_t));
    a->arena = g_byte_array_new();
    return a;
}

/* A direct array's places: one per value of a key of one or two bytes. */
static size_t
direct_size(const struct hf_agg *a)
{
    return (size_t)1 << (8 * a->fixed);
}

struct hf_agg *
hf_agg_new(const struct hf_key *keys, unsigned n)
{
    struct hf_agg *a = agg_new(keys, n, hf_keys_fixed_width(keys, n));

    if (a->fixed == 1 || a->fixed == 2) {
        a->direct = table_alloc(direct_size(a) * sizeof(struct hf_sums));
        a->direct_used = table_alloc(direct_size(a));
    }
    if (n == 1 && a->fixed == ADDR_KEY) {
        a->narrow = agg_new(keys, n, NARROW_KEY);
        a->wide = g_string_chunk_new(1 << 16);
    }
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
    table_free(a->slots, ((size_t)a->mask + 1) * sizeof(slot_t));    /* NULL: adopted */
    g_byte_array_unref(a->arena);
    if (a->adopted)
        g_ptr_array_unref(a->adopted);
    hf_agg_free(a->narrow);
    if (a->wide)
        g_string_chunk_free(a->wide);
    if (a->direct) {
        table_free(a->direct, direct_size(a) * sizeof(struct hf_sums));
        table_free(a->direct_used, direct_size(a));
    }
    g_free(a->batch);
    g_free(a->batch_bytes);
    if (a->flows_over)
        g_hash_table_unref(a->flows_over);
    g_aligned_free(a);
}

/* Twice the slots when more than three quarters are taken (linear probing
 * with a well-mixed hash stays short at that load).  The slots keep only
 * part of each hash: the groups' keys are hashed again, in entry order. */
#define GROW_AHEAD 16

static void
grow(struct hf_agg *a)
{
    uint32_t mask = a->mask * 2 + 1;
    slot_t *slots = table_alloc(((size_t)mask + 1) * sizeof(slot_t));

    /* each group's new slot prefetched GROW_AHEAD groups before it is set */
    uint32_t hashes[GROW_AHEAD];
    for (uint32_t i = 0; i < a->count + GROW_AHEAD; i++) {
        if (i >= GROW_AHEAD) {
            uint32_t g = i - GROW_AHEAD, hash = hashes[g % GROW_AHEAD], j = hash & mask;
            while (slots[j])
                j = (j + 1) & mask;
            slots[j] = (hash & ~mask) | (g + 1);
        }
        if (i < a->count) {
            size_t len;
            const uint8_t *k = entry_key(a, entry_at(a, i), &len);
            hashes[i % GROW_AHEAD] = key_hash(a->seed, k, len);
            __builtin_prefetch(&slots[hashes[i % GROW_AHEAD] & mask], 1);
        }
    }
    table_free(a->slots, ((size_t)a->mask + 1) * sizeof(slot_t));
    a->slots = slots;
    a->mask = mask;
}

static uint8_t *
new_entry(struct hf_agg *a, const uint8_t *key, size_t len)
{
    make_room(a);
    uint8_t *e = entry_at(a, a->count++);
    uint8_t *k = e + key_at(a);

    memset(e, 0, key_at(a));
    if (a->fixed == NARROW_KEY)
        memset(e + NARROW_KEY_AT + NARROW_KEY, 0, NARROW_STRIDE - NARROW_KEY_AT - NARROW_KEY);
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

/* The common widths compared in registers, not through a call. */
static inline bool
keys_equal(const uint8_t *x, const uint8_t *y, size_t len)
{
    uint64_t a, b, c, d;
    uint32_t e, f;

    switch (len) {
    case NARROW_KEY:
        memcpy(&e, x, 4);
        memcpy(&f, y, 4);
        return e == f;
    case ADDR_KEY:
        memcpy(&a, x, 8);
        memcpy(&b, y, 8);
        memcpy(&c, x + 8, 8);
        memcpy(&d, y + 8, 8);
        return a == b && c == d && x[16] == y[16];
    default:
        return memcmp(x, y, len) == 0;
    }
}

/* Entry idx's (at e) sums. */
static inline struct hf_sums
entry_sums(const struct hf_agg *a, uint32_t idx, const uint8_t *e)
{
    struct hf_sums s;
    uint32_t flows;

    if (a->fixed != NARROW_KEY) {
        memcpy(&s, e, sizeof(s));
        return s;
    }
    memcpy(&flows, e, 4);
    memcpy(&s.packets, e + 8, 8);
    memcpy(&s.bytes, e + 16, 8);
    s.flows = flows;
    if (a->flows_over) {
        const guint64 *over = g_hash_table_lookup(a->flows_over, GUINT_TO_POINTER(idx + 1));
        s.flows += over ? *over : 0;
    }
    return s;
}

/* Entry idx's (at e) sums plus b. */
static inline void
entry_add(struct hf_agg *a, uint32_t idx, uint8_t *e, const struct hf_sums *b)
{
    if (a->fixed != NARROW_KEY) {
        struct hf_sums s;
        memcpy(&s, e, sizeof(s));
        hf_sums_add(&s, b);
        memcpy(e, &s, sizeof(s));
        return;
    }
    uint32_t flows;
    uint64_t packets, bytes;
    memcpy(&flows, e, 4);
    memcpy(&packets, e + 8, 8);
    memcpy(&bytes, e + 16, 8);
    uint64_t f = flows + b->flows;
    if (f > UINT32_MAX) {
        /* past 32 bits: the rest aside, in whole multiples of 2^32 */
        if (!a->flows_over)
            a->flows_over = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        guint64 *over = g_hash_table_lookup(a->flows_over, GUINT_TO_POINTER(idx + 1));
        if (!over) {
            over = g_new0(guint64, 1);
            g_hash_table_insert(a->flows_over, GUINT_TO_POINTER(idx + 1), over);
        }
        *over += f & ~(uint64_t)UINT32_MAX;
    }
    flows = (uint32_t)f;
    packets += b->packets;
    bytes += b->bytes;
    memcpy(e, &flows, 4);
    memcpy(e + 8, &packets, 8);
    memcpy(e + 16, &bytes, 8);
}

/* Counts sums under the group of key (its hash given), made if new. */
static void
count_key(struct hf_agg *a, uint32_t hash, const uint8_t *key, size_t klen,
          const struct hf_sums *sums)
{
    uint32_t i = hash & a->mask, tag = hash & ~a->mask;

    for (;; i = (i + 1) & a->mask) {
        slot_t sl = a->slots[i];
        if (!sl)
            break;
        if ((sl & ~a->mask) != tag)
            continue;
        uint8_t *e = entry_at(a, (sl & a->mask) - 1);
        size_t len;
        const uint8_t *k = entry_key(a, e, &len);
        if (len == klen && keys_equal(k, key, len)) {
            entry_add(a, (sl & a->mask) - 1, e, sums);
            return;
        }
    }
    entry_add(a, a->count, new_entry(a, key, klen), sums);
    a->slots[i] = tag | a->count;
    if ((uint64_t)a->count * 4 > (uint64_t)(a->mask + 1) * 3)
        grow(a);
}

/* Counts a waiting record under its group, made if new. */
static void
count(struct hf_agg *a, const struct pending *p)
{
    count_key(a, p->hash, p->key, p->len, &p->sums);
}

/* Where the slot of a key's hash is, to prefetch. */
static inline const slot_t *
slot_of(const struct hf_agg *a, uint32_t hash)
{
    return &a->slots[hash & a->mask];
}

/* The entry a key of this hash will probably land on, to prefetch. */
static inline void
prefetch_entry_of(const struct hf_agg *a, uint32_t hash)
{
    slot_t sl = *slot_of(a, hash);

    if (sl && (sl & ~a->mask) == (hash & ~a->mask))
        __builtin_prefetch(entry_at(a, (sl & a->mask) - 1), 1);
}

/* The entry a waiting record will probably land on, to prefetch. */
static void
prefetch_entry(const struct hf_agg *a, const struct pending *p)
{
    prefetch_entry_of(a, p->hash);
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
    __builtin_prefetch(slot_of(a, p->hash), 1);
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

/* Which share a key's hash falls in: its high bits (the slots use the
 * low ones, which a share would otherwise leave half unused). */
static inline uint32_t
share_of(uint32_t hash, uint32_t parts)
{
    return (uint32_t)(((uint64_t)hash * parts) >> 32);
}

/* A record's key of one side into k (HF_KEY_BYTES_MAX bytes), its
 * length, the table it goes to (a's narrow one for IPv4 addresses: the
 * 4 address bytes alone) and its hash. */
static inline uint32_t
side_key(struct hf_agg *a, const hf_flow_record_t *r, const struct hf_key_env *env, int side,
         uint8_t *k, size_t *len, struct hf_agg **t)
{
    int src = a->addr_src[side];

    if (src >= 0 && a->narrow && r->ipVersion != 6) {
        /* the common case, from the address straight to the narrow key */
        uint8_t whole[8];
        uint64_t w = hf_key_addr4_word(src ? r->sourceIPv4Address : r->destinationIPv4Address);
        memcpy(whole, &w, sizeof(w));
        memcpy(k, whole + 1, NARROW_KEY);
    } else {
        *len = src >= 0 ? (size_t)(hf_key_put_addr(k, r, src) - k)
                        : hf_keys_encode(a->keys, a->n, r, env, side, k);
        if (!a->narrow || k[0] != 4) {
            *t = a;
            return key_hash(a->seed, k, *len);
        }
        memmove(k, k + 1, NARROW_KEY);      /* the address; its family implied */
    }
    *t = a->narrow;
    *len = NARROW_KEY;
    return key_hash(a->seed, k, NARROW_KEY);     /* a constant length: no loop */
}

/* A direct array's share of a record (keys of one or two bytes). */
static void
direct_add(struct hf_agg *a, const hf_flow_record_t *r, const struct hf_key_env *env,
           const struct hf_sums *sums)
{
    for (int side = 0; side < (a->either ? 2 : 1); side++) {
        uint8_t k[HF_KEY_BYTES_MAX];
        hf_keys_encode(a->keys, a->n, r, env, side, k);
        uint32_t i = a->fixed == 1 ? k[0] : (uint32_t)k[0] << 8 | k[1];
        a->direct_groups += !a->direct_used[i];
        a->direct_used[i] = 1;
        hf_sums_add(&a->direct[i], sums);
    }
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
    if (a->direct) {
        hf_sums_add(&a->total, sums);
        direct_add(a, r, env, sums);
        return;
    }
    for (int side = 0; side < (a->either ? 2 : 1); side++) {
        uint8_t k[HF_KEY_BYTES_MAX];
        struct hf_agg *t;
        size_t len;
        uint32_t hash = side_key(a, r, env, side, k, &len, &t);
        if (a->parts > 1 && share_of(hash, a->parts) != a->part)
            continue;
        if (side == 0)
            hf_sums_add(&a->total, sums);  /* in the share of its first key */
        struct pending *p = ring_take(t);
        memcpy(p->key, k, len);
        p->len = (uint16_t)len;
        p->hash = hash;
        p->sums = *sums;
        ring_put(t, p);
    }
}

/* Lookups this many keys ahead: a slot's line is asked for first, its
 * entry's when the slot has arrived, the key counted when both have. */
#define AHEAD_SLOT 8
#define AHEAD_ENTRY 4

void
hf_agg_add_batch(struct hf_agg *a, const hf_flow_record_t *const *recs,
                 const struct hf_sums *sums, unsigned n, const struct hf_key_env *env)
{
    unsigned sides = a->either ? 2 : 1, m = 0;
    size_t at = 0;

    if (a->direct) {
        for (unsigned i = 0; i < n; i++) {
            hf_sums_add(&a->total, &sums[i]);
            direct_add(a, recs[i], env, &sums[i]);
        }
        return;
    }
    flush(a);                   /* records of hf_agg_add_sums first */
    if (a->narrow)
        flush(a->narrow);
    if (a->batch_cap < (size_t)n * sides) {
        a->batch_cap = (size_t)n * sides;
        a->batch = g_renew(struct batch_key, a->batch, a->batch_cap);
    }
    for (unsigned i = 0; i < n; i++) {
        for (unsigned side = 0; side < sides; side++) {
            if (a->batch_bytes_cap - at < HF_KEY_BYTES_MAX) {
                a->batch_bytes_cap = MAX(2 * a->batch_bytes_cap, at + HF_KEY_BYTES_MAX);
                a->batch_bytes = g_realloc(a->batch_bytes, a->batch_bytes_cap);
            }
            uint8_t *k = a->batch_bytes + at;
            struct hf_agg *t;
            size_t len;
            uint32_t hash = side_key(a, recs[i], env, (int)side, k, &len, &t);
            if (a->parts > 1 && share_of(hash, a->parts) != a->part)
                continue;
            if (side == 0)
                hf_sums_add(&a->total, &sums[i]);
            a->batch[m++] = (struct batch_key){ t, hash, (uint32_t)at, (uint16_t)len,
                                                &sums[i] };
            at += len;
        }
    }
    const struct batch_key *b = a->batch;
    for (unsigned j = 0; j < MIN(m, AHEAD_SLOT); j++)
        __builtin_prefetch(slot_of(b[j].table, b[j].hash), 1);
    for (unsigned j = 0; j < m; j++) {
        if (j + AHEAD_SLOT < m)
            __builtin_prefetch(slot_of(b[j + AHEAD_SLOT].table, b[j + AHEAD_SLOT].hash), 1);
        if (j + AHEAD_ENTRY < m)
            prefetch_entry_of(b[j + AHEAD_ENTRY].table, b[j + AHEAD_ENTRY].hash);
        count_key(b[j].table, b[j].hash, a->batch_bytes + b[j].at, b[j].len, b[j].sums);
    }
}

/* The direct array's groups into the table (keys as keys.c encodes them:
 * the byte, or the two bytes big-endian); the table alone from then on. */
static void
direct_spill(struct hf_agg *a)
{
    if (!a->direct)
        return;
    uint32_t n = 1u << (8 * a->fixed);
    struct hf_sums *direct = a->direct;
    uint8_t *used = a->direct_used;

    a->direct = NULL;
    a->direct_used = NULL;
    a->direct_groups = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!used[i])
            continue;
        struct pending *p = ring_take(a);
        if (a->fixed == 1) {
            p->key[0] = (uint8_t)i;
        } else {
            p->key[0] = (uint8_t)(i >> 8);
            p->key[1] = (uint8_t)i;
        }
        p->len = (uint16_t)a->fixed;
        p->hash = key_hash(a->seed, p->key, a->fixed);
        p->sums = direct[i];
        ring_put(a, p);
    }
    flush(a);
    table_free(direct, n * sizeof(struct hf_sums));
    table_free(used, n);
}

void
hf_agg_partition(struct hf_agg *a, unsigned part, unsigned parts)
{
    direct_spill(a);            /* shares are counted by hash */
    a->part = part;
    a->parts = parts;
    if (a->narrow)
        hf_agg_partition(a->narrow, part, parts);
}

/* A table only read from now on: its waiting records counted, its slots
 * (needed only to find a group) given back. */
static void
drop_slots(struct hf_agg *t)
{
    flush(t);
    table_free(t->slots, ((size_t)t->mask + 1) * sizeof(slot_t));
    t->slots = NULL;
    t->mask = 0;
}

void
hf_agg_adopt(struct hf_agg *into, struct hf_agg *from)
{
    drop_slots(from);
    if (from->narrow)
        drop_slots(from->narrow);
    hf_sums_add(&into->total, &from->total);
    memset(&from->total, 0, sizeof(from->total));
    if (!into->adopted)
        into->adopted = g_ptr_array_new_with_free_func((GDestroyNotify)hf_agg_free);
    g_ptr_array_add(into->adopted, from);
    while (from->adopted && from->adopted->len)
        g_ptr_array_add(into->adopted, g_ptr_array_steal_index(from->adopted, 0));
}

void
hf_agg_merge(struct hf_agg *into, struct hf_agg *from)
{
    g_assert(!from->adopted);       /* shares are adopted, not merged */
    direct_spill(into);
    direct_spill(from);
    if (from->narrow)
        hf_agg_merge(into->narrow, from->narrow);
    flush(from);
    /* from's groups are read in entry order: its slots can go now */
    table_free(from->slots, ((size_t)from->mask + 1) * sizeof(slot_t));
    from->mask = 1023;
    from->slots = table_alloc(((size_t)from->mask + 1) * sizeof(slot_t));
    hf_sums_add(&into->total, &from->total);
    memset(&from->total, 0, sizeof(from->total));
    for (uint32_t i = 0; i < from->count; i++) {
        const uint8_t *e = entry_at(from, i);
        size_t len;
        const uint8_t *k = entry_key(from, e, &len);
        struct pending *p = ring_take(into);

        memcpy(p->key, k, len);
        p->len = (uint16_t)len;
        p->hash = key_hash(into->seed, k, len);
        p->sums = entry_sums(from, i, e);
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
    if (from->flows_over)
        g_hash_table_remove_all(from->flows_over);
}

const struct hf_sums *
hf_agg_total(const struct hf_agg *a)
{
    return &a->total;
}

guint
hf_agg_size(const struct hf_agg *a)
{
    guint n = a->count + a->waiting + a->direct_groups
              + (a->narrow ? hf_agg_size(a->narrow) : 0);

    for (guint i = 0; a->adopted && i < a->adopted->len; i++)
        n += hf_agg_size(g_ptr_array_index(a->adopted, i));
    return n;
}

static uint64_t
measure(const struct hf_sums *s, enum hf_order o)
{
    return o == HF_ORDER_BYTES ? s->bytes : o == HF_ORDER_PACKETS ? s->packets : s->flows;
}

/* largest first; ties by the other counters, then by key, so the result
 * does not depend on hash order */
static int
row_order(const struct hf_agg_row *a, const struct hf_agg_row *b, enum hf_order order,
          bool narrow)
{
    uint64_t x, y;

    if (order == HF_ORDER_KEY) {
        /* narrow: a 4-byte key is an IPv4 address, before every IPv6 one */
        if (narrow && a->len != b->len)
            return a->len < b->len ? -1 : 1;
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
    return row_order(pa, pb, *(const enum hf_order *)data, false);
}

static struct hf_agg_row
row_of(const struct hf_agg *a, uint32_t idx)
{
    const uint8_t *e = entry_at(a, idx);
    struct hf_agg_row row;

    row.sums = entry_sums(a, idx, e);
    row.key = entry_key(a, e, &row.len);
    return row;
}

/* Restores the heap below i: the row that comes last in the order at the
 * root, so the root is the one a better row replaces. */
static void
sift_down(struct hf_agg_row *h, unsigned n, unsigned i, enum hf_order order, bool narrow)
{
    for (;;) {
        unsigned worst = i, l = 2 * i + 1, r = l + 1;
        if (l < n && row_order(&h[l], &h[worst], order, narrow) > 0)
            worst = l;
        if (r < n && row_order(&h[r], &h[worst], order, narrow) > 0)
            worst = r;
        if (worst == i)
            return;
        struct hf_agg_row t = h[i];
        h[i] = h[worst];
        h[worst] = t;
        i = worst;
    }
}

/* The tables whose groups a table's rows are: its own, its narrow one, and
 * those of the shares it adopted. */
static GPtrArray *
tables_of(struct hf_agg *a)
{
    GPtrArray *t = g_ptr_array_new();
    guint n = 1 + (a->adopted ? a->adopted->len : 0);

    for (guint i = 0; i < n; i++) {
        struct hf_agg *x = i ? g_ptr_array_index(a->adopted, i - 1) : a;
        direct_spill(x);
        flush(x);
        g_ptr_array_add(t, x);
        if (x->narrow) {
            flush(x->narrow);
            g_ptr_array_add(t, x->narrow);
        }
    }
    return t;
}

GArray *
hf_agg_top(struct hf_agg *a, enum hf_order order, unsigned n, struct hf_sums *other)
{
    GArray *rows;
    struct hf_sums sum = { 0 };
    GPtrArray *tables = tables_of(a);
    guint count = hf_agg_size(a);
    bool all = n == 0 || n >= count, narrow = a->narrow != NULL;

    memset(other, 0, sizeof(*other));
    rows = g_array_sized_new(FALSE, FALSE, sizeof(struct hf_agg_row), all ? count : n);
    if (all) {
        for (guint t = 0; t < tables->len; t++) {
            const struct hf_agg *from = g_ptr_array_index(tables, t);
            for (uint32_t i = 0; i < from->count; i++) {
                struct hf_agg_row row = row_of(from, i);
                g_array_append_val(rows, row);
            }
        }
    } else {
        /* the n best in a bounded heap: memory follows n, not the groups
         * (narrow keys order as their whole ones: IPv4 first) */
        struct hf_agg_row *h = (struct hf_agg_row *)(void *)rows->data;
        uint64_t seen = 0;
        for (guint t = 0; t < tables->len; t++) {
            const struct hf_agg *from = g_ptr_array_index(tables, t);
            for (uint32_t i = 0; i < from->count; i++, seen++) {
                struct hf_agg_row row = row_of(from, i);
                hf_sums_add(&sum, &row.sums);
                if (seen < n) {
                    h[seen] = row;
                    if (seen == n - 1)
                        for (unsigned k = n / 2; k-- > 0;)
                            sift_down(h, n, k, order, narrow);
                } else if (row_order(&row, &h[0], order, narrow) < 0) {
                    h[0] = row;
                    sift_down(h, n, 0, order, narrow);
                }
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
    /* narrow keys made whole, as keys.c encodes them */
    for (guint i = 0; a->wide && i < rows->len; i++) {
        struct hf_agg_row *row = &g_array_index(rows, struct hf_agg_row, i);
        if (row->len == NARROW_KEY) {
            uint8_t whole[ADDR_KEY] = { 4 };
            memcpy(whole + 1, row->key, NARROW_KEY);
            row->key = (const uint8_t *)g_string_chunk_insert_len(a->wide, (const char *)whole,
                                                                  ADDR_KEY);
            row->len = ADDR_KEY;
        }
    }
    g_ptr_array_unref(tables);
    g_array_sort_with_data(rows, row_cmp, &order);
    return rows;
}
