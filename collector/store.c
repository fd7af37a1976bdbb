/* The flow store: see store.h for the layout.
 *
 * Each open slot (one per source) is an IPFIX file written through its own
 * libfixbuf buffer and session over a FILE* we own, so that it can be
 * flushed and synced.  Messages carry the slot's start as their export time,
 * so a slot's file depends only on its records and their order.
 *
 * Names (UTC):
 *   flows-YYYYMMDDhhmm[-N].ipfix          complete slot file
 *   .flows-YYYYMMDDhhmm[-N].ipfix.tmp     slot being written (N: a second
 *                                         temp file of the same slot, e.g.
 *                                         after a write error)
 *   .flows-YYYYMMDDhhmm[-N].ipfix.rec     recovery output being written;
 *                                         removed when found at open */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "flow_messages.h"
#include "infomodel.h"
#include "ipfix_reader.h"
#include "ipfix_writer.h"
#include "rate_log.h"
#include "store_fs.h"
#include "store_salvage.h"

#define DAMAGED_DIR   ".damaged"
#define RETRY_MS      10000     /* after a write error, wait before retrying */
#define MAX_SEQ       100000    /* -N suffixes tried before giving up */
#define MAX_SOURCE    200
#define MAX_DEPTH     8         /* recovery walk */

enum kind { K_NONE, K_FINAL, K_TMP, K_REC };

/* Classes of faults, each logged rate-limited (common/rate_log.h). */
enum fault {
    F_WRITE,                    /* a slot's file could not be written */
    F_REFUSED,                  /* records refused: slot failed, bad source */
    F_COMPLETE,                 /* a slot's file could not be completed */
    F_RECOVER,                  /* crash recovery could not finish a file */
    F_EXPIRE,                   /* retention could not remove a file */
    F_COUNT
};

static const char *const fault_name[F_COUNT] = {
    "store write failure", "store records refused",
    "store slot completion failure", "store recovery failure",
    "store retention failure",
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
};

struct slot {
    char *source;               /* hash key */
    uint64_t start_s;
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
    int64_t mtime_ns;
    int depth;                  /* directories below DIR: 4 in the layout */
};

/* ---- errors ---------------------------------------------------------- */

static void
set_errno(GError **err, int e, const char *what, const char *path)
{
    g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s %s: %s",
                what, path, g_strerror(e));
}

/* Logs a fault of class f: the first at once, then a summary a minute. */
static void
fault(struct hf_store *s, enum fault f, const GError *e)
{
    hf_rate_log(&s->log[f], hf_wall_ms(), "%s", e->message);
}

/* ---- names ----------------------------------------------------------- */

static bool
source_ok(const char *src)
{
    size_t n;

    if (!src || !src[0] || src[0] == '.')
        return false;
    n = strlen(src);
    if (n > MAX_SOURCE || strchr(src, '/') || strstr(src, ".."))
        return false;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    }
    return true;
}

static void
set_source_error(GError **err, const char *src)
{
    char *esc = src ? g_strescape(src, NULL) : g_strdup("(null)");

    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "invalid source name \"%s\" (empty, '/', '..' or leading '.')",
                esc);
    g_free(esc);
}

