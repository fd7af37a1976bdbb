/* The web view's settings from a configuration file's [web] group and
 * their checks: one reading for hostflow-web and the collector's own. */
#include "web.h"

#include "size_parse.h"

void
hf_web_settings_read(GKeyFile *kf, char **listen, char **max_scan, int *max_queries)
{
    if (!kf)
        return;
    if (!*listen)
        *listen = g_key_file_get_string(kf, "web", "listen", NULL);
    if (!*max_scan)
        *max_scan = g_key_file_get_string(kf, "web", "max-scan", NULL);
    if (!*max_queries)
        *max_queries = g_key_file_get_integer(kf, "web", "max-queries", NULL);
}

bool
hf_web_settings_apply(struct hf_web_config *c, const char *max_scan, int max_queries,
                      GError **err)
{
    if (max_scan && !hf_size_parse(max_scan, &c->max_scan_bytes)) {
        g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "max-scan wants a size (1048576, 512M, 4G)");
        return false;
    }
    if (max_queries < 0 || max_queries > 64) {
        g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "max-queries wants 0 to 64");
        return false;
    }
    c->max_queries = (unsigned)max_queries;
    return true;
}
