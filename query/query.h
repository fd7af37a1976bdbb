/* The query engine: which files answer a query (raw 5-minute flows or the
 * hourly summaries), the records in its window that pass its filter, and
 * what it asks of them: groups by a key tuple (aggregate.h) or the
 * conversations (conversation.h).  hostflow-report, the web view and later
 * the ClickHouse back end (clickhouse_sql.h) all ask through here. */
#ifndef HOSTFLOW_QUERY_H
#define HOSTFLOW_QUERY_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "aggregate.h"
#include "conversation.h"
#include "filter.h"
#include "keys.h"
#include "names.h"
#include "store_scan.h"

enum hf_query_input {
    HF_INPUT_AUTO,      /* the hourly summaries when they can answer */
    HF_INPUT_FLOWS,     /* raw flows: slot files' columns where written */
    HF_INPUT_IPFIX,     /* raw flows, from the IPFIX files only */
    HF_INPUT_HOURLY,
};

#define HF_QUERY_MORE_MAX 8

struct hf_clickhouse_config;

struct hf_query {
    const char *store;
    /* not NULL: ClickHouse answers instead of the store's files (its
     * [clickhouse] url, database, table, user, password); input, threads
     * and store are then unused */
    const struct hf_clickhouse_config *clickhouse;
    /* the files' collector for the key "collector" (ClickHouse rows carry
     * their own); NULL: this host's name, as the sink's collector-name */
    const char *collector;
    const char *const *sources;     /* NULL-terminated; NULL = all */
    uint64_t from_ms, to_ms;        /* records that overlap [from, to) */
    const struct hf_filter *filter; /* NULL = every record */
    struct hf_key keys[HF_KEYS_MAX];
    unsigned nkeys;                 /* 0: conversations instead of groups */
    bool all_names;                 /* keep records whose name the ignore list matches
                                       (else hidden where names are shown: the
                                       timeline, tables by hostname or domain) */
    enum hf_query_input input;
    const struct hf_names *names;   /* may be NULL */
    unsigned threads;               /* 0 = the number of cores */
    /* bounds for a server (the web view); 0: none, as hostflow-report */
    gint64 deadline_us;             /* on g_get_monotonic_time(): stop reading then */
    uint64_t max_groups;            /* groups (conversations) held: stop beyond */
    /* more tables from the same scan (with nkeys > 0): a page of several
     * top-N tables reads the files once, not once per table */
    struct hf_key_set {
        struct hf_key keys[HF_KEYS_MAX];
        unsigned nkeys;             /* > 0 */
    } more[HF_QUERY_MORE_MAX];
    unsigned nmore;
};

enum hf_query_stop {
    HF_QUERY_COMPLETE,
    HF_QUERY_TIMED_OUT,             /* deadline_us passed */
    HF_QUERY_TOO_MANY_GROUPS,       /* max_groups reached */
};

struct hf_query_result {
    struct hf_agg *agg;             /* nkeys > 0 */
    struct hf_agg *more[HF_QUERY_MORE_MAX];   /* q->more's tables */
    struct hf_convs *convs;         /* nkeys == 0 */
    bool hourly;                    /* answered from the summaries */
    struct hf_scan_stats scan;
    uint64_t matched, ignored;      /* records counted, hidden by the ignore list */
    GString *explain;               /* how it was answered, for --explain */
    enum hf_query_stop stopped;     /* not COMPLETE: the answer is partial */
};

/* Runs q; false with err when the store cannot be read at all: unreadable,
 * or of a format newer than this build's, or with a damaged format marker
 * (store_format.h).  A damaged file is reported and skipped, not an error.
 * A query stopped by its bounds returns true with res->stopped saying why. */
bool hf_query_run(const struct hf_query *q, struct hf_query_result *res, GError **err);

void hf_query_result_clear(struct hf_query_result *res);

/* True when the hourly summaries can answer q: keys and filter within what
 * they keep, a window of whole hours, no conversations.  why: the reason
 * when not (static text). */
bool hf_query_summaries_fit(const struct hf_query *q, const char **why);

#endif
