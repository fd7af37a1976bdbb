/* What the store's files share (store.h is the API):
 *
 *   store.c          the store itself: slots, add, rotate, flush, expire
 *   store_layout.c   names in the layout, placing a file under a free name,
 *                    walking the tree, listing the complete files
 *   store_recover.c  crash recovery: temp files completed, damaged set aside
 *   store_writer.c   the IPFIX file a slot (or a recovery) writes
 *
 * Names (UTC):
 *   flows-YYYYMMDDhhmm[-N].ipfix          complete slot file
 *   .flows-YYYYMMDDhhmm[-N].ipfix.tmp     slot being written (N: a second
 *                                         temp file of the same slot, e.g.
 *                                         after a write error)
 *   .flows-YYYYMMDDhhmm[-N].ipfix.rec     recovery output being written;
 *                                         removed when found at open */
#ifndef HOSTFLOW_STORE_INT_H
#define HOSTFLOW_STORE_INT_H

#include "store.h"

#include <stdio.h>

#include "flow_encode.h"
#include "flow_messages.h"
#include "rate_log.h"

#define MAX_SEQ       100000    /* -N suffixes tried before giving up */

/* A file of the layout: a complete slot, an open one (.flows-T.ipfix.tmp),
 * a recovery's output, or a side file's temporary name (a write of its
 * columns cut short: .flows-T.cols-XXXXXX, store_fs.c). */
enum kind { K_NONE, K_FINAL, K_TMP, K_REC, K_SIDE_TMP };

/* Classes of faults, each logged rate-limited (common/rate_log.h). */
enum fault {
    F_WRITE,                    /* a slot's file could not be written */
    F_REFUSED,                  /* records refused: slot failed, bad source */
    F_COMPLETE,                 /* a slot's file could not be completed */
    F_RECOVER,                  /* crash recovery could not finish a file */
    F_EXPIRE,                   /* retention could not remove a file */
    F_COUNT
};

/* An IPFIX file being written: the templates through libfixbuf, the
 * records through hf_flow_messages (libfixbuf's bytes for a third of the
 * instructions: see flow_encode.h). */
struct writer {
    char *path;
    FILE *fp;
    fBuf_t *fbuf;               /* owns session and exporter */
    struct hf_flow_messages *msgs;
    uint64_t good;              /* file length after the last good flush */
    uint64_t msg_bytes;         /* of messages written so far */
    /* a busy file's messages gather here and go out in big writes that
     * end on page boundaries (store_writer.c); NULL until it is busy */
    uint8_t *bulk;
    size_t bulk_len;
    uint8_t *small;             /* a quiet file's message, before it is busy */
    size_t need;                /* room a message is built in */
    uint64_t bulk_at;           /* file offset of bulk[0] */
};

struct slot {
    char *source;               /* hash key */
    const char *interned;       /* g_intern_string(source): callers that
                                 * pass interned names skip the strcmp */
    uint64_t start_s;
    uint64_t end_ms;            /* (start_s + slot length) in ms: records
                                 * before it go here, no division asked */
    char stamp[32];
    char *dir;                  /* DIR/SOURCE/YYYY/MM/DD */
    struct writer w;            /* w.fp == NULL: failed (or not open) */
    bool failed;
    uint64_t retry_ms;
    char *error;                /* the failure, for records refused since */
    uint64_t pending;           /* records added since the last good flush */
};

struct hf_store {
    /* the last record's slot: records come in runs per exporter, so most
     * skip the name check and the lookup */
    struct slot *last_slot;
    char *dir;
    int lock_fd;
    uint32_t slot_seconds;
    uint32_t max_age_days;
    uint64_t max_bytes;
    fbInfoModel_t *model;
    struct hf_flow_encoder *enc;
    GHashTable *slots;          /* source -> struct slot */
    uint64_t now_ms;            /* latest time seen */
    struct hf_store_stats st;
    struct hf_rate_log log[F_COUNT];
    void (*completed)(void *ctx, const char *path);
    void *completed_ctx;
};

/* A file found in the tree. */
struct entry {
    char *path;
    char *rel;                  /* relative to DIR */
    char *dirpath;
    char *source;               /* first component of rel */
    enum kind kind;
    uint64_t start_s;
    unsigned seq;
    uint64_t size;
    uint64_t side_size;         /* its side file's (K_FINAL) */
    int64_t mtime_ns;
    int depth;                  /* directories below DIR: 4 in the layout */
};

/* ---- errors (store.c) ------------------------------------------------ */

static inline void
store_set_errno(GError **err, int e, const char *what, const char *path)
{
    g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s %s: %s",
                what, path, g_strerror(e));
}

/* Logs a fault of class f: the first at once, then a summary a minute. */
void store_fault(struct hf_store *s, enum fault f, const GError *e);

/* ---- names and the tree (store_layout.c) ----------------------------- */

bool store_source_ok(const char *src);
void store_set_source_error(GError **err, const char *src);

/* YYYYMMDDhhmm and YYYY/MM/DD (ymd may be NULL) of a slot start. */
void store_slot_names(uint64_t start_s, char stamp[32], char ymd[32]);

/* PREFIXflows-STAMP[-SEQ].EXT */
char *store_seq_name(const char *prefix, const char *stamp, unsigned seq,
                     const char *ext);

/* rename() that fails with EEXIST instead of replacing to. */
int store_rename_noreplace(const char *from, const char *to);

/* Renames from to DIRPATH/flows-STAMP[-N].ipfix, the first that is free. */
bool store_place_final(const char *from, const char *dirpath, char **final,
                       const char *stamp, GError **err);

/* Collects the layout's files (struct entry) under path (rel: its path
 * relative to DIR, "" for DIR itself).  Skips dot directories (DIR/.damaged
 * among them) and symbolic links. */
void store_walk(const char *path, const char *rel, int depth, GPtrArray *out);

/* Files of one source (NULL: all) in the layout DIR/SOURCE/YYYY/MM/DD. */
GPtrArray *store_scan(const char *dir, const char *source);

void store_entry_free(gpointer p);

/* By slot start, source, sequence number, path. */
gint store_entry_cmp(gconstpointer a, gconstpointer b);

/* ---- writing IPFIX files (store_writer.c) ---------------------------- */

/* Creates DIRPATH/.flows-STAMP[-N].EXT (never an existing file) and starts
 * an IPFIX stream in it whose messages carry export time extime. */
bool store_writer_open(struct hf_store *s, struct writer *w,
                       const char *dirpath, const char *stamp, const char *ext,
                       uint32_t extime, GError **err);
/* Inline: the store adds every record through it. */
static inline bool
store_writer_add(struct writer *w, const hf_flow_record_t *rec, GError **err)
{
    if (!hf_flow_messages_add(w->msgs, rec, err)) {
        g_prefix_error(err, "%s: ", w->path);
        return false;
    }
    return true;
}
bool store_writer_flush(struct writer *w, GError **err);

/* Writes out, syncs and closes; the writer is closed either way. */
bool store_writer_finish(struct writer *w, GError **err);

/* Closes without writing out (the path is kept). */
void store_writer_abort(struct writer *w);

/* Closes without writing out and forgets the path. */
void store_writer_clear(struct writer *w);

/* ---- recovery (store_recover.c) -------------------------------------- */

/* Completes what a crash left under the store's directory: every temp file
 * read to its last whole record into a complete slot file, the original
 * removed, or moved under DIR/.damaged when it was cut short. */
void store_recover(struct hf_store *s);

#endif
