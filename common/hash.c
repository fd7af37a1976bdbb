/* See hash.h. */
#include "hash.h"

#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <glib.h>

static gpointer
seed_init(gpointer seed)
{
    uint64_t *s = seed;

    if (getrandom(s, sizeof(*s), GRND_NONBLOCK) != (ssize_t)sizeof(*s))
        *s = (uint64_t)g_random_int() << 32 | g_random_int();
    return NULL;
}

uint64_t
hf_hash_seed(void)
{
    static uint64_t seed;
    static GOnce once = G_ONCE_INIT;

    g_once(&once, seed_init, &seed);
    return seed;
}

uint32_t
hf_addr16_hash(const uint8_t addr[16], uint64_t more)
{
    uint64_t w0, w1, s = hf_hash_seed();

    memcpy(&w0, addr, 8);
    memcpy(&w1, addr + 8, 8);
    return (uint32_t)hf_mix64((w0 ^ s) * 0x9e3779b97f4a7c15ULL
                              + (w1 ^ s) * 0xc2b2ae3d27d4eb4fULL
                              + (more ^ s) * 0x165667b19e3779f9ULL);
}
