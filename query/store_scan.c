/* See store_scan.h. */
#include "store_scan.h"

#include <string.h>
#include <sys/stat.h>

#include "columns.h"
#include "rollup.h"
#include "store.h"
#include "store_decode.h"

#define DAY_MS  86400000ULL
#define HOUR_MS 3600000ULL

static void
scan_file_free(gpointer p)
{
    struct hf_scan_file *f = p;

    g_free(f->path);
    g_free(f->source);
    g_free(f);
}

static gint
scan_file_cmp(gconstpointer a, gconstpointer b)
{
    const struct hf_scan_file *x = *(struct hf_scan_file *const *)a;
    const struct hf_scan_file *y = *(struct hf_scan_file *const *)b;

    if (x->start_ms != y->start_ms)
        return x->start_ms < y->start_ms ? -1 : 1;
    int c = strcmp(x->source, y->source);
    if (c)
        return c;
    /* flows-T.ipfix, then flows-T-1.ipfix, -2 ... -10 */
    size_t lx = strlen(x->path), ly = strlen(y->path);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Slot files of one source (NULL: all) whose slot can overlap the window:
 * a slot runs until the source's next slot at the latest, and is at most a
 * day (as hf_store_files() reasons, so the choice is the same). */
struct later {
    uint64_t cur, next;         /* ms; next: 0 = none */
};

static void
add_slots(GPtrArray *out, const char *store, const char *source, uint64_t from_ms,
          uint64_t to_ms)
{
    GPtrArray *all = hf_store_list(store, source);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);

    /* from the newest back (the list is ordered by start): each file's
     * source's next distinct slot start */
    for (guint i = all->len; i-- > 0;) {
        const struct hf_store_file *s = g_ptr_array_index(all, i);
        uint64_t start = s->start_s * 1000, end = start + DAY_MS;
        struct later *l = g_hash_table_lookup(seen, s->source);

        if (!l) {
            l = g_new0(struct later, 1);
            l->cur = start;
            g_hash_table_insert(seen, s->source, l);
        } else if (l->cur != start) {
            l->next = l->cur;
            l->cur = start;
        }
        if (l->next && l->next < end)
            end = l->next;
        if (start < to_ms && end > from_ms) {
            struct hf_scan_file *f = g_new0(struct hf_scan_file, 1);
            f->path = g_strdup(s->path);
            f->source = g_strdup(s->source);
            f->start_ms = start;
            f->end_ms = end;
            f->size = s->size;
            g_ptr_array_add(out, f);
        }
    }
    g_hash_table_unref(seen);
    g_ptr_array_unref(all);
}

/* Summaries of one source (NULL: all) of the hours overlapping the window. */
static void
add_hours(GPtrArray *out, const char *store, const char *source, uint64_t from_ms,
          uint64_t to_ms)
{
    GPtrArray *all = hf_rollup_list(store, source, from_ms / HOUR_MS * HOUR_MS, to_ms);

    for (guint i = 0; i < all->len; i++) {
        const struct hf_rollup_file *r = g_ptr_array_index(all, i);
        struct hf_scan_file *f = g_new0(struct hf_scan_file, 1);
        struct stat st;

        f->path = g_strdup(r->path);
        f->source = g_strdup(r->source);
        f->start_ms = r->hour_s * 1000;
        f->end_ms = f->start_ms + HOUR_MS;
        f->hourly = true;
        f->size = stat(r->path, &st) == 0 ? (uint64_t)st.st_size : 0;
        g_ptr_array_add(out, f);
    }
    g_ptr_array_unref(all);
}

GPtrArray *
hf_scan_files(const char *store, const char *const *sources, uint64_t from_ms,
              uint64_t to_ms, bool hourly)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(scan_file_free);
    void (*add)(GPtrArray *, const char *, const char *, uint64_t, uint64_t) =
        hourly ? add_hours : add_slots;

    if (!store || from_ms >= to_ms)
        return out;
    if (!sources) {
        add(out, store, NULL, from_ms, to_ms);
    } else {
        GHashTable *done = g_hash_table_new(g_str_hash, g_str_equal);
        for (const char *const *s = sources; *s; s++) {
            if (g_hash_table_contains(done, *s))
                continue;                       /* named twice */
            g_hash_table_add(done, (gpointer)*s);
            add(out, store, *s, from_ms, to_ms);
        }
        g_hash_table_unref(done);
    }
    g_ptr_array_sort(out, scan_file_cmp);
    return out;
}

/* ---- the scan ------------------------------------------------------------ */

/* A file, or a part of a large one (several threads share it). */
struct item {
    guint file;
    bool columns;               /* read from its columns (columns.h) */
    uint64_t from, to;          /* byte range of message starts; columns: blocks */
};

/* a file at least this large is read by all threads, in parts */
#define SPLIT_MIN (32u << 20)

