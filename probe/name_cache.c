/* DNS answers remembered for pairing with flows.
 *
 * One open-addressed index (common/oa_index.h) holds both kinds of entry
 * (the key says which); every
 * entry is also on one LRU list, newest first, so lookups, refreshes and
 * evictions are O(1).  Expired entries are dropped when met: by a lookup,
 * or at the old end of the list when room is needed (counted as
 * expirations, not evictions).  Caps are checked before anything is added,
 * so entries and bytes never exceed them. */
#include "name_cache.h"

#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "hash.h"
#include "oa_index.h"

#define DEFAULT_MAX_ENTRIES 262144
#define DEFAULT_MAX_BYTES   (64ull << 20)
#define DEFAULT_TTL_FLOOR   300
#define DEFAULT_TTL_CEILING 86400

enum entry_kind {
    KIND_PAIR = 1,          /* (family, client, addr) → name */
    KIND_ADDR = 2,          /* (family, addr) → latest name from anyone */
};

struct key {
    uint8_t kind, family;
    uint8_t zero[6];        /* explicit padding: keys are hashed as bytes */
    uint8_t client[16];     /* all zero for KIND_ADDR */
    uint8_t addr[16];       /* IPv4 in the first 4 bytes, rest zero */
};
_Static_assert(sizeof(struct key) == 40, "key has no hidden padding");

struct entry {
    struct key key;
    uint32_t hash;          /* key_hash(&key) */
    struct entry *newer, *older;
    struct hf_name *name;   /* one reference held */
    uint64_t expires_us;
};

struct hf_name_cache {
    struct hf_name_cache_config cfg;
    struct hf_oa_index index;   /* entries by key */
    struct entry *newest, *oldest;
    struct hf_name_cache_stats st;
};

/* Per-entry cost in the byte cap: the entry, its share of the index's
 * slots (at most) and, though pooled, its name. */
static uint64_t
entry_bytes(const struct hf_name *name)
{
    return sizeof(struct entry) + HF_OA_BYTES_PER_ITEM + name->len;
}

/* ---- keys -------------------------------------------------------------- */

/* Answered addresses are chosen by whoever sends DNS responses: the
 * process's seed keeps them from aiming at one hash chain. */
static uint32_t
key_hash(const struct key *k)
{
    const uint8_t *b = (const uint8_t *)k;
    uint64_t h = hf_hash_seed(), w;

    for (size_t i = 0; i < sizeof(struct key); i += 8) {
        memcpy(&w, b + i, 8);
        h = hf_mix64(h ^ w);
    }
    return (uint32_t)h;
}

static bool
key_equal(const void *entry, const void *key)
{
    return memcmp(&((const struct entry *)entry)->key, key, sizeof(struct key)) == 0;
}

static bool
make_key(struct key *k, enum entry_kind kind, uint8_t family,
         const uint8_t client[16], const uint8_t addr[16])
{
    size_t alen = family == 4 ? 4 : 16;

    if ((family != 4 && family != 6) || !addr ||
        (kind == KIND_PAIR && !client))
        return false;
    memset(k, 0, sizeof *k);
    k->kind = (uint8_t)kind;
    k->family = family;
    memcpy(k->addr, addr, alen);
    if (kind == KIND_PAIR)
        memcpy(k->client, client, alen);
    return true;
}

/* ---- LRU list ---------------------------------------------------------- */

