/* What the query engine's back ends share (not for users of query/): the
 * per-record step that counts a record into a query's tables or
 * conversations, whichever back end delivered it (the file store's
 * scanning threads, the rows ClickHouse answers). */
#ifndef HOSTFLOW_QUERY_INT_H
#define HOSTFLOW_QUERY_INT_H

#include "query.h"
#include "store_decode.h"

#define HF_CACHE_LINE 64

/* One reading thread's share of a query (a whole number of cache lines:
 * threads' workers sit side by side). */
struct __attribute__((aligned(HF_CACHE_LINE))) hf_query_worker {
    const struct hf_query *q;
    const struct hf_filter *filter;     /* q's, NULL when it takes every record */
    struct hf_decode_stop *stop;
    uint64_t max_groups;            /* this thread's share of q->max_groups; 0: none */
    bool hide_ignored;              /* the first table hides ignored names */
    bool more_hide[HF_QUERY_MORE_MAX];  /* ...and each of q->more */
    bool any_hide;
    struct hf_agg *agg;
    struct hf_agg *more[HF_QUERY_MORE_MAX];
    struct hf_convs *convs;
    uint64_t matched, ignored;      /* of the first table */
    bool counts_records;            /* false: another worker counts matched, ignored */
    bool shared;                    /* its tables hold a share of the keys (aggregate.h) */
};

/* stop->flag when a worker holds more groups than its share */
#define HF_QUERY_STOP_GROUPS (HF_DECODE_STOP_TIME + 1)

/* n workers for q (their tables made); hide: the ignore list applies. */
struct hf_query_worker *hf_query_workers_new(const struct hf_query *q, unsigned n,
                                             struct hf_decode_stop *stop);

/* Counts r (already within the window and through the filter) from the
 * store source 'source', received by collector (NULL: the query's), into
 * w's tables or conversations; sums: what r stands for when it is a group
 * of records (tables only), NULL: r's own. */
void hf_query_worker_take(struct hf_query_worker *w, const hf_flow_record_t *r,
                          const char *source, const char *collector,
                          const struct hf_sums *sums);

/* Merges the n workers into res (agg, more, convs, matched, ignored) and
 * frees them. */
void hf_query_workers_finish(struct hf_query_worker *w, unsigned n,
                             struct hf_query_result *res);

/* "names on the ignore list: hidden" for --explain, when they are. */
bool hf_query_hides_names(const struct hf_query *q);

/* query/clickhouse_query.c: q answered by ClickHouse (q->clickhouse). */
bool hf_ch_query_run(const struct hf_query *q, struct hf_query_result *res, GError **err);

#endif
