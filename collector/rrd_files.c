#include "rrd_files.h"

#include <errno.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdio.h>
#include <string.h>

const char *const hf_rrd_ds_names[HF_RRD_NDS] = {
    "flows_tcp", "flows_udp", "flows_icmp", "flows_other",
    "packets_tcp", "packets_udp", "packets_icmp", "packets_other",
    "bytes_tcp", "bytes_udp", "bytes_icmp", "bytes_other",
};

/* NfSen's archives: ~2 days of slots, ~2 weeks of 6, ~2 months of 24,
 * ~2 years of 288 (at 5-minute slots) */
static const struct { unsigned steps, rows; } rras[] = {
    {1, 600}, {6, 700}, {24, 775}, {288, 797},
};

struct hf_rrd_files {
    char *dir;
    uint32_t step;
    char *daemon;               /* rrdcached address (librrd's one client) */
    GHashTable *last;           /* path → last update (time_t, boxed in gint64) */
    struct hf_rrd_stats st;
    uint64_t last_error_log;
};

bool
hf_rrd_name_ok(const char *n)
{
    if (!n || !*n || n[0] == '.' || strlen(n) > 64)
        return false;
    for (; *n; n++)
        if (!g_ascii_isalnum(*n) && *n != '-' && *n != '_' && *n != '.')
            return false;
    return true;
}

struct hf_rrd_files *
hf_rrd_files_new(const char *dir, uint32_t step, const char *daemon)
{
    struct hf_rrd_files *f = g_new0(struct hf_rrd_files, 1);

    f->dir = g_strdup(dir);
    f->step = step;
    f->last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (daemon && *daemon)
        f->daemon = g_strdup(daemon);
    return f;
}

void
hf_rrd_files_free(struct hf_rrd_files *f)
{
    if (!f)
        return;
    if (f->daemon)
        rrdc_disconnect();
    g_free(f->daemon);
    g_hash_table_destroy(f->last);
    g_free(f->dir);
    g_free(f);
}

struct hf_rrd_stats
hf_rrd_files_stats(const struct hf_rrd_files *f)
{
    return f->st;
}

/* One line per failure at most every 60 s (a full disk must not flood). */
static void
fail(struct hf_rrd_files *f, const char *what, const char *path)
{
    uint64_t now = (uint64_t)g_get_monotonic_time() / 1000000;

    f->st.errors++;
    if (f->st.errors == 1 || now >= f->last_error_log + 60) {
        const char *e = rrd_get_error();
        fprintf(stderr, "hostflow-collector: rrd %s %s: %s (%" G_GUINT64_FORMAT " errors)\n",
                what, path, e && *e ? e : g_strerror(errno), f->st.errors);
        f->last_error_log = now;
    }
    rrd_clear_error();
}

static bool
create(struct hf_rrd_files *f, const char *path, uint64_t start_s)
{
    char *dir = g_path_get_dirname(path);
    GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
    bool ok;

    if (g_mkdir_with_parents(dir, 0750) != 0) {
        g_free(dir);
        g_ptr_array_unref(args);
        fail(f, "mkdir for", path);
        return false;
    }
    g_free(dir);
    for (unsigned i = 0; i < HF_RRD_NDS; i++)
        g_ptr_array_add(args, g_strdup_printf("DS:%s:GAUGE:%u:0:U", hf_rrd_ds_names[i],
                                              2 * f->step));
    for (unsigned cf = 0; cf < 2; cf++)
        for (unsigned i = 0; i < G_N_ELEMENTS(rras); i++)
            g_ptr_array_add(args, g_strdup_printf("RRA:%s:0.5:%u:%u", cf ? "MAX" : "AVERAGE",
                                                  rras[i].steps, rras[i].rows));
    /* a new file: written as a temp file and renamed, so that a reader
     * (the web view) never sees half of it */
    char *tmp = g_strconcat(path, ".tmp", NULL);
    rrd_clear_error();
    ok = rrd_create_r(tmp, f->step, (time_t)(start_s - f->step), (int)args->len,
                      (const char **)args->pdata) == 0;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        unlink(tmp);
        fail(f, "create", path);
    }
    g_free(tmp);
    g_ptr_array_unref(args);
    return ok;
}

static int64_t
last_update(struct hf_rrd_files *f, const char *path)
{
    time_t t;

    rrd_clear_error();
    t = f->daemon && rrdc_connect(f->daemon) == 0 ? rrdc_last(path) : rrd_last_r(path);
    rrd_clear_error();
    return t > 0 ? (int64_t)t : -1;
}

static int
update(struct hf_rrd_files *f, const char *path, int argc, const char **argv)
{
    rrd_clear_error();
    if (f->daemon) {
        if (rrdc_connect(f->daemon) != 0)
            return -1;
        return rrdc_update(path, argc, argv);
    }
    return rrd_update_r(path, NULL, argc, argv);
}

void
hf_rrd_files_write(struct hf_rrd_files *f, const char *profile, const char *source,
                   uint64_t start_s, const struct hf_rrd_sums *sums)
{
    char *path = g_strdup_printf("%s/%s/%s.rrd", f->dir, profile, source);
    int64_t *last = g_hash_table_lookup(f->last, path);
    uint64_t end_s = start_s + f->step;

    if (!last) {
        int64_t t = g_file_test(path, G_FILE_TEST_EXISTS) ? last_update(f, path) : -1;
        if (t < 0) {
            if (!create(f, path, start_s)) {
                g_free(path);
                return;
            }
            t = (int64_t)(start_s - f->step);
        }
        last = g_new(int64_t, 1);
        *last = t;
        g_hash_table_insert(f->last, g_strdup(path), last);
    }
    if ((int64_t)end_s <= *last) {
        f->st.skipped_old++;    /* the clock went back */
        g_free(path);
        return;
    }
    char unknown[64], values[32 + HF_RRD_NDS * 24];
    const char *argv[2];
    int argc = 0;
    if ((int64_t)start_s > *last) {
        /* nothing known between the last update and this slot */
        snprintf(unknown, sizeof(unknown), "%" G_GUINT64_FORMAT, start_s);
        for (unsigned i = 0; i < HF_RRD_NDS; i++)
            g_strlcat(unknown, ":U", sizeof(unknown));
        argv[argc++] = unknown;
    }
    int n = snprintf(values, sizeof(values), "%" G_GUINT64_FORMAT, end_s);
    for (unsigned k = 0; k < 3; k++)
        for (unsigned p = 0; p < HF_RRD_NPROTO; p++) {
            if (!sums) {
                n += snprintf(values + n, sizeof(values) - n, ":U");
                continue;
            }
            const uint64_t *v = k == 0 ? sums->flows : k == 1 ? sums->packets : sums->bytes;
            /* a rate: the count is value x step exactly for whole counts
             * up to 2^53 */
            n += snprintf(values + n, sizeof(values) - n, ":%.17g",
                          (double)v[p] / (double)f->step);
        }
    argv[argc++] = values;
    if (update(f, path, argc, argv) != 0) {
        const char *e = rrd_get_error();
        if (e && strstr(e, "illegal attempt to update")) {
            /* another writer (a rebuild) moved the file on */
            f->st.skipped_old++;
            rrd_clear_error();
            g_hash_table_remove(f->last, path);
        } else {
            fail(f, "update", path);
        }
    } else {
        *last = (int64_t)end_s;
        f->st.updates++;
    }
    g_free(path);
}
