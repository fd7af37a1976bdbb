#include "conf_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hf_config.h"
#include "size_parse.h"

G_DEFINE_QUARK(hostflow-conf-error, hf_conf_error)

struct hf_conf {
    char *path;                 /* NULL: no file */
    GKeyFile *kf;
    GHashTable *lines;          /* "GROUP\nKEY" or "GROUP\n" -> line */
};

const char *
hf_conf_default_path(void)
{
    return HF_CONFIG_PATH;
}

static int
line_of(const struct hf_conf *c, const char *group, const char *key)
{
    char *k = g_strconcat(group, "\n", key, NULL);
    int line = GPOINTER_TO_INT(g_hash_table_lookup(c->lines, k));

    g_free(k);
    return line;
}

static void
set_verror(const char *path, int line, GError **err, const char *group,
           const char *key, const char *fmt, va_list ap)
{
    char *what = g_strdup_vprintf(fmt, ap);

    g_set_error(err, HF_CONF_ERROR, 1, "%s:%d: [%s]%s%s: %s", path, line, group,
                key ? " " : "", key ? key : "", what);
    g_free(what);
}

void
hf_conf_error(const struct hf_conf *c, GError **err, const char *group,
              const char *key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    set_verror(c->path ? c->path : "(no file)", line_of(c, group, key), err, group,
               key, fmt, ap);
    va_end(ap);
}

static bool
scan_error(struct hf_conf *c, int line, GError **err, const char *group,
           const char *key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (group)
        set_verror(c->path, line, err, group, key, fmt, ap);
    else {
        char *what = g_strdup_vprintf(fmt, ap);
        g_set_error(err, HF_CONF_ERROR, 1, "%s:%d: %s%s%s", c->path, line,
                    key ? key : "", key ? ": " : "", what);
        g_free(what);
    }
    va_end(ap);
    return false;
}

/* Remembers where a section or key is; false when it was there before. */
static bool
remember(struct hf_conf *c, const char *group, const char *key, int line, int *first)
{
    char *k = g_strconcat(group, "\n", key, NULL);
    gpointer old = g_hash_table_lookup(c->lines, k);

    if (old) {
        *first = GPOINTER_TO_INT(old);
        g_free(k);
        return false;
    }
    g_hash_table_insert(c->lines, k, GINT_TO_POINTER(line));
    return true;
}

/* The text line by line as glib reads it, checking what glib does not:
 * known sections and keys, each once. */
static bool
scan(struct hf_conf *c, const char *text, GError **err)
{
    char **lines = g_strsplit(text, "\n", -1);
    char *group = NULL;
    bool ok = false;
    int first;

    for (int i = 0; lines[i]; i++) {
        int n = i + 1;
        char *l = g_strstrip(lines[i]);

        if (!*l || *l == '#')
            continue;
        if (*l == '[') {
            size_t len = strlen(l);
            if (l[len - 1] != ']' || len < 3 || strpbrk(l + 1, "[") != NULL
                || strchr(l + 1, ']') != l + len - 1) {
                scan_error(c, n, err, NULL, NULL, "'%s': not a section header "
                           "(want [NAME])", l);
                goto out;
            }
            g_free(group);
            group = g_strndup(l + 1, len - 2);
            if (!hf_conf_known(group, NULL)) {
                scan_error(c, n, err, group, NULL, "unknown section (known: probe, "
                           "collector, web, report, devices, source NAME, profile NAME)");
                goto out;
            }
            if (!remember(c, group, "", n, &first)) {
                scan_error(c, n, err, group, NULL, "section given twice (first on line %d)",
                           first);
                goto out;
            }
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq) {
            scan_error(c, n, err, group, NULL, "'%s': not a section, key = value or "
                       "# comment", l);
            goto out;
        }
        char *key = g_strstrip(g_strndup(l, eq - l));
        if (!*key || strpbrk(key, "[]")) {
            scan_error(c, n, err, group, NULL, "'%s': not a key = value line", l);
            g_free(key);
            goto out;
        }
        if (!group) {
            scan_error(c, n, err, NULL, key, "before any [section]");
            g_free(key);
            goto out;
        }
        if (!hf_conf_known(group, key)) {
            scan_error(c, n, err, group, key, "unknown key (see hostflow.conf(5))");
            g_free(key);
            goto out;
        }
        bool fresh = remember(c, group, key, n, &first);
        if (!fresh)
            scan_error(c, n, err, group, key, "given twice (first on line %d)", first);
        g_free(key);
        if (!fresh)
            goto out;
    }
    ok = true;
out:
    g_free(group);
    g_strfreev(lines);
    return ok;
}

