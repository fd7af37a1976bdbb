/* Hourly roll-up of the flow store: see rollup.h. */
#include "rollup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "infomodel.h"
#include "ipfix_reader.h"
#include "rollup_hour.h"
#include "store.h"
#include "store_fs.h"

struct hf_rollup {
    char *dir;                  /* DIR/.hourly */
    char *store_dir;
    uint32_t slot_seconds;
    uint32_t max_age_days;
    fbInfoModel_t *model;
    struct hf_rollup_stats st;
    /* the background thread */
    GThread *thread;
    GMutex lock;
    GCond wake;
    volatile gint stop;
    uint32_t interval_s;
};

/* Counters are read by the status writer while a pass runs. */
#define COUNT(r, field, n) do {                 \
        g_mutex_lock(&(r)->lock);               \
        (r)->st.field += (n);                   \
        g_mutex_unlock(&(r)->lock);             \
    } while (0)

/* ---- summary files ------------------------------------------------------ */

static char *
summary_path(const char *dir, const char *source, uint64_t hour_s)
{
    time_t t = (time_t)hour_s;
    struct tm tm;
    char name[96], ym[32];

    gmtime_r(&t, &tm);
    snprintf(ym, sizeof(ym), "%04d/%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    snprintf(name, sizeof(name), "hourly-%04d%02d%02d%02d.ipfix",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
    return g_build_filename(dir, source, ym, name, NULL);
}

/* "hourly-YYYYMMDDhh.ipfix" → its hour. */
static bool
parse_summary_name(const char *name, uint64_t *hour_s)
{
    struct tm tm = { 0 };
    int y, mo, d, h;
    char tail[8];
    time_t t;

    if (strlen(name) != strlen("hourly-2024010100.ipfix")
        || sscanf(name, "hourly-%4d%2d%2d%2d%6s", &y, &mo, &d, &h, tail) != 5
        || strcmp(tail, ".ipfix") != 0 || y < 1970 || mo < 1 || mo > 12
        || d < 1 || d > 31 || h < 0 || h > 23)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    t = timegm(&tm);
    if (t < 0)
        return false;
    *hour_s = (uint64_t)t;
    return true;
}

static void
rollup_file_free(gpointer p)
{
    struct hf_rollup_file *f = p;

    g_free(f->path);
    g_free(f->source);
    g_free(f);
}

static gint
rollup_file_cmp(gconstpointer a, gconstpointer b)
{
    const struct hf_rollup_file *x = *(struct hf_rollup_file *const *)a;
    const struct hf_rollup_file *y = *(struct hf_rollup_file *const *)b;

    if (x->hour_s != y->hour_s)
        return x->hour_s < y->hour_s ? -1 : 1;
    return strcmp(x->source, y->source);
}

/* Summary files under DIR/.hourly/SOURCE/YYYY/MM (dot names skipped). */
static void
walk_summaries(const char *path, const char *source, int depth,
               uint64_t from_s, uint64_t to_s, GPtrArray *out)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;

    if (!d)
        return;
    while ((name = g_dir_read_name(d))) {
        char *child;
        struct stat st;
        uint64_t hour_s;

        if (name[0] == '.')
            continue;
        child = g_build_filename(path, name, NULL);
        if (lstat(child, &st) != 0) {
            /* vanished */
        } else if (S_ISDIR(st.st_mode) && depth < 3) {
            walk_summaries(child, depth == 0 ? name : source, depth + 1,
                           from_s, to_s, out);
        } else if (S_ISREG(st.st_mode) && depth == 3
                   && parse_summary_name(name, &hour_s)
                   && hour_s >= from_s && hour_s < to_s) {
            struct hf_rollup_file *f = g_new0(struct hf_rollup_file, 1);
            f->path = child;
            f->source = g_strdup(source);
            f->hour_s = hour_s;
            f->mtime_ns = hf_stat_mtime_ns(&st);
            g_ptr_array_add(out, f);
            continue;
        }
        g_free(child);
    }
    g_dir_close(d);
}

GPtrArray *
hf_rollup_list(const char *store_dir, const char *source, uint64_t from_ms,
               uint64_t to_ms)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(rollup_file_free);
    char *dir;

    if (!store_dir || (source && (!source[0] || source[0] == '.'
                                  || strchr(source, '/'))))
        return out;
    dir = g_build_filename(store_dir, HF_ROLLUP_DIR, source, NULL);
    walk_summaries(dir, source, source ? 1 : 0, from_ms / 1000,
                   to_ms / 1000 + (to_ms % 1000 != 0), out);
    g_free(dir);
    g_ptr_array_sort(out, rollup_file_cmp);
    return out;
}

