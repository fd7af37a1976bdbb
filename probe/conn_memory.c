#include "conn_memory.h"

#include <string.h>
#include <glib.h>

#include "hash.h"

struct entry {
    struct hf_flow_key key;
    struct hf_name *app;
    uint64_t seen_us;
    uint8_t source, label;
    GList link;              /* in the LRU queue; data = this entry */
};

struct hf_conn_memory {
    GHashTable *table;       /* key → entry */
    GQueue lru;              /* oldest at head */
    uint32_t max_entries;
    uint64_t keep_us;
};

static guint
key_hash(gconstpointer p)
{
    uint64_t h = 0, w;       /* 44-byte key: five words and a tail */
    for (int i = 0; i < 5; i++) {
        memcpy(&w, (const uint8_t *)p + 8 * i, 8);
        h = hf_mix64(h ^ w);
    }
    uint32_t tail;
    memcpy(&tail, (const uint8_t *)p + 40, 4);
    return (guint)hf_mix64(h ^ tail);
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(struct hf_flow_key)) == 0;
}

static void
entry_drop(struct hf_conn_memory *m, struct entry *e)
{
    g_queue_unlink(&m->lru, &e->link);
    g_hash_table_remove(m->table, &e->key);
    hf_name_unref(e->app);
    g_free(e);
}

struct hf_conn_memory *
hf_conn_memory_new(uint32_t max_entries, uint64_t keep_us)
{
    struct hf_conn_memory *m = g_new0(struct hf_conn_memory, 1);

    m->table = g_hash_table_new(key_hash, key_equal);
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
    g_hash_table_destroy(m->table);
    g_free(m);
}

void
hf_conn_memory_put(struct hf_conn_memory *m, const struct hf_flow_key *k,
                   struct hf_name *app, uint8_t source, uint8_t label,
                   uint64_t now_us)
{
    struct entry *e = g_hash_table_lookup(m->table, k);

    if (e) {
        g_queue_unlink(&m->lru, &e->link);
        hf_name_unref(e->app);
    } else {
        if (g_hash_table_size(m->table) >= m->max_entries)
            entry_drop(m, m->lru.head->data);
        e = g_new0(struct entry, 1);
        e->key = *k;
        e->link.data = e;
        g_hash_table_insert(m->table, &e->key, e);
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
    struct entry *e = g_hash_table_lookup(m->table, k);

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
    return g_hash_table_size(m->table);
}
