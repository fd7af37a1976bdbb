/* The store's layout (store.h): names of sources and slot files, placing a
 * file under the first free name, walking the tree, and listing the
 * complete slot files for readers. */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_fs.h"

#define MAX_SOURCE    200
#define MAX_DEPTH     8         /* tree walk */

/* ---- names ----------------------------------------------------------- */

bool
store_source_ok(const char *src)
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

void
store_set_source_error(GError **err, const char *src)
{
    char *esc = src ? g_strescape(src, NULL) : g_strdup("(null)");

    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "invalid source name \"%s\" (empty, '/', '..' or leading '.')",
                esc);
    g_free(esc);
}

/* YYYYMMDDhhmm and YYYY/MM/DD of a slot start. */
void
store_slot_names(uint64_t start_s, char stamp[32], char ymd[32])
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
    if (g_str_has_prefix(q, "." HF_STORE_COLUMNS_EXT "-"))
        return K_SIDE_TMP;
    return K_NONE;
}

char *
store_seq_name(const char *prefix, const char *stamp, unsigned seq,
               const char *ext)
{
    return seq ? g_strdup_printf("%sflows-%s-%u.%s", prefix, stamp, seq, ext)
               : g_strdup_printf("%sflows-%s.%s", prefix, stamp, ext);
}

char *
hf_store_side_path(const char *path, const char *ext)
{
    size_t n = strlen(path);

    if (n > 6 && strcmp(path + n - 6, ".ipfix") == 0)
        n -= 6;
    return g_strdup_printf("%.*s.%s", (int)n, path, ext);
}

/* ---- files ----------------------------------------------------------- */

/* rename() that fails with EEXIST instead of replacing to. */
int
store_rename_noreplace(const char *from, const char *to)
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
bool
store_place_final(const char *from, const char *dirpath, char **final, const char *stamp,
                  GError **err)
{
    for (unsigned seq = 0; seq < MAX_SEQ; seq++) {
        char *name = store_seq_name("", stamp, seq, "ipfix");
        char *to = g_build_filename(dirpath, name, NULL);
        int rc = store_rename_noreplace(from, to), e = errno;

        g_free(name);
        if (rc == 0) {
            if (final)
                *final = g_strdup(to);
            g_free(to);
            return hf_fsync_dir(dirpath, err);
        }
        if (e != EEXIST) {
            store_set_errno(err, e, "cannot rename to", to);
            g_free(to);
            return false;
        }
        g_free(to);
    }
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                "%s: no free name for slot %s", dirpath, stamp);
    return false;
}

/* ---- walking the tree ------------------------------------------------ */

void
store_entry_free(gpointer p)
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
void
store_walk(const char *path, const char *rel, int depth, GPtrArray *out)
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
                store_walk(child, crel, depth + 1, out);
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
            e->mtime_ns = hf_stat_mtime_ns(&st);
            if (k == K_FINAL) {
                char *side = hf_store_side_path(child, HF_STORE_COLUMNS_EXT);
                if (stat(side, &st) == 0)
                    e->side_size = (uint64_t)st.st_size;
                g_free(side);
            }
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
GPtrArray *
store_scan(const char *dir, const char *source)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(store_entry_free);

    if (source) {
        char *p = g_build_filename(dir, source, NULL);
        store_walk(p, source, 1, all);
        g_free(p);
    } else {
        store_walk(dir, "", 0, all);
    }
    /* keep the layout's depth only */
    for (guint i = all->len; i-- > 0;) {
        struct entry *e = g_ptr_array_index(all, i);
        if (e->depth != 4)
            g_ptr_array_remove_index_fast(all, i);
    }
    return all;
}

gint
store_entry_cmp(gconstpointer a, gconstpointer b)
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

/* ---- listing --------------------------------------------------------- */

GPtrArray *
hf_store_files(const char *dir, const char *source, uint64_t from_ms,
               uint64_t to_ms)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *all;
    GHashTable *cover;          /* source -> start of its slot at from_ms */

    if (!dir || (source && !store_source_ok(source)))
        return out;
    all = store_scan(dir, source);
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
    g_ptr_array_sort(all, store_entry_cmp);
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

    if (!dir || (source && !store_source_ok(source)))
        return out;
    all = store_scan(dir, source);
    g_ptr_array_sort(all, store_entry_cmp);
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