/* YYYYMMDDhhmm and YYYY/MM/DD of a slot start. */
static void
slot_names(uint64_t start_s, char stamp[32], char ymd[32])
{
    time_t t = (time_t)start_s;
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(stamp, 32, "%04d%02d%02d%02d%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
    if (ymd)
        snprintf(ymd, 32, "%04d/%02d/%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday);
}

static int
digits(const char *p, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

static bool
parse_stamp(const char *p, uint64_t *start_s)
{
    struct tm tm, back;
    int y = digits(p, 4), mo = digits(p + 4, 2), d = digits(p + 6, 2);
    int h = digits(p + 8, 2), mi = digits(p + 10, 2);
    time_t t;

    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23
        || mi < 0 || mi > 59)
        return false;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    t = timegm(&tm);
    if (t < 0 || !gmtime_r(&t, &back) || back.tm_mday != d
        || back.tm_mon != mo - 1)
        return false;
    *start_s = (uint64_t)t;
    return true;
}

/* Classifies a file name of the layout. */
static enum kind
parse_name(const char *name, uint64_t *start_s, unsigned *seq)
{
    const char *p, *q;
    enum kind k;

    if (g_str_has_prefix(name, "flows-")) {
        p = name + 6;
        k = K_FINAL;
    } else if (g_str_has_prefix(name, ".flows-")) {
        p = name + 7;
        k = K_TMP;
    } else {
        return K_NONE;
    }
    if (strlen(p) < 12 || !parse_stamp(p, start_s))
        return K_NONE;
    q = p + 12;
    *seq = 0;
    if (*q == '-') {
        unsigned v = 0;
        int n = 0;
        q++;
        if (*q == '0')
            return K_NONE;
        while (*q >= '0' && *q <= '9' && n < 6) {
            v = v * 10 + (unsigned)(*q++ - '0');
            n++;
        }
        if (n == 0)
            return K_NONE;
        *seq = v;
    }
    if (k == K_FINAL)
        return strcmp(q, ".ipfix") == 0 ? K_FINAL : K_NONE;
    if (strcmp(q, ".ipfix.tmp") == 0)
        return K_TMP;
    if (strcmp(q, ".ipfix.rec") == 0)
        return K_REC;
    return K_NONE;
}

static char *
seq_name(const char *prefix, const char *stamp, unsigned seq, const char *ext)
{
    return seq ? g_strdup_printf("%sflows-%s-%u.%s", prefix, stamp, seq, ext)
               : g_strdup_printf("%sflows-%s.%s", prefix, stamp, ext);
}

/* ---- files ----------------------------------------------------------- */

/* rename() that fails with EEXIST instead of replacing to. */
static int
rename_noreplace(const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return -1;
#endif
    if (link(from, to) != 0)
        return -1;
    if (unlink(from) != 0) {
        int e = errno;
        unlink(to);
        errno = e;
        return -1;
    }
    return 0;
}

/* Renames from to DIRPATH/flows-STAMP[-N].ipfix, the first that is free. */
static bool
place_final(const char *from, const char *dirpath, const char *stamp,
            GError **err)
{
    for (unsigned seq = 0; seq < MAX_SEQ; seq++) {
        char *name = seq_name("", stamp, seq, "ipfix");
        char *to = g_build_filename(dirpath, name, NULL);
        int rc = rename_noreplace(from, to), e = errno;

        g_free(name);
        if (rc == 0) {
            g_free(to);
            return hf_fsync_dir(dirpath, err);
        }
        if (e != EEXIST) {
            set_errno(err, e, "cannot rename to", to);
            g_free(to);
            return false;
        }
        g_free(to);
    }
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                "%s: no free name for slot %s", dirpath, stamp);
    return false;
}

/* ---- writing IPFIX files --------------------------------------------- */

static void
writer_abort(struct writer *w)
{
    if (w->fbuf)
        fBufFree(w->fbuf);
    if (w->fp)
        fclose(w->fp);
    hf_flow_messages_free(w->msgs);
    w->msgs = NULL;
    w->fbuf = NULL;
    w->fp = NULL;
}

static void
writer_clear(struct writer *w)
{
    writer_abort(w);
    g_free(w->path);
    w->path = NULL;
}

/* Creates DIRPATH/.flows-STAMP[-N].EXT (never an existing file) and starts
 * an IPFIX stream in it whose messages carry export time extime. */
static bool
writer_open(struct hf_store *s, struct writer *w, const char *dirpath,
            const char *stamp, const char *ext, uint32_t extime, GError **err)
{
    fbSession_t *session;
    int fd = -1;

    memset(w, 0, sizeof(*w));
    if (g_mkdir_with_parents(dirpath, 0755) != 0) {
        set_errno(err, errno, "cannot create directory", dirpath);
        return false;
    }
    for (unsigned seq = 0; seq < MAX_SEQ && fd < 0; seq++) {
        char *name = seq_name(".", stamp, seq, ext);

        g_free(w->path);
        w->path = g_build_filename(dirpath, name, NULL);
        g_free(name);
        fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) {
            set_errno(err, errno, "cannot create", w->path);
            goto fail;
        }
    }
    if (fd < 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s: no free temporary name for slot %s", dirpath, stamp);
        goto fail;
    }
    w->fp = fdopen(fd, "wb");
    if (!w->fp) {
        set_errno(err, errno, "cannot open", w->path);
        close(fd);
        goto fail_unlink;
    }
    session = hf_ipfix_flow_session(s->model, 0, 0, err);
    if (!session)
        goto fail_unlink;
    w->fbuf = fBufAllocForExport(session, fbExporterAllocFP(w->fp));
    /* 0 would mean "the clock" */
    fBufSetExportTime(w->fbuf, extime ? extime : 1);
    if (!fbSessionExportTemplates(session, err) || !fBufEmit(w->fbuf, err)) {
        g_prefix_error(err, "%s: ", w->path);
        goto fail_unlink;
    }
    w->msgs = hf_flow_messages_new(s->enc, w->fp, extime ? extime : 1, 0);
    return true;

fail_unlink:
    writer_abort(w);
    unlink(w->path);
fail:
    g_free(w->path);
    w->path = NULL;
    return false;
}

