/* The web view's settings from hostflow.conf(5)'s [web] section and the
 * command line, and their checks: one reading for hostflow-web and the
 * collector's own view. */
#include "web.h"

#include <string.h>

#include "auth.h"
#include "size_parse.h"

#define MAX_QUERIES 64
#define MAX_THREADS 64
#define MAX_QUERY_SECONDS 86400.0
#define MAX_GROUPS ((int64_t)1 << 32)

void
hf_web_settings_defaults(struct hf_web_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->max_scan_bytes = (uint64_t)4 << 30;
    s->max_queries = 2;
    s->threads = 2;
    s->max_query_seconds = 20;
    s->max_groups = 1000000;
    s->javascript_dir = g_strdup("/usr/share/javascript");
}

/* An absolute directory with no ".." component: what /js/ serves is under
 * it and nowhere else. */
static bool
javascript_dir_ok(const char *dir)
{
    gchar **parts;
    bool ok = true;

    if (!g_path_is_absolute(dir))
        return false;
    parts = g_strsplit(dir, "/", -1);
    for (gchar **p = parts; *p; p++)
        if (!strcmp(*p, ".."))
            ok = false;
    g_strfreev(parts);
    return ok;
}

/* Seconds with decimals ("0.5", "20"), above 0 and at most a day; NULL
 * when it is not that. */
static const char *
seconds_error(const char *text, double *out)
{
    char *end;
    double v = g_ascii_strtod(text, &end);

    if (end == text || *end || !(v > 0) || v > MAX_QUERY_SECONDS)
        return "wants seconds above 0, at most 86400 (decimals allowed: 0.5)";
    *out = v;
    return NULL;
}

bool
hf_web_settings_load(struct hf_web_settings *s, const struct hf_conf *cf, GError **err)
{
    char *secs = NULL;
    bool ok = hf_conf_string(cf, "web", "listen", &s->listen, err)
        && hf_conf_size(cf, "web", "max-scan", 1, UINT64_MAX, &s->max_scan_bytes, err)
        && hf_conf_int(cf, "web", "max-queries", 1, MAX_QUERIES, &s->max_queries, err)
        && hf_conf_int(cf, "web", "threads", 1, MAX_THREADS, &s->threads, err)
        && hf_conf_int(cf, "web", "max-groups", 1, MAX_GROUPS, &s->max_groups, err)
        && hf_conf_string(cf, "web", "htpasswd", &s->htpasswd, err)
        && hf_conf_string(cf, "web", "tls-cert", &s->tls_cert, err)
        && hf_conf_string(cf, "web", "tls-key", &s->tls_key, err)
        && hf_conf_string(cf, "web", "max-query-seconds", &secs, err)
        && hf_conf_string(cf, "web", "javascript-dir", &s->javascript_dir, err)
        && hf_conf_bool(cf, "web", "clickhouse", &s->clickhouse, err);
    const char *why;

    if (ok && secs && (why = seconds_error(secs, &s->max_query_seconds))) {
        hf_conf_error(cf, err, "web", "max-query-seconds", "%s", why);
        ok = false;
    }
    if (ok && !javascript_dir_ok(s->javascript_dir)) {
        hf_conf_error(cf, err, "web", "javascript-dir",
                      "wants an absolute path without \"..\"");
        ok = false;
    }
    g_free(secs);
    return ok;
}

static bool
bad_option(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool
bad_option(GError **err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, msg);
    g_free(msg);
    return false;
}

static void
override_string(char **v, const char *arg)
{
    if (arg) {
        g_free(*v);
        *v = g_strdup(arg);
    }
}

