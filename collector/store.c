/* The flow store: see store.h for the layout, store_int.h for its files.
 *
 * Each open slot (one per source) is an IPFIX file written through its own
 * writer (store_writer.c) over a FILE* we own, so that it can be flushed
 * and synced.  Messages carry the slot's start as their export time, so a
 * slot's file depends only on its records and their order. */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "clock.h"
#include "infomodel.h"
#include "store_fs.h"

#define RETRY_MS      10000     /* after a write error, wait before retrying */

static const char *const fault_name[F_COUNT] = {
    "store write failure", "store records refused",
    "store slot completion failure", "store recovery failure",
    "store retention failure",
};

/* ---- errors ---------------------------------------------------------- */

void
store_fault(struct hf_store *s, enum fault f, const GError *e)
{
    hf_rate_log(&s->log[f], hf_wall_ms(), "%s", e->message);
}

/* ---- slots ----------------------------------------------------------- */

static void
slot_free(gpointer p)
{
    struct slot *sl = p;

    store_writer_clear(&sl->w);
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
    sl->interned = g_intern_string(source);
    sl->start_s = start_s;
    sl->end_ms = (start_s + s->slot_seconds) * 1000;
    store_slot_names(start_s, sl->stamp, ymd);
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
    store_writer_abort(&sl->w);
    sl->failed = true;
    sl->retry_ms = s->now_ms + RETRY_MS;
    g_free(sl->error);
    sl->error = g_strdup(e->message);
    s->st.write_errors++;
    store_fault(s, F_WRITE, e);
    /* a short write may have left part of the lost records: recovery must
     * not find more than was counted as written */
    if (sl->w.path && truncate(sl->w.path, (off_t)sl->w.good) != 0
        && errno != ENOENT) {
        GError *te = NULL;
        store_set_errno(&te, errno, "cannot cut back", sl->w.path);
        s->st.write_errors++;
        store_fault(s, F_WRITE, te);
        g_error_free(te);
    }
}

static bool
slot_open(struct hf_store *s, struct slot *sl, GError **err)
{
    GError *e = NULL;

    store_writer_clear(&sl->w);
    if (!store_writer_open(s, &sl->w, sl->dir, sl->stamp, "ipfix.tmp",
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
    if (!store_writer_flush(&sl->w, &e)) {
        slot_fail(s, sl, e);
        g_error_free(e);
        return;
    }
    /* written: a failure from here leaves them in the temp file, which
     * recovery completes */
    slot_written(s, sl);
    char *final = NULL;
    if (store_writer_finish(&sl->w, &e)
        && store_place_final(sl->w.path, sl->dir, &final, sl->stamp, &e)) {
        s->st.files_completed++;
        if (s->completed)
            s->completed(s->completed_ctx, final);
        g_free(final);
        return;
    }
    s->st.write_errors++;
    g_prefix_error(&e, "completing slot %s of %s: ", sl->stamp, sl->source);
    store_fault(s, F_COMPLETE, e);
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
        store_set_errno(err, errno, "cannot create directory", cfg->dir);
        return NULL;
    }
    if (access(cfg->dir, W_OK | X_OK) != 0) {
        store_set_errno(err, errno, "cannot write to", cfg->dir);
        return NULL;
    }

    s = g_new0(struct hf_store, 1);
    s->dir = g_strdup(cfg->dir);
    s->slot_seconds = slot;
    s->max_age_days = cfg->max_age_days;
    s->max_bytes = cfg->max_bytes;
    s->completed = cfg->completed;
    s->completed_ctx = cfg->completed_ctx;
    /* one store per directory: recovery would take another's open slots */
    s->lock_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->lock_fd < 0) {
        store_set_errno(err, errno, "cannot open", s->dir);
        goto fail;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                        "store %s is in use by another process", s->dir);
        else
            store_set_errno(err, errno, "cannot lock", s->dir);
        goto fail;
    }
    s->model = hf_infomodel_new(err);
    if (!s->model)
        goto fail;
    s->enc = hf_flow_encoder_new(s->model, 0, err);
    if (!s->enc) {
        hf_infomodel_free(s->model);
        goto fail;
    }
    s->slots = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, slot_free);
    for (int f = 0; f < F_COUNT; f++)
        s->log[f].what = fault_name[f];
    store_recover(s);
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
    store_fault(s, F_REFUSED, e);
    g_propagate_error(err, e);
    return false;
}

/* rec into the open slot sl. */
static bool
append(struct hf_store *s, struct slot *sl, const hf_flow_record_t *rec, GError **err)
{
    GError *e = NULL;

    if (!store_writer_add(&sl->w, rec, &e)) {
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

/* A record whose slot is not the last record's: another source, a slot
 * that has ended, a failed one. */
static bool
add_to_other_slot(struct hf_store *s, const char *source, const hf_flow_record_t *rec,
                  uint64_t now_ms, GError **err)
{
    struct slot *sl;
    uint64_t start;
    GError *e = NULL;

    if (!store_source_ok(source)) {
        store_set_source_error(&e, source);
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
    return append(s, sl, rec, err);
}

bool
hf_store_add(struct hf_store *s, const char *source,
             const hf_flow_record_t *rec, uint64_t now_ms, GError **err)
{
    struct slot *sl = s->last_slot;

    /* records come in runs per exporter: most go to the last one's slot */
    if (sl && !sl->failed && now_ms < sl->end_ms
        && (source == sl->interned || strcmp(source, sl->source) == 0)) {
        if (now_ms > s->now_ms)
            s->now_ms = now_ms;
        return append(s, sl, rec, err);
    }
    return add_to_other_slot(s, source, rec, now_ms, err);
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
        if (store_writer_flush(&sl->w, &e)) {
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
    all = store_scan(s->dir, NULL);
    daydirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_ptr_array_sort(all, store_entry_cmp);
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        total += e->size + e->side_size;
    }
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        uint64_t age_limit = (uint64_t)s->max_age_days * 86400;
        bool old = s->max_age_days && e->start_s + age_limit < now_s;
        bool big = s->max_bytes && total > s->max_bytes;

        if (e->kind == K_SIDE_TMP && old) {
            /* the columns of a slot expired, cut short */
            if (unlink(e->path) == 0) {
                total -= e->size;
                g_hash_table_add(daydirs, g_strdup(e->dirpath));
            }
            continue;
        }
        if (e->kind != K_FINAL)
            continue;           /* temp files: open or awaiting recovery */
        if (!old && !big)
            continue;
        if (unlink(e->path) != 0) {
            if (errno != ENOENT) {
                GError *err = NULL;
                store_set_errno(&err, errno, "cannot remove", e->path);
                store_fault(s, F_EXPIRE, err);
                g_error_free(err);
                s->st.write_errors++;
                continue;
            }
        } else {
            s->st.files_expired++;
            char *side = hf_store_side_path(e->path, HF_STORE_COLUMNS_EXT);
            unlink(side);
            g_free(side);
        }
        total -= e->size + e->side_size;
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
    hf_infomodel_free(s->model);
    close(s->lock_fd);
    g_free(s->dir);
    g_free(s);
}