static bool
writer_add(struct writer *w, const hf_flow_record_t *rec, GError **err)
{
    if (!hf_flow_messages_add(w->msgs, rec, err)) {
        g_prefix_error(err, "%s: ", w->path);
        return false;
    }
    return true;
}

static bool
writer_flush(struct writer *w, GError **err)
{
    if (!hf_flow_messages_end(w->msgs, err)) {
        g_prefix_error(err, "%s: ", w->path);
        return false;
    }
    if (fflush(w->fp) != 0) {
        set_errno(err, errno, "cannot write", w->path);
        return false;
    }
    off_t at = ftello(w->fp);
    if (at >= 0)
        w->good = (uint64_t)at;
    return true;
}

/* Writes out, syncs and closes; the writer is closed either way. */
static bool
writer_finish(struct writer *w, GError **err)
{
    bool ok = writer_flush(w, err);

    if (ok && fsync(fileno(w->fp)) != 0) {
        set_errno(err, errno, "cannot sync", w->path);
        ok = false;
    }
    fBufFree(w->fbuf);
    w->fbuf = NULL;
    hf_flow_messages_free(w->msgs);
    w->msgs = NULL;
    if (fclose(w->fp) != 0 && ok) {
        set_errno(err, errno, "cannot close", w->path);
        ok = false;
    }
    w->fp = NULL;
    return ok;
}

/* ---- walking the tree ------------------------------------------------ */

static void
entry_free(gpointer p)
{
    struct entry *e = p;

    g_free(e->path);
    g_free(e->rel);
    g_free(e->dirpath);
    g_free(e->source);
    g_free(e);
}

/* Collects the layout's files under path (rel: its path relative to DIR,
 * "" for DIR itself).  Skips dot directories (DIR/.damaged among them) and
 * symbolic links. */
static void
walk(const char *path, const char *rel, int depth, GPtrArray *out)
{
    GDir *d;
    const char *name;

    if (depth > MAX_DEPTH || !(d = g_dir_open(path, 0, NULL)))
        return;
    while ((name = g_dir_read_name(d))) {
        char *child = g_build_filename(path, name, NULL);
        char *crel = rel[0] ? g_build_filename(rel, name, NULL)
                            : g_strdup(name);
        struct stat st;
        uint64_t start_s;
        unsigned seq;
        enum kind k;

        if (lstat(child, &st) != 0) {
            /* vanished */
        } else if (S_ISDIR(st.st_mode)) {
            if (name[0] != '.')
                walk(child, crel, depth + 1, out);
        } else if (S_ISREG(st.st_mode) && depth > 0
                   && (k = parse_name(name, &start_s, &seq)) != K_NONE) {
            struct entry *e = g_new0(struct entry, 1);
            const char *slash = strchr(crel, '/');

            e->path = child;
            e->rel = crel;
            e->dirpath = g_strdup(path);
            e->source = g_strndup(crel, (gsize)(slash - crel));
            e->kind = k;
            e->start_s = start_s;
            e->seq = seq;
            e->size = (uint64_t)st.st_size;
            e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
            e->depth = depth;
            g_ptr_array_add(out, e);
            continue;
        }
        g_free(child);
        g_free(crel);
    }
    g_dir_close(d);
}