static void
lru_unlink(struct hf_name_cache *c, struct entry *e)
{
    if (e->newer) e->newer->older = e->older;
    else c->newest = e->older;
    if (e->older) e->older->newer = e->newer;
    else c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void
lru_push_newest(struct hf_name_cache *c, struct entry *e)
{
    e->newer = NULL;
    e->older = c->newest;
    if (c->newest) c->newest->newer = e;
    else c->oldest = e;
    c->newest = e;
}

static void
lru_touch(struct hf_name_cache *c, struct entry *e)
{
    if (c->newest != e) {
        lru_unlink(c, e);
        lru_push_newest(c, e);
    }
}

/* ---- entries ----------------------------------------------------------- */

static void
entry_remove(struct hf_name_cache *c, struct entry *e)
{
    hf_oa_remove(&c->index, e->hash, e);
    lru_unlink(c, e);
    c->st.entries--;
    c->st.bytes -= entry_bytes(e->name);
    hf_name_unref(e->name);
    g_free(e);
}

static bool
expired(const struct entry *e, uint64_t now_us)
{
    return now_us >= e->expires_us;
}

/* Drops the oldest entries (never keep) until extra_entries and extra_bytes
 * more fit under the caps; false if they cannot. */
static bool
make_room(struct hf_name_cache *c, uint32_t extra_entries,
          uint64_t extra_bytes, const struct entry *keep, uint64_t now_us)
{
    while (c->st.entries + extra_entries > c->cfg.max_entries ||
           c->st.bytes + extra_bytes > c->cfg.max_bytes) {
        struct entry *victim = c->oldest;
        if (!victim || victim == keep)
            return false;       /* keep is newest: nothing else is left */
        if (expired(victim, now_us))
            c->st.expirations++;
        else
            c->st.evictions++;
        entry_remove(c, victim);
    }
    return true;
}

static struct entry *
lookup(struct hf_name_cache *c, const struct key *k, uint32_t hash)
{
    return hf_oa_find(&c->index, hash, key_equal, k);
}

static void
refresh(struct hf_name_cache *c, struct entry *e, struct hf_name *name,
        uint64_t expires_us, uint64_t now_us)
{
    uint64_t old_bytes = entry_bytes(e->name), new_bytes = entry_bytes(name);

    lru_touch(c, e);
    if (new_bytes > old_bytes &&
        !make_room(c, 0, new_bytes - old_bytes, e, now_us)) {
        entry_remove(c, e);     /* alone it outgrows max_bytes */
        return;
    }
    c->st.bytes = c->st.bytes - old_bytes + new_bytes;
    hf_name_ref(name);
    hf_name_unref(e->name);
    e->name = name;
    e->expires_us = expires_us;
}

static void
insert(struct hf_name_cache *c, const struct key *k, struct hf_name *name,
       uint64_t expires_us, uint64_t now_us)
{
    uint64_t bytes = entry_bytes(name);
    uint32_t hash = key_hash(k);
    struct entry *e = lookup(c, k, hash);

    if (e) {
        refresh(c, e, name, expires_us, now_us);
        return;
    }
    if (!make_room(c, 1, bytes, NULL, now_us))
        return;                 /* caps smaller than one entry */
    e = g_new0(struct entry, 1);
    e->key = *k;
    e->hash = hash;
    e->name = hf_name_ref(name);
    e->expires_us = expires_us;
    hf_oa_insert(&c->index, hash, e);
    lru_push_newest(c, e);
    c->st.entries++;
    c->st.bytes += bytes;
    c->st.inserts++;
}

/* ---- API --------------------------------------------------------------- */

/* cfg NULL: all defaults.  Zero caps mean their defaults; TTL bounds are
 * taken as given, a ceiling below the floor being raised to it. */
struct hf_name_cache *
hf_name_cache_new(const struct hf_name_cache_config *cfg)
{
    struct hf_name_cache *c = g_new0(struct hf_name_cache, 1);

    if (cfg) {
        c->cfg = *cfg;
    } else {
        c->cfg.ttl_floor_s = DEFAULT_TTL_FLOOR;
        c->cfg.ttl_ceiling_s = DEFAULT_TTL_CEILING;
    }
    if (!c->cfg.max_entries)
        c->cfg.max_entries = DEFAULT_MAX_ENTRIES;
    if (!c->cfg.max_bytes)
        c->cfg.max_bytes = DEFAULT_MAX_BYTES;
    if (c->cfg.ttl_ceiling_s < c->cfg.ttl_floor_s)
        c->cfg.ttl_ceiling_s = c->cfg.ttl_floor_s;
    hf_oa_init(&c->index);
    return c;
}

void
hf_name_cache_free(struct hf_name_cache *c)
{
    if (!c)
        return;
    for (struct entry *e = c->oldest, *newer; e; e = newer) {
        newer = e->newer;
        hf_name_unref(e->name);
        g_free(e);
    }
    hf_oa_free(&c->index);
    g_free(c);
}

/* inserts counts entries created; a put for a known key refreshes it. */
void
hf_name_cache_put(struct hf_name_cache *c, uint8_t family,
                  const uint8_t client[16], const uint8_t addr[16],
                  struct hf_name *name, uint32_t ttl_s, uint64_t now_us)
{
    struct key k;
    uint64_t expires_us;

    if (!c || !name)
        return;
    if (ttl_s < c->cfg.ttl_floor_s)
        ttl_s = c->cfg.ttl_floor_s;
    if (ttl_s > c->cfg.ttl_ceiling_s)
        ttl_s = c->cfg.ttl_ceiling_s;
    expires_us = now_us + (uint64_t)ttl_s * 1000000;
    if (expires_us < now_us)
        expires_us = UINT64_MAX;

    /* A NULL client still feeds the address fallback. */
    if (make_key(&k, KIND_PAIR, family, client, addr))
        insert(c, &k, name, expires_us, now_us);
    if (make_key(&k, KIND_ADDR, family, NULL, addr))
        insert(c, &k, name, expires_us, now_us);
}

/* Expired entries found here are dropped on the spot. */
static struct entry *
find_live(struct hf_name_cache *c, const struct key *k, uint64_t now_us)
{
    struct entry *e = lookup(c, k, key_hash(k));

    if (e && expired(e, now_us)) {
        c->st.expirations++;
        entry_remove(c, e);
        return NULL;
    }
    if (e)
        lru_touch(c, e);
    return e;
}

struct hf_name *
hf_name_cache_get(struct hf_name_cache *c, uint8_t family,
                  const uint8_t client[16], const uint8_t addr[16],
                  uint64_t now_us, bool *by_client, bool *stale)
{
    struct entry *e = NULL;
    struct key k;

    if (by_client)
        *by_client = false;
    if (stale)
        *stale = false;
    if (!c)
        return NULL;
    if (make_key(&k, KIND_PAIR, family, client, addr) && (e = lookup(c, &k, key_hash(&k)))) {
        lru_touch(c, e);
        if (expired(e, now_us)) {
            c->st.stale_hits++;
            if (stale)
                *stale = true;
        } else {
            c->st.hits++;
        }
        if (by_client)
            *by_client = true;
        return e->name;
    }
    if (make_key(&k, KIND_ADDR, family, NULL, addr) &&
        (e = find_live(c, &k, now_us))) {
        c->st.fallback_hits++;
        return e->name;
    }
    c->st.misses++;
    return NULL;
}

struct hf_name_cache_stats
hf_name_cache_stats(const struct hf_name_cache *c)
{
    struct hf_name_cache_stats none = { 0 };

    return c ? c->st : none;
}
