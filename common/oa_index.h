/* An open-addressed index of items the caller allocates (linear probing,
 * power-of-two slots, at most 3/4 full, deletion by backward shift: no
 * tombstones).  Each slot keeps the item's hash beside its pointer, so a
 * probe compares keys only on a full hash match and a lookup touches one
 * cache line of slots, where GHashTable reads a hash array, a key array
 * and calls two functions through pointers.  The caller computes hashes
 * (seeded against chosen keys) and passes its key comparison, inlined. */
#ifndef HOSTFLOW_OA_INDEX_H
#define HOSTFLOW_OA_INDEX_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

struct hf_oa_slot {
    void *item;                 /* NULL: empty */
    uint32_t hash;
};

struct hf_oa_index {
    struct hf_oa_slot *slots;
    uint32_t mask;              /* slots - 1 */
    uint32_t count;
};

#define HF_OA_MIN_SLOTS 64

static inline void
hf_oa_init(struct hf_oa_index *x)
{
    x->slots = g_new0(struct hf_oa_slot, HF_OA_MIN_SLOTS);
    x->mask = HF_OA_MIN_SLOTS - 1;
    x->count = 0;
}

static inline void
hf_oa_free(struct hf_oa_index *x)
{
    g_free(x->slots);
    x->slots = NULL;
}

/* The item whose hash is hash and for which eq(item, key) holds, or NULL. */
static inline void *
hf_oa_find(const struct hf_oa_index *x, uint32_t hash,
           bool (*eq)(const void *item, const void *key), const void *key)
{
    for (uint32_t i = hash & x->mask;; i = (i + 1) & x->mask) {
        const struct hf_oa_slot *s = &x->slots[i];
        if (!s->item)
            return NULL;
        if (s->hash == hash && eq(s->item, key))
            return s->item;
    }
}

static inline void
hf_oa_place(struct hf_oa_index *x, uint32_t hash, void *item)
{
    uint32_t i = hash & x->mask;

    while (x->slots[i].item)
        i = (i + 1) & x->mask;
    x->slots[i].item = item;
    x->slots[i].hash = hash;
}

/* Adds item (not in the index yet) under hash; doubles the slots first
 * when they would be more than 3/4 full. */
static inline void
hf_oa_insert(struct hf_oa_index *x, uint32_t hash, void *item)
{
    if ((uint64_t)(x->count + 1) * 4 > (uint64_t)(x->mask + 1) * 3) {
        struct hf_oa_slot *old = x->slots;
        uint32_t n = x->mask + 1;
        x->slots = g_new0(struct hf_oa_slot, (gsize)n * 2);
        x->mask = n * 2 - 1;
        for (uint32_t i = 0; i < n; i++)
            if (old[i].item)
                hf_oa_place(x, old[i].hash, old[i].item);
        g_free(old);
    }
    hf_oa_place(x, hash, item);
    x->count++;
}

/* Takes item (in the index under hash) out, moving back the items after it
 * in its run that may now sit closer to their home slot. */
static inline void
hf_oa_remove(struct hf_oa_index *x, uint32_t hash, const void *item)
{
    uint32_t i = hash & x->mask;

    while (x->slots[i].item != item) {
        if (!x->slots[i].item)
            return;             /* not there */
        i = (i + 1) & x->mask;
    }
    for (uint32_t j = (i + 1) & x->mask; x->slots[j].item; j = (j + 1) & x->mask) {
        uint32_t home = x->slots[j].hash & x->mask;
        /* j's item may move to the hole at i unless its home lies in
         * (i, j] (cyclically): then it must stay after its home */
        if (((j - home) & x->mask) >= ((j - i) & x->mask)) {
            x->slots[i] = x->slots[j];
            i = j;
        }
    }
    x->slots[i].item = NULL;
    x->count--;
}

/* Bytes of slots per item at most (a table just doubled: 3/8 full). */
#define HF_OA_BYTES_PER_ITEM (sizeof(struct hf_oa_slot) * 8 / 3)

#endif
