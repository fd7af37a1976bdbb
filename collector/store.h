/* The flow store: every flow the collector accepts, in rotating IPFIX files
 * (RFC 5655), one per source and time slot, in a dated tree (UTC):
 *
 *   DIR/SOURCE/YYYY/MM/DD/flows-YYYYMMDDhhmm.ipfix      complete slots
 *   DIR/SOURCE/YYYY/MM/DD/.flows-YYYYMMDDhhmm.ipfix.tmp  the slot being written
 *   DIR/.damaged/...                                      what recovery set aside
 *
 * A record goes to the slot of its arrival time (as nfcapd does), so a
 * slot's file is complete once its time has passed.  A slot is written under
 * the temporary name and renamed when complete; an existing slot file is
 * never overwritten (a second file gets the suffix -1, -2...). */
#ifndef HOSTFLOW_STORE_H
#define HOSTFLOW_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "flow_record.h"

struct hf_store_config {
    const char *dir;
    uint32_t slot_seconds;      /* default 300 */
    uint32_t max_age_days;      /* retention by age; 0 = keep (default 28) */
    uint64_t max_bytes;         /* retention by size (side files included); 0 = no cap */
    /* called with each slot file's path once it is complete (on the
     * thread that added its records or rotated it); may be NULL */
    void (*completed)(void *ctx, const char *path);
    void *completed_ctx;
};

/* Every record hf_store_add() took is in one of records, records_buffered
 * and records_write_failed; those it refused (false) are the caller's to
 * count. */
struct hf_store_stats {
    uint64_t records;           /* written to a slot's file (flushed) */
    uint64_t records_buffered;  /* taken, not yet written */
    uint64_t records_write_failed;  /* taken, lost with a failed write */
    uint64_t files_completed;
    uint64_t files_recovered;   /* temp files left by a crash, completed */
    uint64_t files_damaged;     /* set aside under .damaged */
    uint64_t records_recovered;
    uint64_t files_expired;     /* removed by retention */
    uint64_t write_errors;      /* failed file operations */
};

struct hf_store;

/* Creates DIR if needed and recovers what a crash left: every temp file is
 * read to its last whole record, written as a complete slot file, and the
 * original moved under DIR/.damaged when it was cut short. */
struct hf_store *hf_store_open(const struct hf_store_config *cfg, GError **err);

/* Appends one record for source at arrival time now_ms (UTC ms); false
 * (err set, the fault logged) if it is refused: a bad source name, a slot
 * that failed within the last 10 s, a failed write, a record no template
 * fits.  An interned source (g_intern_string) is matched to the last
 * record's slot by its pointer, any other by its text. */
bool hf_store_add(struct hf_store *s, const char *source,
                  const hf_flow_record_t *rec, uint64_t now_ms, GError **err);

/* Completes every slot that ended before now_ms (call ~once a second). */
void hf_store_rotate(struct hf_store *s, uint64_t now_ms);

/* Flushes buffered records of open slots to disk (still temp files). */
void hf_store_flush(struct hf_store *s);

/* Retention: removes complete slot files older than max_age_days, then the
 * oldest files until the store fits max_bytes. */
void hf_store_expire(struct hf_store *s, uint64_t now_ms);

struct hf_store_stats hf_store_stats(const struct hf_store *s);

/* Faults are logged by class, the first at once and then one summary line
 * a minute (common/rate_log.h): logs the summaries due at now_ms (call
 * about once a second), or all pending ones with force. */
void hf_store_log_flush(struct hf_store *s, uint64_t now_ms, bool force);

/* Completes all open slots (SIGTERM) and frees. */
void hf_store_close(struct hf_store *s);

/* A complete slot file of the store. */
struct hf_store_file {
    char *path;
    char *source;
    uint64_t start_s;           /* slot start, UTC */
    uint64_t size;
    int64_t mtime_ns;           /* when it was completed (or recovered) */
};

/* Every complete slot file of a source (NULL = all sources), ordered by
 * slot start, then source.  Free with g_ptr_array_unref. */
GPtrArray *hf_store_list(const char *dir, const char *source);

/* The path of a slot file's side file: FLOWS.ipfix -> FLOWS.EXT (g_free
 * it).  The query engine keeps the slot's columns there (EXT "cols");
 * retention removes side files with their slot file. */
char *hf_store_side_path(const char *path, const char *ext);
#define HF_STORE_COLUMNS_EXT "cols"

/* Slot file paths covering [from_ms, to_ms) for a source (NULL = all),
 * oldest first; for reports.  Free with g_ptr_array_unref. */
GPtrArray *hf_store_files(const char *dir, const char *source,
                          uint64_t from_ms, uint64_t to_ms);

#endif
