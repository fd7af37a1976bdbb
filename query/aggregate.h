/* Grouping records by a key tuple (keys.h) with the sums people read:
 * flows, packets and bytes (scaled up by the sampling interval).  One
 * table per thread, merged at the end; top-N by a bounded heap, so memory
 * follows the number of distinct keys, never the number of records. */
#ifndef HOSTFLOW_QUERY_AGGREGATE_H
#define HOSTFLOW_QUERY_AGGREGATE_H

#include <stdint.h>
#include <glib.h>
#include "keys.h"

struct hf_sums {
    uint64_t flows, packets, bytes;
};

enum hf_order {
    HF_ORDER_BYTES, HF_ORDER_PACKETS, HF_ORDER_FLOWS,
    HF_ORDER_KEY,       /* by key, ascending: a time series in time order */
};

/* "bytes", "packets", "flows", "key"; false if unknown. */
bool hf_order_parse(const char *s, enum hf_order *o);

/* Adds a record's counters (scaled) to s. */
void hf_sums_add_record(struct hf_sums *s, const hf_flow_record_t *r);
void hf_sums_add(struct hf_sums *s, const struct hf_sums *b);

struct hf_agg;

struct hf_agg *hf_agg_new(const struct hf_key *keys, unsigned n);
void hf_agg_free(struct hf_agg *a);

/* Counts a record under its key (twice, once per side, for ip and port). */
void hf_agg_add(struct hf_agg *a, const hf_flow_record_t *r, const struct hf_key_env *env);

/* The same with the sums given: r stands for a group of records that
 * share its keys (ClickHouse's GROUP BY answers). */
void hf_agg_add_sums(struct hf_agg *a, const hf_flow_record_t *r, const struct hf_key_env *env,
                     const struct hf_sums *sums);

/* The same for n records at once (sums[i]: what recs[i] stands for): the
 * keys first, then their lookups, each prefetched a few keys ahead (a
 * table of millions of groups is a cache miss per key). */
void hf_agg_add_batch(struct hf_agg *a, const hf_flow_record_t *const *recs,
                      const struct hf_sums *sums, unsigned n, const struct hf_key_env *env);

/* Moves everything of from into into; from is left empty. */
void hf_agg_merge(struct hf_agg *into, struct hf_agg *from);

/* A table for one share of the keys (part of parts, by hash): records
 * whose key falls in another share are not counted, so threads that each
 * see every record can count each key once, in one table, without a
 * merge.  A record's total is counted in the share of its first key (for
 * either-side keys: its source's). */
void hf_agg_partition(struct hf_agg *a, unsigned part, unsigned parts);

/* Takes from (a table of another share: no key in common with into's)
 * as it is: its groups are read with into's, never copied.  from is
 * into's to free. */
void hf_agg_adopt(struct hf_agg *into, struct hf_agg *from);

/* The records counted (once each, whatever the keys). */
const struct hf_sums *hf_agg_total(const struct hf_agg *a);

/* The groups held, at most: the few records still waiting to be counted
 * (hf_agg_add) are taken as new ones; cheap enough to ask per record. */
guint hf_agg_size(const struct hf_agg *a);

struct hf_agg_row {
    const uint8_t *key;        /* encoded (keys.h); owned by the table */
    size_t len;
    struct hf_sums sums;
};

/* The n largest groups by order (all when n is 0), largest first, ties by
 * key (HF_ORDER_KEY: the first n by key); *other: the sums of the groups
 * left out.  Free with g_array_unref;
 * the rows stay valid while a lives. */
GArray *hf_agg_top(struct hf_agg *a, enum hf_order order, unsigned n,
                   struct hf_sums *other);

#endif