struct run {
    GPtrArray *files;
    GArray *items;              /* struct item */
    hf_scan_record_fn fn;       /* one by one, or as rd says */
    struct hf_scan_reader rd;
    void **ctxs;
    bool every;                 /* every thread reads every item */
    struct hf_decode_stop *stop;    /* may be NULL */
    gint next;                  /* the next item to take */
    GMutex lock;
    struct hf_scan_stats st;
    GError *err;                /* a thread that could not start */
};

struct worker {
    struct run *run;
    unsigned index;
    guint taken;                /* items read (run->every) */
    const struct hf_scan_file *file;
    void *ctx;
};

static void
deliver(void *ctx, const hf_flow_record_t *r)
{
    struct worker *w = ctx;
    uint32_t keep = 0;

    if (w->run->fn)
        w->run->fn(w->ctx, r, w->file);
    else if (!w->run->rd.select || w->run->rd.select(w->ctx, r, 1, &keep, w->file))
        w->run->rd.fn(w->ctx, r, &keep, 1, w->file);
}

static uint32_t
select_chunk(void *ctx, const hf_flow_record_t *recs, uint32_t n, uint32_t *keep)
{
    struct worker *w = ctx;

    return w->run->rd.select(w->ctx, recs, n, keep, w->file);
}

static void
deliver_chunk(void *ctx, const hf_flow_record_t *recs, const uint32_t *keep, uint32_t n)
{
    struct worker *w = ctx;

    if (!w->run->fn) {
        w->run->rd.fn(w->ctx, recs, keep, n, w->file);
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        w->run->fn(w->ctx, &recs[keep[i]], w->file);
}

/* Blocks [from, to) of the file's columns; its options records are
 * counted with the first part. */
static bool
read_columns(struct worker *w, const struct item *it, struct hf_store_decode_result *res,
             uint64_t *size)
{
    struct hf_columns *c = hf_columns_open(w->file->path);

    *size = w->file->size;
    if (!c) {
        memset(res, 0, sizeof(*res));
        g_strlcpy(res->why, "its columns changed while it was read", sizeof(res->why));
        return false;
    }
    const struct hf_scan_reader *rd = &w->run->rd;
    bool ok = hf_columns_read(c, (uint32_t)it->from, (uint32_t)it->to, rd->groups, rd->first,
                              rd->select ? select_chunk : NULL, deliver_chunk, w,
                              w->run->stop, res);
    if (it->from == 0)
        res->options_records = hf_columns_options_records(c);
    hf_columns_close(c);
    return ok;
}

static gpointer
worker_main(gpointer p)
{
    struct worker *w = p;
    struct run *run = w->run;
    struct hf_scan_stats st = {0};
    GError *err = NULL;
    struct hf_store_decoder *d = hf_store_decoder_new(&err);

    if (!d) {
        g_mutex_lock(&run->lock);
        if (!run->err)
            run->err = err;
        else
            g_error_free(err);
        g_mutex_unlock(&run->lock);
        return NULL;
    }
    w->ctx = run->ctxs ? run->ctxs[w->index] : NULL;
    hf_store_decoder_set_stop(d, run->stop);
    for (;;) {
        guint i = run->every ? w->taken++ : (guint)g_atomic_int_add(&run->next, 1);
        struct hf_store_decode_result res;
        uint64_t size;

        if (i >= run->items->len)
            break;
        if (hf_decode_stop_due(run->stop)) {
            st.stopped = true;
            break;
        }
        const struct item *it = &g_array_index(run->items, struct item, i);
        w->file = g_ptr_array_index(run->files, it->file);
        bool ok = it->columns ? read_columns(w, it, &res, &size)
                              : hf_store_decode_file_part(d, w->file->path, it->from, it->to,
                                                          deliver, w, &res, &size);
        if (it->from == 0) {    /* a file counts once, however many parts */
            st.files++;
            st.bytes += size;
            st.columns_files += it->columns;
        }
        st.records += res.records;
        st.options_records += res.options_records;
        if (res.stopped) {
            st.stopped = true;
            break;
        }
        if (!ok) {
            st.files_bad++;
            g_warning("%s: %s; %" G_GUINT64_FORMAT " records before it read, the rest "
                      "skipped", w->file->path, res.why, res.records);
        }
    }
    hf_store_decoder_free(d);
    if (run->every && w->index > 0) {
        /* the same files as thread 0's: counted once */
        bool stopped = st.stopped;
        memset(&st, 0, sizeof(st));
        st.stopped = stopped;
    }
    g_mutex_lock(&run->lock);
    run->st.files += st.files;
    run->st.bytes += st.bytes;
    run->st.records += st.records;
    run->st.options_records += st.options_records;
    run->st.files_bad += st.files_bad;
    run->st.columns_files += st.columns_files;
    run->st.stopped |= st.stopped;
    g_mutex_unlock(&run->lock);
    return NULL;
}

/* A file with columns: in n parts of whole blocks when it has many. */
static bool
plan_columns(GArray *items, guint i, const struct hf_scan_file *f, unsigned n)
{
    struct hf_columns *c = hf_columns_open(f->path);

    if (!c)
        return false;
    uint32_t blocks = hf_columns_blocks(c);
    unsigned parts = blocks >= 4 * n ? n : 1;
    for (unsigned k = 0; k < parts; k++) {
        struct item it = { i, true, (uint64_t)blocks * k / parts,
                           (uint64_t)blocks * (k + 1) / parts };
        g_array_append_val(items, it);
    }
    hf_columns_close(c);
    return true;
}

/* The work: each file whole, or a large one in n parts cut at message
 * starts (one slot file can hold all of a busy hour's flows); files with
 * columns read from them. */
static GArray *
plan(GPtrArray *files, unsigned n, bool columns)
{
    GArray *items = g_array_new(FALSE, FALSE, sizeof(struct item));

    for (guint i = 0; i < files->len; i++) {
        const struct hf_scan_file *f = g_ptr_array_index(files, i);
        struct item it = { i, false, 0, UINT64_MAX };

        if (columns && !f->hourly && plan_columns(items, i, f, n))
            continue;
        GArray *cuts = n > 1 && f->size >= SPLIT_MIN ? hf_store_file_split(f->path, n)
                                                     : NULL;

        for (guint k = 0; cuts && k < cuts->len; k++) {
            it.to = g_array_index(cuts, uint64_t, k);
            g_array_append_val(items, it);
            it.from = it.to;
        }
        it.to = UINT64_MAX;
        g_array_append_val(items, it);
        if (cuts)
            g_array_unref(cuts);
    }
    return items;
}

static bool
scan(GPtrArray *files, unsigned nthreads, hf_scan_record_fn fn, const struct hf_scan_reader *rd,
     void **ctxs, struct hf_decode_stop *stop, struct hf_scan_stats *st, GError **err)
{
    struct run run = { .files = files, .fn = fn, .rd = *rd, .ctxs = ctxs, .stop = stop,
                       .every = rd->every_thread && nthreads != 1 };
    unsigned n = nthreads ? nthreads : g_get_num_processors();
    struct worker *w;
    GThread **threads;
    unsigned started = 0;

    if (st)
        memset(st, 0, sizeof(*st));
    /* the mapping must be ready before the threads: its fault is ours */
    struct hf_store_decoder *probe = hf_store_decoder_new(err);
    if (!probe)
        return false;
    hf_store_decoder_free(probe);
    g_mutex_init(&run.lock);
    run.items = plan(files, n, run.rd.groups != 0);
    w = g_new0(struct worker, n);
    threads = g_new0(GThread *, n);
    for (unsigned i = 0; i < n; i++) {
        w[i].run = &run;
        w[i].index = i;
    }
    if (n == 1 || (run.items->len <= 1 && !run.every)) {
        worker_main(&w[0]);             /* on the caller's thread */
    } else {
        for (unsigned i = 0; i < n && (i < run.items->len || run.every); i++) {
            GError *e = NULL;
            threads[i] = g_thread_try_new("hf-scan", worker_main, &w[i], &e);
            if (!threads[i]) {
                g_mutex_lock(&run.lock);
                if (!run.err)
                    run.err = e;
                else
                    g_error_free(e);
                g_mutex_unlock(&run.lock);
                break;
            }
            started++;
        }
        for (unsigned i = 0; i < started; i++)
            g_thread_join(threads[i]);
        if (run.every)
            for (unsigned i = started; i < n; i++)
                worker_main(&w[i]);     /* each thread's share is its own */
        else if (!started)
            worker_main(&w[0]);         /* no thread: on the caller's */
    }
    g_free(threads);
    g_free(w);
    g_array_unref(run.items);
    g_mutex_clear(&run.lock);
    if (st)
        *st = run.st;
    if (run.err && run.st.files < files->len && !run.st.stopped) {
        /* some files were never read */
        g_propagate_error(err, run.err);
        return false;
    }
    if (run.err)
        g_error_free(run.err);
    return true;
}

bool
hf_scan_run(GPtrArray *files, unsigned nthreads, hf_scan_record_fn fn, void **ctxs,
            struct hf_scan_stats *st, GError **err)
{
    return hf_scan_run_until(files, nthreads, fn, ctxs, NULL, st, err);
}

bool
hf_scan_run_until(GPtrArray *files, unsigned nthreads, hf_scan_record_fn fn, void **ctxs,
                  struct hf_decode_stop *stop, struct hf_scan_stats *st, GError **err)
{
    const struct hf_scan_reader every_field = { .groups = HF_COLS_ALL };

    return scan(files, nthreads, fn, &every_field, ctxs, stop, st, err);
}

bool
hf_scan_run_fields(GPtrArray *files, unsigned nthreads, const struct hf_scan_reader *rd,
                   void **ctxs, struct hf_decode_stop *stop, struct hf_scan_stats *st,
                   GError **err)
{
    return scan(files, nthreads, NULL, rd, ctxs, stop, st, err);
}