/* Files of one source (NULL: all) in the layout DIR/SOURCE/YYYY/MM/DD. */
static GPtrArray *
scan(const char *dir, const char *source)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(entry_free);

    if (source) {
        char *p = g_build_filename(dir, source, NULL);
        walk(p, source, 1, all);
        g_free(p);
    } else {
        walk(dir, "", 0, all);
    }
    /* keep the layout's depth only */
    for (guint i = all->len; i-- > 0;) {
        struct entry *e = g_ptr_array_index(all, i);
        if (e->depth != 4)
            g_ptr_array_remove_index_fast(all, i);
    }
    return all;
}

static gint
entry_cmp(gconstpointer a, gconstpointer b)
{
    const struct entry *x = *(struct entry *const *)a;
    const struct entry *y = *(struct entry *const *)b;
    int c;

    if (x->start_s != y->start_s)
        return x->start_s < y->start_s ? -1 : 1;
    if ((c = strcmp(x->source, y->source)) != 0)
        return c;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* ---- recovery -------------------------------------------------------- */

/* Moves a damaged temp file to DIR/.damaged/REL (never replacing). */
static bool
set_aside(struct hf_store *s, const struct entry *e, GError **err)
{
    char *target = g_build_filename(s->dir, DAMAGED_DIR, e->rel, NULL);
    char *tdir = g_path_get_dirname(target);
    bool ok = false;

    if (g_mkdir_with_parents(tdir, 0755) != 0) {
        set_errno(err, errno, "cannot create directory", tdir);
        goto out;
    }
    for (unsigned n = 0; n < MAX_SEQ; n++) {
        char *to = n ? g_strdup_printf("%s.%u", target, n) : g_strdup(target);
        int rc = rename_noreplace(e->path, to), errn = errno;

        g_free(to);
        if (rc == 0) {
            ok = hf_fsync_dir(tdir, err) && hf_fsync_dir(e->dirpath, err);
            goto out;
        }
        if (errn != EEXIST) {
            set_errno(err, errn, "cannot move aside", e->path);
            goto out;
        }
    }
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                "%s: no free name under %s", e->path, tdir);
out:
    g_free(tdir);
    g_free(target);
    return ok;
}

static void
remove_file(struct hf_store *s, const char *path, const char *dirpath)
{
    GError *e = NULL;

    if (unlink(path) != 0 && errno != ENOENT) {
        set_errno(&e, errno, "cannot remove", path);
    } else if (!hf_fsync_dir(dirpath, &e)) {
        /* e set */
    }
    if (e) {
        s->st.write_errors++;
        fault(s, F_RECOVER, e);
        g_error_free(e);
    }
}

