/* Crash recovery at open: a temp file a crash left is read to its last
 * whole record (store_salvage.h) into a complete slot file; the original is
 * removed, or moved under DIR/.damaged when it was cut short. */
#include "store_int.h"

#include <errno.h>
#include <unistd.h>

#include "ipfix_reader.h"
#include "store_fs.h"
#include "store_salvage.h"

#define DAMAGED_DIR   ".damaged"
/* a side file's temporary name older than this is a leftover */
#define SIDE_TMP_AGE_NS (60 * G_GINT64_CONSTANT(1000000000))

/* ---- recovery -------------------------------------------------------- */

/* Moves a damaged temp file to DIR/.damaged/REL (never replacing). */
static bool
set_aside(struct hf_store *s, const struct entry *e, GError **err)
{
    char *target = g_build_filename(s->dir, DAMAGED_DIR, e->rel, NULL);
    char *tdir = g_path_get_dirname(target);
    bool ok = false;

    if (g_mkdir_with_parents(tdir, 0755) != 0) {
        store_set_errno(err, errno, "cannot create directory", tdir);
        goto out;
    }
    for (unsigned n = 0; n < MAX_SEQ; n++) {
        char *to = n ? g_strdup_printf("%s.%u", target, n) : g_strdup(target);
        int rc = store_rename_noreplace(e->path, to), errn = errno;

        g_free(to);
        if (rc == 0) {
            ok = hf_fsync_dir(tdir, err) && hf_fsync_dir(e->dirpath, err);
            goto out;
        }
        if (errn != EEXIST) {
            store_set_errno(err, errn, "cannot move aside", e->path);
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
        store_set_errno(&e, errno, "cannot remove", path);
    } else if (!hf_fsync_dir(dirpath, &e)) {
        /* e set */
    }
    if (e) {
        s->st.write_errors++;
        store_fault(s, F_RECOVER, e);
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
    store_slot_names(e->start_s, stamp, NULL);

    /* up to the last whole record, even inside the message cut short */
    sv = hf_salvage_open(e->path, &rerr);
    if (sv)
        r = hf_ipfix_reader_open_fp(hf_salvage_stream(sv), &rerr);
    rc = r ? 0 : -1;
    while (r && (rc = hf_ipfix_reader_next(r, &rec, &rerr)) == 1) {
        if (!w.fp && !store_writer_open(s, &w, e->dirpath, stamp, "ipfix.rec",
                                        (uint32_t)e->start_s, &werr))
            break;
        if (!store_writer_add(&w, &rec, &werr))
            break;
        n++;
    }
    hf_ipfix_reader_close(r);
    damaged = rc < 0 || !sv || !hf_salvage_clean(sv);
    hf_salvage_close(sv);

    if (!werr && n > 0 && store_writer_finish(&w, &werr)
        && store_place_final(w.path, e->dirpath, NULL, stamp, &werr)) {
        s->st.files_recovered++;
        s->st.records_recovered += n;
        g_message("store: recovered %" G_GUINT64_FORMAT " records from %s",
                  n, e->path);
    } else if (werr) {
        /* keep the temp file for another try; drop the partial output */
        s->st.write_errors++;
        g_prefix_error(&werr, "recovering %s: ", e->path);
        store_fault(s, F_RECOVER, werr);
        g_error_free(werr);
        g_clear_error(&rerr);
        if (w.path) {
            store_writer_abort(&w);
            unlink(w.path);
        }
        store_writer_clear(&w);
        return;
    }
    store_writer_clear(&w);

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
            store_fault(s, F_RECOVER, merr);
            g_error_free(merr);
            /* what was readable is in the slot file: do not read it twice */
            if (n > 0)
                remove_file(s, e->path, e->dirpath);
        }
    }
    g_clear_error(&rerr);
}

void
store_recover(struct hf_store *s)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(store_entry_free);

    store_walk(s->dir, "", 0, all);
    /* outputs of an interrupted recovery: their temp files are still here */
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        if (e->kind == K_REC)
            remove_file(s, e->path, e->dirpath);
        /* a side file's write cut short would stay for good (and keep its
         * day's directory); one of the last minute may be another
         * process's (hostflow-collector --columns) */
        if (e->kind == K_SIDE_TMP && e->mtime_ns < g_get_real_time() * 1000 - SIDE_TMP_AGE_NS)
            remove_file(s, e->path, e->dirpath);
    }
    g_ptr_array_sort(all, store_entry_cmp);
    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);
        if (e->kind == K_TMP)
            recover_one(s, e);
    }
    g_ptr_array_unref(all);
}

