/* RRD files of the collector's time series (issue 15), librrd:
 *
 *   STORE/.rrd/PROFILE/SOURCE.rrd      PROFILE "live" = all traffic;
 *                                      SOURCE "_total" = all sources
 *
 * Step = the store's slot length.  Twelve GAUGE data sources, per-second
 * rates over the slot (count in the slot / slot seconds), heartbeat
 * 2 x step, min 0 (hf_rrd_ds_names); AVERAGE and MAX archives of 1 step x
 * 600 rows, 6 x 700, 24 x 775 and 288 x 797 (NfSen's).  The web view
 * reads exactly this: keep it. */
#ifndef HOSTFLOW_RRD_FILES_H
#define HOSTFLOW_RRD_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "proto.h"

#define HF_RRD_DIR ".rrd"
#define HF_RRD_LIVE "live"
#define HF_RRD_TOTAL "_total"

enum { HF_RRD_TCP, HF_RRD_UDP, HF_RRD_ICMP, HF_RRD_OTHER, HF_RRD_NPROTO };

/* Counts of one slot: flows, packets, bytes per protocol class. */
struct hf_rrd_sums {
    uint64_t flows[HF_RRD_NPROTO], packets[HF_RRD_NPROTO], bytes[HF_RRD_NPROTO];
};

#define HF_RRD_NDS 12
extern const char *const hf_rrd_ds_names[HF_RRD_NDS];

/* tcp, udp, icmp (ICMP and ICMPv6), other */
static inline unsigned
hf_rrd_proto_class(uint8_t proto)
{
    return proto == HF_PROTO_TCP ? HF_RRD_TCP : proto == HF_PROTO_UDP ? HF_RRD_UDP
         : hf_proto_is_icmp(proto) ? HF_RRD_ICMP : HF_RRD_OTHER;
}

struct hf_rrd_stats {
    uint64_t updates;           /* slot values written */
    uint64_t skipped_old;       /* slot end not after the file's last update */
    uint64_t errors;            /* failed creates and updates */
    uint64_t late_records;      /* records of a slot already written (not drawn) */
};

/* Writer of the RRD files under one directory (STORE/.rrd or a fresh one
 * for a rebuild).  daemon: an rrdcached address for the updates, or NULL. */
struct hf_rrd_files;

struct hf_rrd_files *hf_rrd_files_new(const char *dir, uint32_t step, const char *daemon);
void hf_rrd_files_free(struct hf_rrd_files *f);

/* Writes the slot [start, start + step) of PROFILE/SOURCE: created on first
 * need; the time since the file's last update, if it ends before the slot,
 * is written unknown first (a restart, a clock jump: never a rate spread
 * over the down-time), then the slot's values at its END.  A slot not after
 * the last update is skipped and counted.  sums NULL: unknown. */
void hf_rrd_files_write(struct hf_rrd_files *f, const char *profile, const char *source,
                        uint64_t start_s, const struct hf_rrd_sums *sums);

struct hf_rrd_stats hf_rrd_files_stats(const struct hf_rrd_files *f);

/* Profile and source names become path components: plain ones only. */
bool hf_rrd_name_ok(const char *name);

#endif
