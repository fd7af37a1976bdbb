/* Fragment table: a fixed pool of entries, a GHashTable indexing them by
 * key, and a list in order of last use so the oldest entry is at hand for
 * timeout and for eviction when the pool is full.  Nothing is allocated
 * per packet except when GHashTable resizes (bounded by max_entries). */
#include <string.h>

#include <glib.h>

#include "ip_frag.h"
#include "hash.h"

#define NO_ENTRY UINT32_MAX

struct frag_key {
    uint8_t ip_version;
    uint8_t proto;
    uint8_t zero[2];       /* kept 0 so the key hashes and compares as bytes */
    uint32_t frag_id;
    uint8_t src[16];
    uint8_t dst[16];
};
G_STATIC_ASSERT(sizeof(struct frag_key) == 40);

struct frag_entry {
    struct frag_key key;
    guint hash;            /* seeded hash of key, computed once */
    uint32_t older, newer; /* age list, pool indices */
    uint64_t ts_us;        /* packet time of last use */
    uint16_t sport, dport, icmp_type_code;
    bool has_ports;
};

struct hf_frag_table {
    GHashTable *index;     /* struct frag_entry * → itself */
    struct frag_entry *pool;
    uint32_t max_entries;
    uint32_t used;         /* pool[0..used) handed out at least once */
    uint32_t free_list;    /* returned entries, chained through .newer */
    uint32_t oldest, newest;
    uint64_t timeout_us;
    uint32_t seed;         /* hf_hash_seed(): crafted ids cannot aim at a bucket */
    struct hf_frag_stats stats;
};

static guint entry_hash(gconstpointer p)
{
    return ((const struct frag_entry *)p)->hash;
}

static gboolean entry_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(&((const struct frag_entry *)a)->key,
                  &((const struct frag_entry *)b)->key,
                  sizeof(struct frag_key)) == 0;
}

static guint key_hash(const struct frag_key *k, uint32_t seed)
{
    const uint8_t *bytes = (const uint8_t *)k;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;

    for (size_t i = 0; i < sizeof *k; i += 8) {
        uint64_t word;

        memcpy(&word, bytes + i, 8);
        h = (h ^ word) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return (guint)h;
}

static void make_key(struct frag_entry *e, const struct hf_packet *pkt,
                     uint32_t seed)
{
    memset(&e->key, 0, sizeof e->key);
    e->key.ip_version = pkt->ip_version;
    e->key.proto = pkt->proto;
    e->key.frag_id = pkt->frag_id;
    memcpy(e->key.src, pkt->src_addr, sizeof e->key.src);
    memcpy(e->key.dst, pkt->dst_addr, sizeof e->key.dst);
    e->hash = key_hash(&e->key, seed);
}

static uint32_t index_of(const struct hf_frag_table *t,
                         const struct frag_entry *e)
{
    return (uint32_t)(e - t->pool);
}

static void list_unlink(struct hf_frag_table *t, struct frag_entry *e)
{
    if (e->older != NO_ENTRY)
        t->pool[e->older].newer = e->newer;
    else
        t->oldest = e->newer;
    if (e->newer != NO_ENTRY)
        t->pool[e->newer].older = e->older;
    else
        t->newest = e->older;
}

static void list_append(struct hf_frag_table *t, struct frag_entry *e)
{
    uint32_t i = index_of(t, e);

    e->older = t->newest;
    e->newer = NO_ENTRY;
    if (t->newest != NO_ENTRY)
        t->pool[t->newest].newer = i;
    else
        t->oldest = i;
    t->newest = i;
}

static void entry_forget(struct hf_frag_table *t, struct frag_entry *e)
{
    g_hash_table_remove(t->index, e);
    list_unlink(t, e);
}

static void entry_release(struct hf_frag_table *t, struct frag_entry *e)
{
    entry_forget(t, e);
    e->newer = t->free_list;
    t->free_list = index_of(t, e);
}

static void expire(struct hf_frag_table *t, uint64_t now_us)
{
    while (t->oldest != NO_ENTRY) {
        struct frag_entry *e = &t->pool[t->oldest];

        /* Timestamps may step back in a file: never expire on that. */
        if (now_us <= e->ts_us || now_us - e->ts_us <= t->timeout_us)
            break;
        entry_release(t, e);
        t->stats.expired++;
    }
}

static struct frag_entry *entry_take(struct hf_frag_table *t)
{
    struct frag_entry *e;

    if (t->free_list != NO_ENTRY) {
        e = &t->pool[t->free_list];
        t->free_list = e->newer;
        return e;
    }
    if (t->used < t->max_entries)
        return &t->pool[t->used++];
    e = &t->pool[t->oldest]; /* full: the least recently used goes */
    entry_forget(t, e);
    t->stats.evicted++;
    return e;
}

struct hf_frag_table *hf_frag_new(uint32_t max_entries, uint64_t timeout_us)
{
    struct hf_frag_table *t;

    if (max_entries == 0)
        max_entries = 1;
    t = g_try_new0(struct hf_frag_table, 1);
    if (!t)
        return NULL;
    t->pool = g_try_new0(struct frag_entry, max_entries);
    if (!t->pool) {
        g_free(t);
        return NULL;
    }
    t->index = g_hash_table_new(entry_hash, entry_equal);
    t->max_entries = max_entries;
    t->free_list = t->oldest = t->newest = NO_ENTRY;
    t->timeout_us = timeout_us;
    t->seed = (uint32_t)hf_hash_seed();
    return t;
}

void hf_frag_free(struct hf_frag_table *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->index);
    g_free(t->pool);
    g_free(t);
}

static void record_first(struct hf_frag_table *t, struct frag_entry *found,
                         const struct frag_entry *probe,
                         const struct hf_packet *pkt)
{
    struct frag_entry *e = found;

    if (e) {
        list_unlink(t, e); /* resent first fragment or reused id */
    } else {
        e = entry_take(t);
        e->key = probe->key;
        e->hash = probe->hash;
        g_hash_table_add(t->index, e);
    }
    list_append(t, e);
    e->ts_us = pkt->ts_us;
    e->sport = pkt->sport;
    e->dport = pkt->dport;
    e->icmp_type_code = pkt->icmp_type_code;
    e->has_ports = pkt->has_ports;
    t->stats.first_seen++;
}

void hf_frag_update(struct hf_frag_table *t, struct hf_packet *pkt)
{
    struct frag_entry probe, *e;

    if (!t || !pkt->is_fragment)
        return;
    expire(t, pkt->ts_us);
    make_key(&probe, pkt, t->seed);
    e = g_hash_table_lookup(t->index, &probe);

    if (pkt->first_fragment) {
        record_first(t, e, &probe, pkt);
        return;
    }
    if (!e) {
        t->stats.unresolved++;
        return;
    }
    pkt->sport = e->sport;
    pkt->dport = e->dport;
    pkt->has_ports = e->has_ports;
    pkt->icmp_type_code = e->icmp_type_code;
    t->stats.resolved++;
    if (pkt->last_fragment) {
        entry_release(t, e);
    } else {
        list_unlink(t, e);
        list_append(t, e);
        e->ts_us = pkt->ts_us;
    }
}

struct hf_frag_stats hf_frag_stats(const struct hf_frag_table *t)
{
    struct hf_frag_stats none = { 0 };

    return t ? t->stats : none;
}

uint32_t hf_frag_count(const struct hf_frag_table *t)
{
    return t ? g_hash_table_size(t->index) : 0;
}
