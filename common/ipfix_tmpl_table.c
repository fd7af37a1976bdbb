#include "ipfix_tmpl_table.h"

struct hf_tmpl_table {
    GHashTable *by_key;         /* domain << 16 | tid (uint64) -> value */
    GDestroyNotify free_value;
};

static uint64_t
key_of(uint32_t domain, unsigned tid)
{
    return (uint64_t)domain << 16 | (tid & 0xffff);
}

struct hf_tmpl_table *
hf_tmpl_table_new(GDestroyNotify free_value)
{
    struct hf_tmpl_table *t = g_new0(struct hf_tmpl_table, 1);

    t->free_value = free_value;
    t->by_key = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, free_value);
    return t;
}

void
hf_tmpl_table_free(struct hf_tmpl_table *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->by_key);
    g_free(t);
}

void
hf_tmpl_table_clear(struct hf_tmpl_table *t)
{
    g_hash_table_remove_all(t->by_key);
}

void *
hf_tmpl_table_find(const struct hf_tmpl_table *t, uint32_t domain, unsigned tid)
{
    uint64_t k = key_of(domain, tid);

    return g_hash_table_lookup(t->by_key, &k);
}

bool
hf_tmpl_table_put(struct hf_tmpl_table *t, uint32_t domain, unsigned tid, void *value)
{
    uint64_t k = key_of(domain, tid);

    if (g_hash_table_size(t->by_key) >= HF_TMPL_TABLE_MAX
        && !g_hash_table_contains(t->by_key, &k)) {
        if (t->free_value)
            t->free_value(value);
        return false;
    }
    g_hash_table_replace(t->by_key, g_memdup2(&k, sizeof(k)), value);
    return true;
}

void
hf_tmpl_table_withdraw(struct hf_tmpl_table *t, uint32_t domain, unsigned tid)
{
    GHashTableIter it;
    gpointer k;

    if (tid >= 256) {
        uint64_t key = key_of(domain, tid);
        g_hash_table_remove(t->by_key, &key);
        return;
    }
    g_hash_table_iter_init(&it, t->by_key);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (*(const uint64_t *)k >> 16 == domain)
            g_hash_table_iter_remove(&it);
}
