#include "conn_memory.h"

#include <string.h>
#include <glib.h>

#include "hash.h"
#include "oa_index.h"

struct entry {
    struct hf_flow_key key;
    uint32_t hash;           /* key_hash(&key) */
    struct hf_name *app;
    uint64_t seen_us;
    uint8_t source, label;
    GList link;              /* in the LRU queue; data = this entry */
};

struct hf_conn_memory {
    struct hf_oa_index index;   /* entries by key */
    GQueue lru;              /* oldest at head */
    uint32_t max_entries;
    uint64_t keep_us;
};

/* Ports and addresses are the sender's to choose: the process's seed
 * keeps them from aiming at one run of slots. */
static uint32_t
key_hash(const struct hf_flow_key *p)
{
    uint64_t h = hf_hash_seed(), w;  /* 44-byte key: five words and a tail */
    for (int i = 0; i < 5; i++) {
        memcpy(&w, (const uint8_t *)p + 8 * i, 8);
        h = hf_mix64(h ^ w);
    }
    uint32_t tail;
    memcpy(&tail, (const uint8_t *)p + 40, 4);
    return (uint32_t)hf_mix64(h ^ tail);
}

static bool
key_equal(const void *entry, const void *key)
{
    return memcmp(&((const struct entry *)entry)->key, key, sizeof(struct hf_flow_key)) == 0;
}

static void
entry_drop(struct hf_conn_memory *m, struct entry *e)
{
    g_queue_unlink(&m->lru, &e->link);
    hf_oa_remove(&m->index, e->hash, e);
    hf_name_unref(e->app);
    g_free(e);
}

struct hf_conn_memory *
hf_conn_memory_new(uint32_t max_entries, uint64_t keep_us)
{
    struct hf_conn_memory *m = g_new0(struct hf_conn_memory, 1);

    hf_oa_init(&m->index);
    g_queue_init(&m->lru);
    m->max_entries = max_entries ? max_entries : 1;
    m->keep_us = keep_us;
    return m;
}

void
hf_conn_memory_free(struct hf_conn_memory *m)
{
    if (!m)
        return;
    while (m->lru.head)
        entry_drop(m, m->lru.head->data);
    hf_oa_free(&m->index);
    g_free(m);
}

void
hf_conn_memory_put(struct hf_conn_memory *m, const struct hf_flow_key *k,
                   struct hf_name *app, uint8_t source, uint8_t label,
                   uint64_t now_us)
{
    uint32_t hash = key_hash(k);
    struct entry *e = hf_oa_find(&m->index, hash, key_equal, k);

    if (e) {
        g_queue_unlink(&m->lru, &e->link);
        hf_name_unref(e->app);
    } else {
        if (m->index.count >= m->max_entries)
            entry_drop(m, m->lru.head->data);
        e = g_new0(struct entry, 1);
        e->key = *k;
        e->hash = hash;
        e->link.data = e;
        hf_oa_insert(&m->index, hash, e);
    }
    e->app = hf_name_ref(app);
    e->source = source;
    e->label = label;
    e->seen_us = now_us;
    g_queue_push_tail_link(&m->lru, &e->link);
}

struct hf_name *
hf_conn_memory_get(struct hf_conn_memory *m, const struct hf_flow_key *k,
                   uint64_t now_us, uint8_t *source, uint8_t *label)
{
    struct entry *e = hf_oa_find(&m->index, key_hash(k), key_equal, k);

    if (!e)
        return NULL;
    if (e->seen_us + m->keep_us < now_us) {
        entry_drop(m, e);
        return NULL;
    }
    *source = e->source;
    *label = e->label;
    return e->app;
}

uint32_t
hf_conn_memory_count(const struct hf_conn_memory *m)
{
    return m->index.count;
}