struct hf_conf *
hf_conf_open(const char *path, GError **err)
{
    struct hf_conf *c = g_new0(struct hf_conf, 1);
    char *text = NULL;
    gsize len;
    GError *e = NULL;

    c->kf = g_key_file_new();
    c->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!path) {
        path = HF_CONFIG_PATH;
        if (!g_file_test(path, G_FILE_TEST_EXISTS))
            return c;           /* no file: the defaults */
    }
    c->path = g_strdup(path);
    if (!g_file_get_contents(path, &text, &len, &e)) {
        g_set_error(err, HF_CONF_ERROR, 1, "%s: %s", path, e->message);
        g_error_free(e);
        goto fail;
    }
    if (!scan(c, text, err))
        goto fail;
    if (!g_key_file_load_from_data(c->kf, text, len, G_KEY_FILE_NONE, &e)) {
        g_set_error(err, HF_CONF_ERROR, 1, "%s: %s", path, e->message);
        g_error_free(e);
        goto fail;
    }
    g_free(text);
    return c;
fail:
    g_free(text);
    hf_conf_free(c);
    return NULL;
}

const char *
hf_conf_path(const struct hf_conf *c)
{
    return c->path;
}

GKeyFile *
hf_conf_keyfile(const struct hf_conf *c)
{
    return c->kf;
}

void
hf_conf_free(struct hf_conf *c)
{
    if (!c)
        return;
    g_free(c->path);
    g_key_file_free(c->kf);
    g_hash_table_destroy(c->lines);
    g_free(c);
}