static void
recover_one(struct hf_store *s, const struct entry *e)
{
    struct hf_salvage *sv;
    struct hf_ipfix_reader *r = NULL;
    struct writer w = { 0 };
    hf_flow_record_t rec;
    GError *rerr = NULL, *werr = NULL;
    uint64_t n = 0;
    bool damaged;
    char stamp[32];
    int rc = -1;

    if (e->size == 0) {
        remove_file(s, e->path, e->dirpath);
        return;
    }
    slot_names(e->start_s, stamp, NULL);

    /* up to the last whole record, even inside the message cut short */
    sv = hf_salvage_open(e->path, &rerr);
    if (sv)
        r = hf_ipfix_reader_open_fp(hf_salvage_stream(sv), &rerr);
    rc = r ? 0 : -1;
    while (r && (rc = hf_ipfix_reader_next(r, &rec, &rerr)) == 1) {
        if (!w.fp && !writer_open(s, &w, e->dirpath, stamp, "ipfix.rec",
                                  (uint32_t)e->start_s, &werr))
            break;
        if (!writer_add(&w, &rec, &werr))
            break;
        n++;
    }
    hf_ipfix_reader_close(r);
    damaged = rc < 0 || !sv || !hf_salvage_clean(sv);
    hf_salvage_close(sv);

    if (!werr && n > 0 && writer_finish(&w, &werr)
        && place_final(w.path, e->dirpath, stamp, &werr)) {
        s->st.files_recovered++;
        s->st.records_recovered += n;
        g_message("store: recovered %" G_GUINT64_FORMAT " records from %s",
                  n, e->path);
    } else if (werr) {
        /* keep the temp file for another try; drop the partial output */
        s->st.write_errors++;
        g_prefix_error(&werr, "recovering %s: ", e->path);
        fault(s, F_RECOVER, werr);
        g_error_free(werr);
        g_clear_error(&rerr);
        if (w.path) {
            writer_abort(&w);
            unlink(w.path);
        }
        writer_clear(&w);
        return;
    }
    writer_clear(&w);

    if (!damaged) {
        remove_file(s, e->path, e->dirpath);
    } else {
        GError *merr = NULL;

        g_warning("store: %s is damaged (%s); %" G_GUINT64_FORMAT
                  " records recovered, set aside under %s/%s", e->path,
                  rerr ? rerr->message : "cut short", n, s->dir, DAMAGED_DIR);
        s->st.files_damaged++;
        if (!set_aside(s, e, &merr)) {
            s->st.write_errors++;
            fault(s, F_RECOVER, merr);
            g_error_free(merr);
            /* what was readable is in the slot file: do not read it twice */
            if (n > 0)
                remove_file(s, e->path, e->dirpath);
        }
    }
    g_clear_error(&rerr);
}

static void
recover(struct hf_store *s)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(entry_free);

    walk(s->dir, "", 0, all);
    /* outputs of an interrupted recovery: their temp files are still here */
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        if (e->kind == K_REC)
            remove_file(s, e->path, e->dirpath);
    }
    g_ptr_array_sort(all, entry_cmp);
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        if (e->kind == K_TMP)
            recover_one(s, e);
    }
    g_ptr_array_unref(all);
}

/* ---- slots ----------------------------------------------------------- */

static void
slot_free(gpointer p)
{
    struct slot *sl = p;

    writer_clear(&sl->w);
    g_free(sl->source);
    g_free(sl->dir);
    g_free(sl->error);
    g_free(sl);
}

static uint64_t
slot_start(const struct hf_store *s, uint64_t now_ms)
{
    uint64_t t = now_ms / 1000;

    return t - t % s->slot_seconds;
}

static struct slot *
slot_new(struct hf_store *s, const char *source, uint64_t start_s)
{
    struct slot *sl = g_new0(struct slot, 1);
    char ymd[32];

    sl->source = g_strdup(source);
    sl->start_s = start_s;
    slot_names(start_s, sl->stamp, ymd);
    sl->dir = g_build_filename(s->dir, source, ymd, NULL);
    return sl;
}

/* The slot's records since the last good flush reached its file. */
static void
slot_written(struct hf_store *s, struct slot *sl)
{
    s->st.records += sl->pending;
    s->st.records_buffered -= sl->pending;
    sl->pending = 0;
}

/* Abandons the slot's file after a failed write: the records since the
 * last good flush are lost (counted), the file is cut back to what was
 * written whole and stays, for the recovery at the next open; records are
 * refused until retry_ms. */