bool
hf_web_settings_override(struct hf_web_settings *s, const struct hf_web_options *o,
                         GError **err)
{
    const char *why;

    override_string(&s->listen, o->listen);
    override_string(&s->htpasswd, o->htpasswd);
    override_string(&s->tls_cert, o->tls_cert);
    override_string(&s->tls_key, o->tls_key);
    if (o->max_scan && (!hf_size_parse(o->max_scan, &s->max_scan_bytes) || !s->max_scan_bytes))
        return bad_option(err, "--max-scan wants a size (1048576, 512M, 4G)");
    if (o->max_queries != -1 && (o->max_queries < 1 || o->max_queries > MAX_QUERIES))
        return bad_option(err, "--max-queries wants 1 to %d", MAX_QUERIES);
    if (o->max_queries != -1)
        s->max_queries = o->max_queries;
    if (o->threads != -1 && (o->threads < 1 || o->threads > MAX_THREADS))
        return bad_option(err, "--threads wants 1 to %d", MAX_THREADS);
    if (o->threads != -1)
        s->threads = o->threads;
    if (o->max_query_seconds && (why = seconds_error(o->max_query_seconds,
                                                     &s->max_query_seconds)))
        return bad_option(err, "--max-query-seconds %s", why);
    if (o->max_groups != -1 && (o->max_groups < 1 || o->max_groups > MAX_GROUPS))
        return bad_option(err, "--max-groups wants 1 to %" G_GINT64_FORMAT, MAX_GROUPS);
    if (o->max_groups != -1)
        s->max_groups = o->max_groups;
    return true;
}

/* A PEM file of the kind named by marker ("CERTIFICATE", "PRIVATE KEY"). */
static bool
pem_file(const char *path, const char *what, const char *marker, GError **err)
{
    char *text = NULL;
    bool ok;

    if (!g_file_get_contents(path, &text, NULL, err)) {
        g_prefix_error(err, "%s: ", what);
        return false;
    }
    ok = strstr(text, "-----BEGIN ") && strstr(text, marker);
    g_free(text);
    if (!ok)
        g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "%s %s: not a PEM file with a %s", what, path, marker);
    return ok;
}

bool
hf_web_settings_check_files(const struct hf_web_settings *s, GError **err)
{
    if (!s->tls_cert != !s->tls_key) {
        g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "tls-cert and tls-key go together: give both or neither");
        return false;
    }
    if (s->tls_cert && (!pem_file(s->tls_cert, "tls-cert", "CERTIFICATE", err)
                        || !pem_file(s->tls_key, "tls-key", "PRIVATE KEY", err)))
        return false;
    if (s->htpasswd) {
        struct hf_web_auth *a = hf_web_auth_load(s->htpasswd, err);
        if (!a)
            return false;
        hf_web_auth_unref(a);
    }
    return true;
}

void
hf_web_settings_to_config(const struct hf_web_settings *s, struct hf_web_config *c)
{
    c->listen = s->listen;
    c->max_scan_bytes = s->max_scan_bytes;
    c->max_queries = (unsigned)s->max_queries;
    c->threads = (unsigned)s->threads;
    c->max_query_seconds = s->max_query_seconds;
    c->max_groups = (uint64_t)s->max_groups;
    c->htpasswd = s->htpasswd;
    c->tls_cert = s->tls_cert;
    c->tls_key = s->tls_key;
    c->javascript_dir = s->javascript_dir;
}

void
hf_web_settings_print(FILE *f, const struct hf_web_settings *s)
{
    fprintf(f, "\n[web]\n");
    if (s->listen)
        fprintf(f, "listen = %s\n", s->listen);
    hf_conf_print_size(f, "max-scan", s->max_scan_bytes);
    fprintf(f, "max-queries = %" G_GINT64_FORMAT "\nthreads = %" G_GINT64_FORMAT "\n",
            s->max_queries, s->threads);
    fprintf(f, "max-query-seconds = %g\nmax-groups = %" G_GINT64_FORMAT "\n",
            s->max_query_seconds, s->max_groups);
    if (s->htpasswd)
        fprintf(f, "htpasswd = %s\n", s->htpasswd);
    if (s->tls_cert)
        fprintf(f, "tls-cert = %s\ntls-key = %s\n", s->tls_cert, s->tls_key ? s->tls_key : "");
    fprintf(f, "javascript-dir = %s\n", s->javascript_dir);
    fprintf(f, "clickhouse = %s\n", s->clickhouse ? "true" : "false");
}

void
hf_web_settings_clear(struct hf_web_settings *s)
{
    g_free(s->listen);
    g_free(s->htpasswd);
    g_free(s->tls_cert);
    g_free(s->tls_key);
    g_free(s->javascript_dir);
    s->listen = s->htpasswd = s->tls_cert = s->tls_key = s->javascript_dir = NULL;
}