/* ---- passes ------------------------------------------------------------- */

struct hf_rollup *
hf_rollup_new(const struct hf_rollup_config *cfg, GError **err)
{
    struct hf_rollup *r = g_new0(struct hf_rollup, 1);

    r->model = hf_infomodel_new(err);
    if (!r->model) {
        g_free(r);
        return NULL;
    }
    r->store_dir = g_strdup(cfg->store_dir);
    r->dir = g_build_filename(cfg->store_dir, HF_ROLLUP_DIR, NULL);
    r->slot_seconds = cfg->slot_seconds ? cfg->slot_seconds : 300;
    r->max_age_days = cfg->max_age_days;
    g_mutex_init(&r->lock);
    g_cond_init(&r->wake);
    return r;
}

void
hf_rollup_free(struct hf_rollup *r)
{
    if (!r)
        return;
    hf_rollup_stop(r);
    g_mutex_clear(&r->lock);
    g_cond_clear(&r->wake);
    hf_infomodel_free(r->model);
    g_free(r->dir);
    g_free(r->store_dir);
    g_free(r);
}

struct hf_rollup_stats
hf_rollup_stats(const struct hf_rollup *r)
{
    struct hf_rollup_stats st;

    g_mutex_lock((GMutex *)&r->lock);
    st = r->st;
    g_mutex_unlock((GMutex *)&r->lock);
    return st;
}

static void
summarise(struct hf_rollup *r, GPtrArray *raw, guint first, guint last,
          const char *path, uint64_t hour_s)
{
    struct hf_hour_sums *h = hf_hour_sums_new(hour_s);
    GError *err = NULL;
    uint64_t written = 0;

    for (guint i = first; i < last; i++) {
        const struct hf_store_file *f = g_ptr_array_index(raw, i);
        struct hf_ipfix_reader *rd = hf_ipfix_reader_open(f->path, &err);
        hf_flow_record_t rec;
        int rc = rd ? 0 : -1;
        uint64_t n = 0;

        while (rd && (rc = hf_ipfix_reader_next(rd, &rec, &err)) == 1) {
            hf_hour_sums_add(h, &rec);
            n++;
        }
        COUNT(r, flows_read, n);
        if (rc < 0) {
            /* what was readable is summarised; the store's recovery and
             * --stats speak for the file itself */
            COUNT(r, files_unreadable, 1);
            g_warning("roll-up: %s: %s", f->path, err ? err->message : "?");
            g_clear_error(&err);
        }
        hf_ipfix_reader_close(rd);
    }
    if (hf_hour_sums_write(h, r->model, path, &written, &err)) {
        COUNT(r, hours_written, 1);
        COUNT(r, summaries, written);
    } else {
        COUNT(r, write_errors, 1);
        g_warning("roll-up: %s", err ? err->message : "?");
        g_clear_error(&err);
    }
    hf_hour_sums_free(h);
}

static gint
by_source_then_start(gconstpointer a, gconstpointer b)
{
    const struct hf_store_file *x = *(struct hf_store_file *const *)a;
    const struct hf_store_file *y = *(struct hf_store_file *const *)b;
    int c = strcmp(x->source, y->source);

    if (c)
        return c;
    return x->start_s < y->start_s ? -1 : x->start_s > y->start_s;
}

static uint64_t
hour_of(uint64_t s)
{
    return s - s % 3600;
}

static void
expire(struct hf_rollup *r, uint64_t now_ms)
{
    uint64_t keep_s = (uint64_t)r->max_age_days * 86400, now_s = now_ms / 1000;
    GPtrArray *old;

    if (!r->max_age_days || now_s <= keep_s)
        return;
    old = hf_rollup_list(r->store_dir, NULL, 0, (now_s - keep_s) * 1000);
    for (guint i = 0; i < old->len; i++) {
        const struct hf_rollup_file *f = g_ptr_array_index(old, i);
        char *month = g_path_get_dirname(f->path);

        if (unlink(f->path) == 0) {
            COUNT(r, files_expired, 1);
            hf_remove_empty_dirs(month, 3);     /* month, year, source */
        } else if (errno != ENOENT) {
            COUNT(r, write_errors, 1);
        }
        g_free(month);
    }
    g_ptr_array_unref(old);
}

