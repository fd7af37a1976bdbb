/* The seeded address hash (common/hash.h) against addresses crafted to
 * collide: 4096 addresses that a plain h * 31 + byte hash sends to one
 * bucket spread over the buckets of a 1024-bucket table as random keys
 * would, and the seed is one per process. */
#include <string.h>

#include "check.h"
#include "hash.h"

#define N 4096
#define BUCKETS 1024

static uint32_t
plain_hash(const uint8_t a[16])
{
    uint32_t h = 0;

    for (int i = 0; i < 16; i++)
        h = h * 31 + a[i];
    return h;
}

/* Address k of the set: four pairs of bytes, each pair one of 8 that keep
 * 31 * a + b the same (b = 248 - 31 * a). */
static void
crafted(unsigned k, uint8_t a[16])
{
    memset(a, 0, 16);
    for (int pair = 0; pair < 4; pair++) {
        unsigned x = (k >> (3 * pair)) & 7;
        a[4 * pair] = (uint8_t)x;
        a[4 * pair + 1] = (uint8_t)(248 - 31 * x);
    }
}

int
main(void)
{
    static unsigned plain[BUCKETS], seeded[BUCKETS];
    unsigned plain_max = 0, seeded_max = 0;
    uint8_t a[16];

    for (unsigned k = 0; k < N; k++) {
        crafted(k, a);
        plain[plain_hash(a) % BUCKETS]++;
        seeded[hf_addr16_hash(a, 0) % BUCKETS]++;
    }
    for (unsigned b = 0; b < BUCKETS; b++) {
        plain_max = plain[b] > plain_max ? plain[b] : plain_max;
        seeded_max = seeded[b] > seeded_max ? seeded[b] : seeded_max;
    }
    CHECK(plain_max == N, "the %d crafted addresses share one bucket of h * 31 + byte (%u)", N,
          plain_max);
    /* random keys: 4 a bucket on average, rarely past 16 */
    CHECK(seeded_max <= 24, "seeded, the fullest bucket holds %u of them", seeded_max);
    CHECK(hf_hash_seed() == hf_hash_seed(), "one seed per process");
    crafted(5, a);
    CHECK(hf_addr16_hash(a, 1) != hf_addr16_hash(a, 2), "the key's other fields count");
    return check_summary();
}
