/* The web view's settings from hostflow.conf(5)'s [web] section and the
 * command line, and their checks: one reading for hostflow-web and the
 * collector's own view. */
#include "web.h"

#include "size_parse.h"

#define MAX_QUERIES 64
#define MAX_THREADS 64

void
hf_web_settings_defaults(struct hf_web_settings *s)
{
    s->listen = NULL;
    s->max_scan_bytes = (uint64_t)4 << 30;
    s->max_queries = 2;
    s->threads = 2;
}

bool
hf_web_settings_load(struct hf_web_settings *s, const struct hf_conf *cf, GError **err)
{
    return hf_conf_string(cf, "web", "listen", &s->listen, err)
        && hf_conf_size(cf, "web", "max-scan", 1, UINT64_MAX, &s->max_scan_bytes, err)
        && hf_conf_int(cf, "web", "max-queries", 1, MAX_QUERIES, &s->max_queries, err)
        && hf_conf_int(cf, "web", "threads", 1, MAX_THREADS, &s->threads, err);
}

bool
hf_web_settings_override(struct hf_web_settings *s, const char *listen,
                         const char *max_scan, int max_queries, int threads, GError **err)
{
    if (listen) {
        g_free(s->listen);
        s->listen = g_strdup(listen);
    }
    if (max_scan && (!hf_size_parse(max_scan, &s->max_scan_bytes) || !s->max_scan_bytes)) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--max-scan wants a size (1048576, 512M, 4G)");
        return false;
    }
    if (max_queries != -1 && (max_queries < 1 || max_queries > MAX_QUERIES)) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--max-queries wants 1 to %d", MAX_QUERIES);
        return false;
    }
    if (max_queries != -1)
        s->max_queries = max_queries;
    if (threads != -1 && (threads < 1 || threads > MAX_THREADS)) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--threads wants 1 to %d", MAX_THREADS);
        return false;
    }
    if (threads != -1)
        s->threads = threads;
    return true;
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
}

void
hf_web_settings_clear(struct hf_web_settings *s)
{
    g_free(s->listen);
    s->listen = NULL;
}
