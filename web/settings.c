/* The web view's settings from a configuration file's [web] group and
 * their checks: one reading for hostflow-web and the collector's own. */
#include "web.h"

#include <math.h>
#include <string.h>

#include "auth.h"
#include "size_parse.h"

static void
read_string(GKeyFile *kf, const char *key, char **v)
{
    if (!*v)
        *v = g_key_file_get_string(kf, "web", key, NULL);
}

void
hf_web_settings_read(GKeyFile *kf, struct hf_web_settings *s)
{
    if (!kf)
        return;
    read_string(kf, "listen", &s->listen);
    read_string(kf, "max-scan", &s->max_scan);
    read_string(kf, "htpasswd", &s->htpasswd);
    read_string(kf, "tls-cert", &s->tls_cert);
    read_string(kf, "tls-key", &s->tls_key);
    read_string(kf, "javascript-dir", &s->javascript_dir);
    if (!s->max_queries)
        s->max_queries = g_key_file_get_integer(kf, "web", "max-queries", NULL);
    if (s->max_query_seconds == 0 && g_key_file_has_key(kf, "web", "max-query-seconds", NULL))
        /* unparsable: NaN, refused below */
        s->max_query_seconds = g_key_file_get_double(kf, "web", "max-query-seconds", NULL)
                               ?: (double)NAN;
    if (!s->max_groups && g_key_file_has_key(kf, "web", "max-groups", NULL))
        s->max_groups = g_key_file_get_int64(kf, "web", "max-groups", NULL) ?: -1;
}

static bool
invalid(GError **err, const char *what)
{
    g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s", what);
    return false;
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
hf_web_settings_apply(struct hf_web_config *c, const struct hf_web_settings *s,
                      GError **err)
{
    if (s->max_scan && !hf_size_parse(s->max_scan, &c->max_scan_bytes))
        return invalid(err, "max-scan wants a size (1048576, 512M, 4G)");
    if (s->max_queries < 0 || s->max_queries > 64)
        return invalid(err, "max-queries wants 0 to 64");
    /* !(x >= 0) also catches NaN */
    if (!(s->max_query_seconds >= 0) || s->max_query_seconds > 86400)
        return invalid(err, "max-query-seconds wants seconds above 0, at most 86400 "
                            "(decimals allowed: 0.5)");
    if (s->max_groups < 0 || s->max_groups > (gint64)1 << 32)
        return invalid(err, "max-groups wants 1 to 4294967296");
    if (s->javascript_dir && !javascript_dir_ok(s->javascript_dir))
        return invalid(err, "javascript-dir wants an absolute path without \"..\"");
    if (!s->tls_cert != !s->tls_key)
        return invalid(err, "tls-cert and tls-key go together: give both or neither");
    if (s->tls_cert && (!pem_file(s->tls_cert, "tls-cert", "CERTIFICATE", err)
                        || !pem_file(s->tls_key, "tls-key", "PRIVATE KEY", err)))
        return false;
    if (s->htpasswd) {
        struct hf_web_auth *a = hf_web_auth_load(s->htpasswd, err);
        if (!a)
            return false;
        hf_web_auth_unref(a);
    }
    c->max_queries = (unsigned)s->max_queries;
    c->max_query_seconds = s->max_query_seconds;
    c->max_groups = (uint64_t)s->max_groups;
    c->htpasswd = s->htpasswd;
    c->tls_cert = s->tls_cert;
    c->tls_key = s->tls_key;
    c->javascript_dir = s->javascript_dir;
    return true;
}

void
hf_web_settings_clear(struct hf_web_settings *s)
{
    g_free(s->listen);
    g_free(s->max_scan);
    g_free(s->htpasswd);
    g_free(s->tls_cert);
    g_free(s->tls_key);
    g_free(s->javascript_dir);
    memset(s, 0, sizeof(*s));
}