static void
slot_fail(struct hf_store *s, struct slot *sl, const GError *e)
{
    s->st.records_write_failed += sl->pending;
    s->st.records_buffered -= sl->pending;
    sl->pending = 0;
    writer_abort(&sl->w);
    sl->failed = true;
    sl->retry_ms = s->now_ms + RETRY_MS;
    g_free(sl->error);
    sl->error = g_strdup(e->message);
    s->st.write_errors++;
    fault(s, F_WRITE, e);
    /* a short write may have left part of the lost records: recovery must
     * not find more than was counted as written */
    if (sl->w.path && truncate(sl->w.path, (off_t)sl->w.good) != 0
        && errno != ENOENT) {
        GError *te = NULL;
        set_errno(&te, errno, "cannot cut back", sl->w.path);
        s->st.write_errors++;
        fault(s, F_WRITE, te);
        g_error_free(te);
    }
}

static bool
slot_open(struct hf_store *s, struct slot *sl, GError **err)
{
    GError *e = NULL;

    writer_clear(&sl->w);
    if (!writer_open(s, &sl->w, sl->dir, sl->stamp, "ipfix.tmp",
                     (uint32_t)sl->start_s, &e)) {
        slot_fail(s, sl, e);
        g_propagate_error(err, e);
        return false;
    }
    sl->failed = false;
    return true;
}

/* Completes the slot's file: temp name -> final name. */
static void
slot_complete(struct hf_store *s, struct slot *sl)
{
    GError *e = NULL;

    if (s->last_slot == sl)
        s->last_slot = NULL;
    if (!sl->w.fp)
        return;
    if (!writer_flush(&sl->w, &e)) {
        slot_fail(s, sl, e);
        g_error_free(e);
        return;
    }
    /* written: a failure from here leaves them in the temp file, which
     * recovery completes */
    slot_written(s, sl);
    if (writer_finish(&sl->w, &e) && place_final(sl->w.path, sl->dir,
                                                 sl->stamp, &e)) {
        s->st.files_completed++;
        return;
    }
    s->st.write_errors++;
    g_prefix_error(&e, "completing slot %s of %s: ", sl->stamp, sl->source);
    fault(s, F_COMPLETE, e);
    g_error_free(e);
}

/* ---- API ------------------------------------------------------------- */

struct hf_store *
hf_store_open(const struct hf_store_config *cfg, GError **err)
{
    struct hf_store *s;
    uint32_t slot = cfg && cfg->slot_seconds ? cfg->slot_seconds : 300;

    if (!cfg || !cfg->dir || !cfg->dir[0]) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "store: no directory");
        return NULL;
    }
    if (slot % 60 != 0 || 86400 % slot != 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "store: slot length %u s must be whole minutes dividing "
                    "a day", slot);
        return NULL;
    }
    if (g_mkdir_with_parents(cfg->dir, 0755) != 0) {
        set_errno(err, errno, "cannot create directory", cfg->dir);
        return NULL;
    }
    if (access(cfg->dir, W_OK | X_OK) != 0) {
        set_errno(err, errno, "cannot write to", cfg->dir);
        return NULL;
    }

    s = g_new0(struct hf_store, 1);
    s->dir = g_strdup(cfg->dir);
    s->slot_seconds = slot;
    s->max_age_days = cfg->max_age_days;
    s->max_bytes = cfg->max_bytes;
    /* one store per directory: recovery would take another's open slots */
    s->lock_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->lock_fd < 0) {
        set_errno(err, errno, "cannot open", s->dir);
        goto fail;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                        "store %s is in use by another process", s->dir);
        else
            set_errno(err, errno, "cannot lock", s->dir);
        goto fail;
    }
    s->model = hf_infomodel_new(err);
    if (!s->model)
        goto fail;
    s->enc = hf_flow_encoder_new(s->model, 0, err);
    if (!s->enc) {
        fbInfoModelFree(s->model);
        goto fail;
    }
    s->slots = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, slot_free);
    for (int f = 0; f < F_COUNT; f++)
        s->log[f].what = fault_name[f];
    recover(s);
    return s;

fail:
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    g_free(s->dir);
    g_free(s);
    return NULL;
}

