/* The web view's settings from a configuration file's [web] group and
 * their checks: one reading for hostflow-web and the collector's own. */
#include "web.h"

#include <string.h>

#include "size_parse.h"

void
hf_web_settings_read(GKeyFile *kf, struct hf_web_settings *s)
{
    if (!kf)
        return;
    if (!s->listen)
        s->listen = g_key_file_get_string(kf, "web", "listen", NULL);
    if (!s->max_scan)
        s->max_scan = g_key_file_get_string(kf, "web", "max-scan", NULL);
    if (!s->max_queries)
        s->max_queries = g_key_file_get_integer(kf, "web", "max-queries", NULL);
    if (!s->javascript_dir)
        s->javascript_dir = g_key_file_get_string(kf, "web", "javascript-dir", NULL);
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

bool
hf_web_settings_apply(struct hf_web_config *c, const struct hf_web_settings *s,
                      GError **err)
{
    if (s->max_scan && !hf_size_parse(s->max_scan, &c->max_scan_bytes)) {
        g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "max-scan wants a size (1048576, 512M, 4G)");
        return false;
    }
    if (s->max_queries < 0 || s->max_queries > 64) {
        g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "max-queries wants 0 to 64");
        return false;
    }
    if (s->javascript_dir && !javascript_dir_ok(s->javascript_dir)) {
        g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "javascript-dir wants an absolute path without \"..\"");
        return false;
    }
    c->max_queries = (unsigned)s->max_queries;
    c->javascript_dir = s->javascript_dir;
    return true;
}

void
hf_web_settings_clear(struct hf_web_settings *s)
{
    g_free(s->listen);
    g_free(s->max_scan);
    g_free(s->javascript_dir);
    memset(s, 0, sizeof(*s));
}
