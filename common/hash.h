/* Hashing shared by the tables: a finalizer, and a seed for the keys that
 * come from the network. */
#ifndef HOSTFLOW_HASH_H
#define HOSTFLOW_HASH_H

#include <stdint.h>

/* 64-bit finalizer (MurmurHash3's fmix64): every input bit affects every
 * output bit. */
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

/* Random, drawn once per process: hashes of what the network says
 * (addresses, ports) start from it, so crafted input cannot be aimed at
 * one bucket of a table to make every lookup walk it (hash flooding). */
uint64_t hf_hash_seed(void);

/* A 16-byte address (IPv4 in its first 4) with more (the other fields of
 * a key), seeded. */
uint32_t hf_addr16_hash(const uint8_t addr[16], uint64_t more);

#endif
