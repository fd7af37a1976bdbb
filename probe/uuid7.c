#include "uuid7.h"

#include "digits.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t
next_random(struct hf_uuid7_gen *g)
{
    uint64_t s1 = g->rng[0];
    const uint64_t s0 = g->rng[1];

    g->rng[0] = s0;
    s1 ^= s1 << 23;
    g->rng[1] = s1 ^ s0 ^ (s1 >> 18) ^ (s0 >> 5);
    return g->rng[1] + s0;
}

void
hf_uuid7_init(struct hf_uuid7_gen *g)
{
    memset(g, 0, sizeof(*g));
    if (getrandom(g->rng, sizeof(g->rng), 0) != (ssize_t)sizeof(g->rng)) {
        /* no entropy source: ids must still differ between runs */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        g->rng[0] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        g->rng[1] = (uint64_t)getpid() << 32 ^ (uint64_t)ts.tv_nsec;
    }
    if (!g->rng[0] && !g->rng[1])
        g->rng[1] = 1;
}

void
hf_uuid7_next(struct hf_uuid7_gen *g, uint64_t ms, uint8_t out[16])
{
    if (ms > g->last_ms) {
        g->last_ms = ms;
        g->counter = (uint16_t)(next_random(g) & 0x1ff);   /* room to count up */
    } else if (++g->counter > 0xfff) {
        g->last_ms++;                 /* counter spent: borrow the next ms */
        g->counter = 0;
    }
    uint64_t t = g->last_ms & 0xffffffffffffULL, r = next_random(g);
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)(t >> (40 - 8 * i));
    out[6] = (uint8_t)(0x70 | (g->counter >> 8));
    out[7] = (uint8_t)g->counter;
    for (int i = 0; i < 8; i++)
        out[8 + i] = (uint8_t)(r >> (56 - 8 * i));
    out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));   /* variant 10 */
}

void
hf_uuid_format(const uint8_t u[16], char out[37])
{
    /* where each byte's digits go: the dashes' places fixed */
    static const uint8_t at[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34 };

    /* unrolled: each byte a load and a 2-byte copy, no loop counter */
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        memcpy(out + at[i], hf_hex_pairs + 2 * u[i], 2);
    out[8] = out[13] = out[18] = out[23] = '-';
    out[36] = 0;
}