/* Temporary files of an interrupted pass (under the lock: none is live). */
static void
remove_stale(const char *path, int depth)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;

    if (!d)
        return;
    while ((name = g_dir_read_name(d))) {
        char *child = g_build_filename(path, name, NULL);
        struct stat st;

        if (lstat(child, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 3 && name[0] != '.')
                remove_stale(child, depth + 1);
            else if (S_ISREG(st.st_mode) && g_str_has_prefix(name, ".hourly-"))
                unlink(child);
        }
        g_free(child);
    }
    g_dir_close(d);
}

bool
hf_rollup_run(struct hf_rollup *r, uint64_t now_ms, volatile gint *stop)
{
    int lock_fd;
    GPtrArray *raw, *done;
    GHashTable *have;            /* summary path -> its mtime */
    uint64_t now_s = now_ms / 1000;

    if (g_mkdir_with_parents(r->dir, 0755) != 0) {
        COUNT(r, write_errors, 1);
        return false;
    }
    /* a collector's thread and `hostflow-collector --rollup` may meet */
    lock_fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (lock_fd >= 0)
            close(lock_fd);
        return false;
    }
    COUNT(r, passes, 1);
    remove_stale(r->dir, 0);

    raw = hf_store_list(r->store_dir, NULL);
    done = hf_rollup_list(r->store_dir, NULL, 0, UINT64_MAX);
    have = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < done->len; i++) {
        struct hf_rollup_file *f = g_ptr_array_index(done, i);
        g_hash_table_insert(have, f->path, &f->mtime_ns);
    }
    /* runs of one source and hour */
    g_ptr_array_sort(raw, by_source_then_start);
    for (guint i = 0, j; i < raw->len && !(stop && g_atomic_int_get(stop)); i = j) {
        const struct hf_store_file *f = g_ptr_array_index(raw, i);
        uint64_t hour_s = hour_of(f->start_s);
        int64_t newest = f->mtime_ns;

        for (j = i + 1; j < raw->len; j++) {
            const struct hf_store_file *g = g_ptr_array_index(raw, j);
            if (hour_of(g->start_s) != hour_s || strcmp(g->source, f->source) != 0)
                break;
            if (g->mtime_ns > newest)
                newest = g->mtime_ns;
        }
        /* complete once the slot holding the hour's last second has closed */
        uint64_t last = hour_s + 3599;
        uint64_t closes = last - last % r->slot_seconds + r->slot_seconds;
        char *path = summary_path(r->dir, f->source, hour_s);
        int64_t *mt = g_hash_table_lookup(have, path);

        /* (an hour past the summaries' retention would only be removed) */
        bool wanted = !r->max_age_days
            || hour_s + (uint64_t)r->max_age_days * 86400 >= now_s;

        if (wanted && closes <= now_s && (!mt || *mt < newest))
            summarise(r, raw, i, j, path, hour_s);
        g_free(path);
    }
    g_hash_table_unref(have);
    g_ptr_array_unref(done);
    g_ptr_array_unref(raw);
    expire(r, now_ms);
    flock(lock_fd, LOCK_UN);
    close(lock_fd);
    return true;
}

/* ---- the background thread ---------------------------------------------- */

static gpointer
rollup_thread(gpointer data)
{
    struct hf_rollup *r = data;

    /* summaries wait; receiving and storing flows do not */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    g_mutex_lock(&r->lock);
    while (!g_atomic_int_get(&r->stop)) {
        g_mutex_unlock(&r->lock);
        hf_rollup_run(r, hf_wall_ms(), &r->stop);
        g_mutex_lock(&r->lock);
        gint64 until = g_get_monotonic_time() + (gint64)r->interval_s * G_TIME_SPAN_SECOND;
        while (!g_atomic_int_get(&r->stop)
               && g_cond_wait_until(&r->wake, &r->lock, until))
            ;
    }
    g_mutex_unlock(&r->lock);
    return NULL;
}

void
hf_rollup_start(struct hf_rollup *r, uint32_t interval_s)
{
    r->interval_s = interval_s ? interval_s : 60;
    g_atomic_int_set(&r->stop, 0);
    r->thread = g_thread_new("hf-rollup", rollup_thread, r);
}

void
hf_rollup_stop(struct hf_rollup *r)
{
    if (!r->thread)
        return;
    g_mutex_lock(&r->lock);
    g_atomic_int_set(&r->stop, 1);
    g_cond_signal(&r->wake);
    g_mutex_unlock(&r->lock);
    g_thread_join(r->thread);
    r->thread = NULL;
}
