/* 64-bit finalizer (MurmurHash3's fmix64): every input bit affects every
 * output bit. */
#ifndef HOSTFLOW_HASH_H
#define HOSTFLOW_HASH_H

#include <stdint.h>

static inline uint64_t
hf_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

#endif
