/* Unit test of common/oa_index.h: random inserts, lookups and removals
 * against a plain array of what should be present, with hashes forced into
 * few home slots (long runs that wrap around the end of the slots, so
 * backward-shift deletion is exercised) and with spread hashes through
 * several doublings. */
#include <stdbool.h>
#include <string.h>
#include <glib.h>

#include "check.h"
#include "oa_index.h"

enum { KEYS = 4000 };

struct item {
    uint32_t key;
    uint32_t hash;
    bool in;
};

static bool
item_is(const void *item, const void *key)
{
    return ((const struct item *)item)->key == *(const uint32_t *)key;
}

/* Every key found exactly when it is in, and the count right. */
static bool
consistent(const struct hf_oa_index *x, struct item *items, unsigned *bad_key)
{
    uint32_t in = 0;

    for (uint32_t k = 0; k < KEYS; k++) {
        void *got = hf_oa_find(x, items[k].hash, item_is, &k);
        in += items[k].in;
        if (got != (items[k].in ? &items[k] : NULL)) {
            *bad_key = k;
            return false;
        }
    }
    *bad_key = UINT32_MAX;
    return in == x->count;
}

static void
random_ops(const char *what, uint32_t (*hash)(uint32_t key))
{
    struct item *items = g_new0(struct item, KEYS);
    struct hf_oa_index x;
    GRand *r = g_rand_new_with_seed(17);
    unsigned bad = UINT32_MAX;
    bool ok = true;
    uint32_t most = 0, removed = 0;

    hf_oa_init(&x);
    for (uint32_t k = 0; k < KEYS; k++) {
        items[k].key = k;
        items[k].hash = hash(k);
    }
    for (int step = 0; step < 40000 && ok; step++) {
        uint32_t k = g_rand_int_range(r, 0, KEYS);
        /* mostly adds in the first half, mostly removals in the second */
        bool add = g_rand_int_range(r, 0, 100) < (step < 20000 ? 70 : 30);
        if (add && !items[k].in) {
            hf_oa_insert(&x, items[k].hash, &items[k]);
            items[k].in = true;
        } else if (!add && items[k].in) {
            hf_oa_remove(&x, items[k].hash, &items[k]);
            items[k].in = false;
            removed++;
        }
        if (x.count > most)
            most = x.count;
        if (step % 97 == 0)
            ok = consistent(&x, items, &bad);
    }
    ok = ok && consistent(&x, items, &bad);
    CHECK(ok && x.count * 4 <= (x.mask + 1) * 3,
          "%s: 40000 random adds and removals (at most %u items, %u removed, %u slots): "
          "every lookup right (first wrong key %d)", what, most, removed, x.mask + 1,
          (int)bad);
    hf_oa_free(&x);
    g_rand_free(r);
    g_free(items);
}

static uint32_t
few_homes(uint32_t key)
{
    /* 5 home slots near the end of any power-of-two table: runs wrap */
    return 0xfffffffbu + key % 5;
}

static uint32_t
spread(uint32_t key)
{
    return key * 2654435761u;
}

int
main(void)
{
    random_ops("hashes in 5 home slots", few_homes);
    random_ops("spread hashes", spread);
    return check_summary();
}
