#include "rrd_rebuild.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rrd_files.h"
#include "rrd_series.h"
#include "store_scan.h"

#define CHUNK 64                /* files per read, between progress lines */

struct rebuild {
    const struct hf_rrd_profile_def *def;
    const struct hf_names *names;
    GHashTable *index;          /* struct hf_scan_file * → its sums (one thread each) */
};

static void
on_record(void *ctx, const hf_flow_record_t *r, const struct hf_scan_file *f)
{
    struct rebuild *rb = ctx;
    struct hf_rrd_sums *sums = g_hash_table_lookup(rb->index, f);

    hf_rrd_sums_add(sums, rb->def, 1, rb->names, f->source, r);
}

static void
add(struct hf_rrd_sums *to, const struct hf_rrd_sums *x)
{
    for (unsigned c = 0; c < HF_RRD_NPROTO; c++) {
        to->flows[c] += x->flows[c];
        to->packets[c] += x->packets[c];
        to->bytes[c] += x->bytes[c];
    }
}

/* Removes dir and the files in it (one level: PROFILE/SOURCE.rrd). */
static void
remove_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;

    if (d) {
        while ((n = g_dir_read_name(d))) {
            char *p = g_build_filename(dir, n, NULL);
            unlink(p);
            g_free(p);
        }
        g_dir_close(d);
    }
    rmdir(dir);
}

int
hf_rrd_rebuild(const struct hf_collector_config *c, const char *profile)
{
    struct hf_rrd_profile_def def = { .name = profile, .filter = NULL };
    bool found = strcmp(profile, HF_RRD_LIVE) == 0;

    for (guint i = 0; !found && i < c->profiles->len; i++) {
        const struct hf_profile *p = g_ptr_array_index(c->profiles, i);
        if (strcmp(p->name, profile) == 0) {
            def.filter = p->filter;
            found = true;
        }
    }
    if (!found) {
        fprintf(stderr, "hostflow-collector: --rebuild-rrd: no profile '%s' (\"live\" or a "
                "[profile NAME] of the configuration)\n", profile);
        return 2;
    }

    char *root = g_build_filename(c->store_dir, HF_RRD_DIR, NULL);
    char *final = g_build_filename(root, profile, NULL);
    char *name = g_strdup_printf(".%s.rebuild-%d", profile, (int)getpid());
    char *fresh = g_build_filename(root, name, NULL);
    g_free(name);
    remove_dir(fresh);

    GPtrArray *files = hf_scan_files(c->store_dir, NULL, 0, UINT64_MAX, false);
    struct hf_rrd_sums *sums = g_new0(struct hf_rrd_sums, files->len ? files->len : 1);
    struct rebuild rb = { .def = &def, .names = c->names, .index = g_hash_table_new(g_direct_hash, g_direct_equal) };
    for (guint i = 0; i < files->len; i++)
        g_hash_table_insert(rb.index, g_ptr_array_index(files, i), &sums[i]);
    unsigned nthreads = g_get_num_processors();
    void **ctxs = g_new(void *, nthreads);
    for (unsigned i = 0; i < nthreads; i++)
        ctxs[i] = &rb;

    struct hf_scan_stats total = {0};
    int rc = 0;
    fprintf(stderr, "hostflow-collector: rebuilding %s/%s from %u files\n", root, profile,
            files->len);
    for (guint at = 0; at < files->len; at += CHUNK) {
        GPtrArray *chunk = g_ptr_array_new();
        for (guint i = at; i < files->len && i < at + CHUNK; i++)
            g_ptr_array_add(chunk, g_ptr_array_index(files, i));
        struct hf_scan_stats st;
        GError *err = NULL;
        if (!hf_scan_run(chunk, nthreads, on_record, ctxs, &st, &err)) {
            fprintf(stderr, "hostflow-collector: --rebuild-rrd: %s\n", err->message);
            g_error_free(err);
            g_ptr_array_unref(chunk);
            rc = 1;
            goto out;
        }
        total.records += st.records;
        total.files_bad += st.files_bad;
        g_ptr_array_unref(chunk);
        fprintf(stderr, "hostflow-collector: rebuild %s: files %u / %u\n", profile,
                MIN(at + CHUNK, files->len), files->len);
    }

    /* slot by slot, oldest first: each source's files of the slot, and the total */
    struct hf_rrd_files *rf = hf_rrd_files_new(root, c->slot_seconds, NULL);
    /* write under the fresh directory's name: rrd_files joins dir/profile */
    char *fresh_name = g_path_get_basename(fresh);
    GHashTable *per = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    for (guint i = 0; i < files->len;) {
        const struct hf_scan_file *f0 = g_ptr_array_index(files, i);
        uint64_t start = f0->start_ms / 1000;
        struct hf_rrd_sums all = {0};
        g_hash_table_remove_all(per);
        for (; i < files->len; i++) {
            const struct hf_scan_file *f = g_ptr_array_index(files, i);
            if (f->start_ms / 1000 != start)
                break;
            if (!hf_rrd_name_ok(f->source) || strcmp(f->source, HF_RRD_TOTAL) == 0)
                continue;
            struct hf_rrd_sums *s = g_hash_table_lookup(per, f->source);
            if (!s) {
                s = g_new0(struct hf_rrd_sums, 1);
                g_hash_table_insert(per, f->source, s);
            }
            add(s, &sums[i]);
            add(&all, &sums[i]);
        }
        if (start % c->slot_seconds)
            continue;           /* a slot of another slot length */
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, per);
        while (g_hash_table_iter_next(&it, &k, &v))
            hf_rrd_files_write(rf, fresh_name, k, start, v);
        if (g_hash_table_size(per))
            hf_rrd_files_write(rf, fresh_name, HF_RRD_TOTAL, start, &all);
    }
    g_hash_table_destroy(per);
    g_free(fresh_name);
    struct hf_rrd_stats rs = hf_rrd_files_stats(rf);
    hf_rrd_files_free(rf);
    if (rs.errors) {
        fprintf(stderr, "hostflow-collector: --rebuild-rrd: %" G_GUINT64_FORMAT
                " write errors; %s left as it was\n", rs.errors, final);
        remove_dir(fresh);
        rc = 1;
        goto out;
    }
    g_mkdir_with_parents(fresh, 0750);     /* a store without flows: an empty profile */
    /* in place of the old one: swapped at once when it exists */
    if (renameat2(AT_FDCWD, fresh, AT_FDCWD, final, RENAME_EXCHANGE) == 0) {
        remove_dir(fresh);
    } else if (rename(fresh, final) != 0) {
        fprintf(stderr, "hostflow-collector: --rebuild-rrd: rename %s to %s: %s\n", fresh,
                final, g_strerror(errno));
        remove_dir(fresh);
        rc = 1;
        goto out;
    }
    fprintf(stderr, "hostflow-collector: rebuilt %s: %u files, %" G_GUINT64_FORMAT
            " records, %" G_GUINT64_FORMAT " unreadable, %" G_GUINT64_FORMAT
            " slot values\n", final, files->len, total.records, total.files_bad, rs.updates);
out:
    g_free(ctxs);
    g_hash_table_destroy(rb.index);
    g_free(sums);
    g_ptr_array_unref(files);
    g_free(fresh);
    g_free(final);
    g_free(root);
    return rc;
}
