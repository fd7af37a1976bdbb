/* The query engine's reader of the collector's store (issue 14): which
 * files cover a time window, and every flow record of them, decoded fast
 * (store_decode.h) on several threads.
 *
 *   STORE/SOURCE/YYYY/MM/DD/flows-YYYYMMDDhhmm[-N].ipfix     slot files
 *   STORE/.hourly/SOURCE/YYYY/MM/hourly-YYYYMMDDhh.ipfix     hourly summaries
 *
 * Files are named by arrival slot (or the hour of the slots summarised);
 * a record's own times (flowStartMilliseconds) can be earlier than its
 * file's slot, and filtering records by time is the caller's. */
#ifndef HOSTFLOW_QUERY_STORE_SCAN_H
#define HOSTFLOW_QUERY_STORE_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "flow_record.h"
#include "store_decode.h"

struct hf_scan_file {
    char *path;
    char *source;
    uint64_t start_ms;          /* slot (hour) start, UTC */
    uint64_t end_ms;            /* hourly: start + 1 h.  Slot files: the
                                   latest their slot can end (the slot
                                   length is not in the names): the source's
                                   next slot start, at most a day later */
    bool hourly;
    uint64_t size;              /* bytes, when listed */
};

/* The files covering [from_ms, to_ms) of the given sources (NULL-terminated
 * list; NULL = all), slot files (hourly=false) or hourly summaries
 * (hourly=true), oldest first (then by source and name).  A file is
 * included when its slot (hour) can overlap the window: start < to_ms and
 * end_ms > from_ms -- for slot files exactly hf_store_files()'s choice.
 * Free with g_ptr_array_unref. */
GPtrArray *hf_scan_files(const char *store, const char *const *sources, uint64_t from_ms,
                         uint64_t to_ms, bool hourly);

/* r's string fields (fbVarfield_t) point into the file's mapping: valid
 * only during the call. */
typedef void (*hf_scan_record_fn)(void *ctx, const hf_flow_record_t *r,
                                  const struct hf_scan_file *f);

/* Which of n records a reader wants (hf_scan_reader): their indices
 * (ascending) into keep, their number returned. */
typedef uint32_t (*hf_scan_select_fn)(void *ctx, const hf_flow_record_t *recs, uint32_t n,
                                      uint32_t *keep, const struct hf_scan_file *f);

/* The records recs[keep[0..n)] (a chunk read from a file's columns; one
 * record at a time from an IPFIX file). */
typedef void (*hf_scan_batch_fn)(void *ctx, const hf_flow_record_t *recs, const uint32_t *keep,
                                 uint32_t n, const struct hf_scan_file *f);

/* What hf_scan_run_fields reads and for whom. */
struct hf_scan_reader {
    uint32_t groups;            /* the fields needed (enum hf_cols_group, columns.h);
                                   0: the IPFIX files only, every field */
    uint32_t first;             /* the fields select reads (filled before it) */
    hf_scan_select_fn select;   /* NULL: every record */
    hf_scan_batch_fn fn;
    bool every_thread;          /* each thread reads every file, for a caller
                                   that shares the work out by key (each
                                   thread its own keys); the stats count the
                                   files once */
};

struct hf_scan_stats {
    uint64_t files;             /* files read (bad ones included) */
    uint64_t bytes;             /* their sizes */
    uint64_t records;           /* flow records delivered */
    uint64_t options_records;   /* options records (exporter statistics) skipped */
    uint64_t files_bad;         /* damaged, unreadable or not IPFIX */
    uint64_t columns_files;     /* read from their columns (columns.h) */
    bool stopped;               /* stopped early (hf_scan_run_until): not all read */
};

/* Reads every flow record of files (struct hf_scan_file *, as
 * hf_scan_files() gives) on nthreads threads (0 = the number of cores),
 * file by file: a file is read by one thread, its records in file order,
 * each passed to fn(ctxs[thread], ...) (ctxs has nthreads entries, or
 * g_get_num_processors() for 0; ctxs NULL: fn gets NULL).  Files are
 * taken in the order given, so with one thread records come in that order.
 *
 * A damaged or unknown file (unreadable, not IPFIX, cut short, a malformed
 * set or record, a data set without its template) is reported with one
 * g_warning naming it and why, counted in files_bad, and the rest of it
 * skipped: the whole records before the damage HAVE been delivered (as
 * the collector's crash recovery keeps them).  Never crashes on any bytes.
 *
 * Decodes exactly what hf_ipfix_reader_next() (libfixbuf) gives for the
 * same files.  Returns false (err) only when it cannot start; st (may be
 * NULL) is zeroed and filled. */
bool hf_scan_run(GPtrArray *files, unsigned nthreads, hf_scan_record_fn fn, void **ctxs,
                 struct hf_scan_stats *st, GError **err);

/* The same, stopping early when stop says so (store_decode.h: a flag fn
 * may set, a deadline), checked before each file and each IPFIX message;
 * st->stopped tells, and stop->flag why (being stopped is no error). */
bool hf_scan_run_until(GPtrArray *files, unsigned nthreads, hf_scan_record_fn fn,
                       void **ctxs, struct hf_decode_stop *stop, struct hf_scan_stats *st,
                       GError **err);

/* The same, reading a slot file from its columns (columns.h) where it has
 * them: only the fields of rd->groups are filled then, the others zero;
 * the fields of rd->first are filled for every record, rd->select chooses
 * records, and the other fields are filled for the chosen alone.  (The
 * calls above take every field, from the columns where there are some.)
 * Records come to rd->fn in chunks. */
bool hf_scan_run_fields(GPtrArray *files, unsigned nthreads, const struct hf_scan_reader *rd,
                        void **ctxs, struct hf_decode_stop *stop, struct hf_scan_stats *st,
                        GError **err);

#endif
