/* What DNS told each client: (client, answered address) → the name the
 * client asked for, with a fallback (answered address) → name for flows of
 * clients whose lookups we did not see.  Bounded by entries and bytes, LRU,
 * each entry living the answer's TTL clamped to [ttl_floor, ttl_ceiling]
 * (a client's own answer is still given past it, marked stale).
 * All times are packet times. */
#ifndef HOSTFLOW_NAME_CACHE_H
#define HOSTFLOW_NAME_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include "name_pool.h"

struct hf_name_cache_config {
    uint32_t max_entries;     /* default 262144 (pair and address entries together) */
    uint64_t max_bytes;       /* default 64 MiB: entries + name bytes */
    uint32_t ttl_floor_s;     /* default 300: browsers reuse addresses past short TTLs */
    uint32_t ttl_ceiling_s;   /* default 86400 */
};

struct hf_name_cache_stats {
    uint64_t entries, bytes;
    uint64_t inserts, evictions, expirations;
    uint64_t hits, stale_hits, fallback_hits, misses;
};

struct hf_name_cache;

struct hf_name_cache *hf_name_cache_new(const struct hf_name_cache_config *cfg);
void hf_name_cache_free(struct hf_name_cache *c);

/* The client (family 4/6) learned that name has address addr. */
void hf_name_cache_put(struct hf_name_cache *c, uint8_t family,
                       const uint8_t client[16], const uint8_t addr[16],
                       struct hf_name *name, uint32_t ttl_s, uint64_t now_us);

/* The name for addr as seen by client, else by any client (*by_client
 * false); NULL if none.  The client's own answer counts even when its TTL
 * has run out (*stale true): clients keep using an address past its TTL
 * (stub caches, long-lived apps), and the entry stays until a fresher
 * answer replaces it or the room is needed; an answer to another client
 * counts only while live.  Borrowed: hf_name_ref to keep it. */
struct hf_name *hf_name_cache_get(struct hf_name_cache *c, uint8_t family,
                                  const uint8_t client[16],
                                  const uint8_t addr[16], uint64_t now_us,
                                  bool *by_client, bool *stale);

struct hf_name_cache_stats hf_name_cache_stats(const struct hf_name_cache *c);

#endif