/* A record not taken: the caller counts it (records_not_stored). */
static bool
refuse(struct hf_store *s, GError *e, GError **err)
{
    fault(s, F_REFUSED, e);
    g_propagate_error(err, e);
    return false;
}

bool
hf_store_add(struct hf_store *s, const char *source,
             const hf_flow_record_t *rec, uint64_t now_ms, GError **err)
{
    struct slot *sl;
    uint64_t start;
    GError *e = NULL;

    sl = s->last_slot;
    if (sl && !sl->failed && strcmp(source, sl->source) == 0) {
        if (now_ms > s->now_ms)
            s->now_ms = now_ms;
        if (slot_start(s, now_ms) <= sl->start_s)
            goto append;
    }
    if (!source_ok(source)) {
        set_source_error(&e, source);
        return refuse(s, e, err);
    }
    if (now_ms > s->now_ms)
        s->now_ms = now_ms;
    start = slot_start(s, now_ms);
    sl = g_hash_table_lookup(s->slots, source);
    if (sl && start > sl->start_s) {
        /* that source's slot has ended */
        slot_complete(s, sl);
        g_hash_table_remove(s->slots, source);
        sl = NULL;
    }
    /* (a record older than the open slot, the clock having gone back,
     * goes to the open slot) */
    if (!sl) {
        sl = slot_new(s, source, start);
        g_hash_table_insert(s->slots, sl->source, sl);
        if (!slot_open(s, sl, err))
            return false;
    } else if (sl->failed) {
        if (now_ms < sl->retry_ms) {
            g_set_error(&e, G_FILE_ERROR, G_FILE_ERROR_IO,
                        "slot %s of %s failed, retrying later: %s",
                        sl->stamp, sl->source, sl->error);
            return refuse(s, e, err);
        }
        if (!slot_open(s, sl, err))
            return false;
    }
    s->last_slot = sl;
append:
    if (!writer_add(&sl->w, rec, &e)) {
        /* a record no template fits is refused alone; a failed write
         * fails the slot */
        if (e->domain == FB_ERROR_DOMAIN)
            return refuse(s, e, err);
        slot_fail(s, sl, e);
        g_propagate_error(err, e);
        return false;
    }
    sl->pending++;
    s->st.records_buffered++;
    return true;
}

void
hf_store_rotate(struct hf_store *s, uint64_t now_ms)
{
    GHashTableIter it;
    gpointer v;

    if (now_ms > s->now_ms)
        s->now_ms = now_ms;
    g_hash_table_iter_init(&it, s->slots);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        struct slot *sl = v;

        if ((sl->start_s + s->slot_seconds) * 1000 <= now_ms) {
            slot_complete(s, sl);
            g_hash_table_iter_remove(&it);
        }
    }
}

void
hf_store_flush(struct hf_store *s)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, s->slots);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        struct slot *sl = v;
        GError *e = NULL;

        if (!sl->w.fp)
            continue;
        if (writer_flush(&sl->w, &e)) {
            slot_written(s, sl);
        } else {
            slot_fail(s, sl, e);
            g_error_free(e);
        }
    }
}

static void
remove_empty_dirs(GHashTable *daydirs)
{
    GHashTableIter it;
    gpointer k;

    /* day, month, year */
    g_hash_table_iter_init(&it, daydirs);
    while (g_hash_table_iter_next(&it, &k, NULL))
        hf_remove_empty_dirs(k, 3);
}

