/* Hourly roll-up: every complete hour of a source's raw slot files is
 * summarised into one IPFIX file of hf_flow_record_t summaries, kept long
 * after the raw flows expire (a year by default), so that long-range reports
 * stay fast, as Pakon archives its flows:
 *
 *   DIR/.hourly/SOURCE/YYYY/MM/hourly-YYYYMMDDhh.ipfix
 *
 * One summary per (direction, client address, client MAC, service port,
 * protocol, hostname, application) and hour, with the sums of bytes and
 * packets (scaled up by the sampling interval) and the number of flows in
 * deltaFlowCount.  The client is the side with the higher port (the
 * service's port is the lower one; equal ports, or none: the lower
 * address), as common/flow_rules.h says for every part of hostflow.
 * A summary keeps the unidirectional meaning of the flows it sums:
 *   client -> service: source = client, destination port = service port
 *   service -> client: destination = client, source port = service port
 * and the other address and port are zero.
 *
 * A record belongs to the hour its slot started in (slots are arrival time),
 * so an hour is summarised once its last slot is complete.  A summary is
 * rewritten when a raw file of its hour is newer than it (a file recovered
 * after a crash). */
#ifndef HOSTFLOW_ROLLUP_H
#define HOSTFLOW_ROLLUP_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define HF_ROLLUP_DIR ".hourly"

struct hf_rollup_config {
    const char *store_dir;
    uint32_t slot_seconds;      /* the store's; an hour is complete when the
                                   slot holding its last second has closed */
    uint32_t max_age_days;      /* summaries kept (default 365); 0 = for ever */
};

struct hf_rollup_stats {
    uint64_t passes;
    uint64_t hours_written;     /* summary files written (or rewritten) */
    uint64_t flows_read;        /* raw records summarised */
    uint64_t summaries;         /* summary records written */
    uint64_t files_unreadable;  /* raw files that ended in an error */
    uint64_t files_expired;     /* summary files removed by age */
    uint64_t write_errors;
};

struct hf_rollup;

struct hf_rollup *hf_rollup_new(const struct hf_rollup_config *cfg,
                                GError **err);
void hf_rollup_free(struct hf_rollup *r);

/* One pass at wall time now_ms: summarises every complete hour whose
 * summary is missing or older than its raw files, then removes summaries
 * past max_age_days.  *stop (if not NULL) set to non-zero ends the pass
 * between hours.  False when another process holds the roll-up lock. */
bool hf_rollup_run(struct hf_rollup *r, uint64_t now_ms, volatile gint *stop);

struct hf_rollup_stats hf_rollup_stats(const struct hf_rollup *r);

/* A low-priority thread that runs a pass at start and every interval_s;
 * stop ends it between hours.  The stats are read under its lock. */
void hf_rollup_start(struct hf_rollup *r, uint32_t interval_s);
void hf_rollup_stop(struct hf_rollup *r);

/* A summary file of the store. */
struct hf_rollup_file {
    char *path;
    char *source;
    uint64_t hour_s;            /* UTC */
    int64_t mtime_ns;
};

/* Summary files of a source (NULL = all) whose hour starts in
 * [from_ms, to_ms), oldest first.  Free with g_ptr_array_unref. */
GPtrArray *hf_rollup_list(const char *store_dir, const char *source,
                          uint64_t from_ms, uint64_t to_ms);

#endif