char **
hf_conf_sections(const struct hf_conf *c, const char *prefix)
{
    char **all = g_key_file_get_groups(c->kf, NULL);
    GPtrArray *out = g_ptr_array_new();

    for (char **g = all; *g; g++)
        if (g_str_has_prefix(*g, prefix))
            g_ptr_array_add(out, g_strdup(*g));
    g_strfreev(all);
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

char **
hf_conf_keys(const struct hf_conf *c, const char *group)
{
    return g_key_file_get_keys(c->kf, group, NULL, NULL);
}

bool
hf_conf_has(const struct hf_conf *c, const char *group, const char *key)
{
    return g_key_file_has_key(c->kf, group, key, NULL);
}

bool
hf_conf_string(const struct hf_conf *c, const char *group, const char *key,
               char **out, GError **err)
{
    if (!hf_conf_has(c, group, key))
        return true;
    char *v = g_key_file_get_string(c->kf, group, key, NULL);
    if (!v) {
        hf_conf_error(c, err, group, key, "not a valid string (bad escape?)");
        return false;
    }
    if (!*g_strstrip(v)) {
        g_free(v);              /* "key =": the default */
        return true;
    }
    g_free(*out);
    *out = v;
    return true;
}

bool
hf_conf_strv(const struct hf_conf *c, const char *group, const char *key,
             char ***out, GError **err)
{
    if (!hf_conf_has(c, group, key))
        return true;
    char **v = g_key_file_get_string_list(c->kf, group, key, NULL, NULL);
    if (!v) {
        hf_conf_error(c, err, group, key, "not a valid list (bad escape?)");
        return false;
    }
    /* "a; b;" is two entries */
    GPtrArray *keep = g_ptr_array_new();
    for (char **s = v; *s; s++)
        if (*g_strstrip(*s))
            g_ptr_array_add(keep, g_strdup(*s));
    g_strfreev(v);
    if (!keep->len) {
        g_ptr_array_free(keep, TRUE);   /* "key =": the default */
        return true;
    }
    g_ptr_array_add(keep, NULL);
    g_strfreev(*out);
    *out = (char **)g_ptr_array_free(keep, FALSE);
    return true;
}

/* The raw value, stripped; NULL when absent. */
static char *
raw(const struct hf_conf *c, const char *group, const char *key)
{
    char *v = g_key_file_get_value(c->kf, group, key, NULL);

    if (v && !*g_strstrip(v)) {
        g_free(v);              /* "key =": the default */
        return NULL;
    }
    return v;
}

bool
hf_conf_int(const struct hf_conf *c, const char *group, const char *key,
            int64_t min, int64_t max, int64_t *out, GError **err)
{
    char *v = raw(c, group, key), *end;

    if (!v)
        return true;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    bool ok = *v && !*end && errno == 0 && n >= min && n <= max;
    if (!ok)
        hf_conf_error(c, err, group, key, "'%s': want a whole number from %" G_GINT64_FORMAT
                      " to %" G_GINT64_FORMAT, v, min, max);
    else
        *out = n;
    g_free(v);
    return ok;
}

bool
hf_conf_bool(const struct hf_conf *c, const char *group, const char *key,
             bool *out, GError **err)
{
    char *v = raw(c, group, key);
    bool ok = true;

    if (!v)
        return true;
    if (strcmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0)
        *out = false;
    else {
        hf_conf_error(c, err, group, key, "'%s': want true or false", v);
        ok = false;
    }
    g_free(v);
    return ok;
}

/* "64M" as bytes, for the message */
static char *
size_text(uint64_t n)
{
    static const char units[] = "KMGT";
    int u = -1;

    while (n && n % 1024 == 0 && u < 3) {
        n /= 1024;
        u++;
    }
    return u < 0 ? g_strdup_printf("%" G_GUINT64_FORMAT, n)
                 : g_strdup_printf("%" G_GUINT64_FORMAT "%c", n, units[u]);
}

bool
hf_conf_size(const struct hf_conf *c, const char *group, const char *key,
             uint64_t min, uint64_t max, uint64_t *out, GError **err)
{
    char *v = raw(c, group, key);
    uint64_t n;

    if (!v)
        return true;
    bool ok = hf_size_parse(v, &n) && n >= min && n <= max;
    if (!ok && max == UINT64_MAX && min <= 1) {
        hf_conf_error(c, err, group, key, "'%s': want a size%s (1048576, 512K, 64M, 4G)",
                      v, min ? " above 0" : "");
    } else if (!ok) {
        char *lo = size_text(min), *hi = size_text(max);
        hf_conf_error(c, err, group, key, "'%s': want a size from %s to %s (1048576, "
                      "512K, 64M, 4G)", v, lo, hi);
        g_free(lo);
        g_free(hi);
    } else {
        *out = n;
    }
    g_free(v);
    return ok;
}

bool
hf_conf_seconds(const struct hf_conf *c, const char *group, const char *key,
                int64_t min, int64_t max, int64_t *out, GError **err)
{
    char *v = raw(c, group, key), *end;

    if (!v)
        return true;
    errno = 0;
    long long n = g_ascii_isdigit(*v) ? strtoll(v, &end, 10) : -1;
    int64_t unit = 0;
    if (n >= 0 && errno == 0) {
        if (!*end || strcmp(end, "s") == 0)
            unit = 1;
        else if (strcmp(end, "m") == 0)
            unit = 60;
        else if (strcmp(end, "h") == 0)
            unit = 3600;
        else if (strcmp(end, "d") == 0)
            unit = 86400;
    }
    bool ok = unit && n <= max / unit && n * unit >= min && n * unit <= max;
    if (!ok)
        hf_conf_error(c, err, group, key, "'%s': want a duration from %" G_GINT64_FORMAT
                      " to %" G_GINT64_FORMAT " seconds (90, 90s, 15m, 2h, 1d)", v, min, max);
    else
        *out = n * unit;
    g_free(v);
    return ok;
}

void
hf_conf_print_error(const char *prog, const GError *err)
{
    if (err->domain == HF_CONF_ERROR)
        fprintf(stderr, "%s\n", err->message);
    else
        fprintf(stderr, "%s: %s\n", prog, err->message);
}

void
hf_conf_print_header(FILE *f, const char *prog, const struct hf_conf *c)
{
    fprintf(f, "# %s %s: the configuration in effect (file %s%s)\n", prog, HF_VERSION,
            c->path ? c->path : "none", c->path ? ", then the command line" : "");
}

void
hf_conf_print_size(FILE *f, const char *key, uint64_t n)
{
    char *t = size_text(n);

    fprintf(f, "%s = %s\n", key, t);
    g_free(t);
}

void
hf_conf_print_devices(FILE *f, const struct hf_conf *c)
{
    char **keys = hf_conf_keys(c, "devices");

    if (!keys)
        return;
    fprintf(f, "\n[devices]\n");
    for (char **k = keys; *k; k++) {
        char *v = g_key_file_get_value(c->kf, "devices", *k, NULL);
        fprintf(f, "%s = %s\n", *k, v ? v : "");
        g_free(v);
    }
    g_strfreev(keys);
}