void
hf_store_expire(struct hf_store *s, uint64_t now_ms)
{
    GPtrArray *all;
    GHashTable *daydirs;
    uint64_t total = 0, now_s = now_ms / 1000;

    if (!s->max_age_days && !s->max_bytes)
        return;
    all = scan(s->dir, NULL);
    daydirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_ptr_array_sort(all, entry_cmp);
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        total += e->size;
    }
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        uint64_t age_limit = (uint64_t)s->max_age_days * 86400;
        bool old = s->max_age_days && e->start_s + age_limit < now_s;
        bool big = s->max_bytes && total > s->max_bytes;

        if (e->kind != K_FINAL)
            continue;           /* temp files: open or awaiting recovery */
        if (!old && !big)
            continue;
        if (unlink(e->path) != 0) {
            if (errno != ENOENT) {
                GError *err = NULL;
                set_errno(&err, errno, "cannot remove", e->path);
                fault(s, F_EXPIRE, err);
                g_error_free(err);
                s->st.write_errors++;
                continue;
            }
        } else {
            s->st.files_expired++;
        }
        total -= e->size;
        g_hash_table_add(daydirs, g_strdup(e->dirpath));
    }
    remove_empty_dirs(daydirs);
    g_hash_table_unref(daydirs);
    g_ptr_array_unref(all);
}

struct hf_store_stats
hf_store_stats(const struct hf_store *s)
{
    return s->st;
}

void
hf_store_log_flush(struct hf_store *s, uint64_t now_ms, bool force)
{
    for (int f = 0; f < F_COUNT; f++)
        hf_rate_log_flush(&s->log[f], now_ms, force);
}

void
hf_store_close(struct hf_store *s)
{
    GHashTableIter it;
    gpointer v;

    if (!s)
        return;
    g_hash_table_iter_init(&it, s->slots);
    while (g_hash_table_iter_next(&it, NULL, &v))
        slot_complete(s, v);
    hf_store_log_flush(s, hf_wall_ms(), true);
    g_hash_table_unref(s->slots);
    hf_flow_encoder_free(s->enc);
    fbInfoModelFree(s->model);
    close(s->lock_fd);
    g_free(s->dir);
    g_free(s);
}

GPtrArray *
hf_store_files(const char *dir, const char *source, uint64_t from_ms,
               uint64_t to_ms)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *all;
    GHashTable *cover;          /* source -> start of its slot at from_ms */

    if (!dir || (source && !source_ok(source)))
        return out;
    all = scan(dir, source);
    cover = g_hash_table_new(g_str_hash, g_str_equal);
    /* The slot length is not in the file names: a file's slot runs until
     * the source's next slot at the latest (and a slot is at most a day),
     * so the source's last file starting at or before from_ms covers
     * from_ms unless the source had a gap there. */
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        uint64_t ms = e->start_s * 1000;
        gpointer prev;

        if (e->kind != K_FINAL || ms > from_ms || ms + 86400000 <= from_ms)
            continue;
        prev = g_hash_table_lookup(cover, e->source);
        if (!prev || *(uint64_t *)prev < e->start_s)
            g_hash_table_insert(cover, e->source, &e->start_s);
    }
    g_ptr_array_sort(all, entry_cmp);
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        uint64_t ms = e->start_s * 1000;
        uint64_t *c = g_hash_table_lookup(cover, e->source);

        if (e->kind != K_FINAL || ms >= to_ms)
            continue;
        if (ms >= from_ms || (c && *c == e->start_s))
            g_ptr_array_add(out, g_strdup(e->path));
    }
    g_hash_table_unref(cover);
    g_ptr_array_unref(all);
    return out;
}

static void
store_file_free(gpointer p)
{
    struct hf_store_file *f = p;

    g_free(f->path);
    g_free(f->source);
    g_free(f);
}

GPtrArray *
hf_store_list(const char *dir, const char *source)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(store_file_free);
    GPtrArray *all;

    if (!dir || (source && !source_ok(source)))
        return out;
    all = scan(dir, source);
    g_ptr_array_sort(all, entry_cmp);
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        struct hf_store_file *f;

        if (e->kind != K_FINAL)
            continue;
        f = g_new0(struct hf_store_file, 1);
        f->path = g_strdup(e->path);
        f->source = g_strdup(e->source);
        f->start_s = e->start_s;
        f->size = e->size;
        f->mtime_ns = e->mtime_ns;     /* from the walk's lstat: no second stat */
        g_ptr_array_add(out, f);
    }
    g_ptr_array_unref(all);
    return out;
}
