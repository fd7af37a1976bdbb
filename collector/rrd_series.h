/* The collector's time series (issue 15): per (profile, source) sums of
 * every slot, from the records the write thread stores, written to the RRD
 * files (rrd_files.h) once the slot is complete.
 *
 * A record counts in the slot of its arrival, as in the store; flows are
 * hf_flow_count(), packets and bytes are scaled by the sampling interval
 * (hf_flow_scale), split into tcp, udp, icmp (ICMP and ICMPv6) and other.
 * Profile "live" takes every record, the others those their filter
 * matches.  Written only what is known:
 *
 *  - a slot is written once complete (2 s after its end, for the records
 *    still queued), never the slot being filled, nor the slot in which the
 *    collector started or stopped (partly not collected), nor the slots of
 *    a clock jump (wall clock and monotonic clock disagree by over 5 s);
 *  - a source gets a value, zero included, for every complete slot from
 *    the one in which it was first seen in this run: a seen source that
 *    sent nothing while the collector ran sent nothing.  _total gets one
 *    once any source was seen;
 *  - the time between a file's last update and the next slot written is
 *    written unknown (rrd_files.h): a restart leaves its down-time unknown;
 *  - a record of a slot already written (late by over 2 s) is counted in
 *    late_records, not drawn. */
#ifndef HOSTFLOW_RRD_SERIES_H
#define HOSTFLOW_RRD_SERIES_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "filter.h"
#include "flow_record.h"
#include "names.h"
#include "rrd_files.h"

/* One profile: name and filter (NULL = every record, "live"). */
struct hf_rrd_profile_def {
    const char *name;
    const struct hf_filter *filter;
};

struct hf_rrd_series;

/* profiles[0..n): the series draws them into STORE/.rrd; names: the
 * domains and devices their filters' domain and device terms read (may be
 * NULL); both borrowed, must outlive the series.  now_ms: the time the
 * collector started. */
struct hf_rrd_series *hf_rrd_series_new(const char *store_dir, uint32_t step,
                                        const char *daemon,
                                        const struct hf_rrd_profile_def *profiles,
                                        unsigned n, const struct hf_names *names,
                                        uint64_t now_ms);

/* A record the store took, of source, arrived at now_ms. */
void hf_rrd_series_add(struct hf_rrd_series *s, const char *source,
                       const hf_flow_record_t *rec, uint64_t now_ms);

/* Writes the slots complete at now_ms (call about once a second). */
void hf_rrd_series_tick(struct hf_rrd_series *s, uint64_t now_ms);

/* At stop, every record drained: writes the slots ended by now_ms (the
 * open slot is not drawn). */
void hf_rrd_series_finish(struct hf_rrd_series *s, uint64_t now_ms);
void hf_rrd_series_free(struct hf_rrd_series *s);

struct hf_rrd_stats hf_rrd_series_stats(const struct hf_rrd_series *s);

/* Adds rec to sums[0..n) for each profile that takes it (names: as for
 * hf_rrd_series_new, the same the queries use: query.h). */
void hf_rrd_sums_add(struct hf_rrd_sums *sums, const struct hf_rrd_profile_def *profiles,
                     unsigned n, const struct hf_names *names, const char *source,
                     const hf_flow_record_t *rec);

#endif
