/* hostflow-web: the web view over a collector's store, standalone and
 * read-only (man/hostflow-web.8). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib-unix.h>

#include "clickhouse_config.h"
#include "hf_config.h"
#include "devices.h"
#include "log.h"
#include "web.h"

static char *store_arg, *config_arg;
static char *listen_arg, *max_scan_arg, *seconds_arg, *htpasswd_arg, *cert_arg, *key_arg;
static gint threads_arg = -1, queries_arg = -1;   /* -1: not given */
static gint64 groups_arg = -1;
static gboolean version_arg, check_config_arg, clickhouse_arg;
static struct hf_clickhouse_config clickhouse;  /* url: ClickHouse answers */

static GOptionEntry entries[] = {
    {"store", 'w', 0, G_OPTION_ARG_FILENAME, &store_arg,
     "The collector's store (default: [collector] store, else /var/lib/hostflow/flows)", "DIR"},
    {"clickhouse", 0, 0, G_OPTION_ARG_NONE, &clickhouse_arg,
     "Query ClickHouse ([clickhouse] url, database, table of the configuration) instead "
     "of the store's files (graphs still come from the store's RRD files)", NULL},
    {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen_arg,
     "Address and port to serve on (default [web] listen, else 127.0.0.1:8080; port 0: any free one)", "ADDR:PORT"},
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_arg,
     "The configuration file (default " HF_CONFIG_PATH "): [web], [devices], "
     "[collector] store; see hostflow.conf(5)", "FILE"},
    {"check-config", 0, 0, G_OPTION_ARG_NONE, &check_config_arg,
     "Check the configuration file and options, print the values in effect and exit", NULL},
    {"max-scan", 0, 0, G_OPTION_ARG_STRING, &max_scan_arg,
     "Refuse (503) a query reading more than this many file bytes (default 4G)", "SIZE"},
    {"max-queries", 0, 0, G_OPTION_ARG_INT, &queries_arg,
     "Queries running at once, more are refused with 503 (default 2)", "N"},
    {"max-query-seconds", 0, 0, G_OPTION_ARG_STRING, &seconds_arg,
     "Stop a query running longer, answering 503 (default 20)", "SECONDS"},
    {"max-groups", 0, 0, G_OPTION_ARG_INT64, &groups_arg,
     "Stop a query holding more table rows or conversations, answering 503 "
     "(default 1000000)", "N"},
    {"htpasswd", 0, 0, G_OPTION_ARG_FILENAME, &htpasswd_arg,
     "Ask for HTTP basic auth, users from this htpasswd file (bcrypt, sha-crypt, "
     "yescrypt hashes)", "FILE"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cert_arg,
     "Serve HTTPS with this certificate (PEM; with --tls-key)", "PEM"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &key_arg,
     "The certificate's private key (PEM)", "PEM"},
    {"threads", 'j', 0, G_OPTION_ARG_INT, &threads_arg,
     "Threads reading files per query (default 2)", "N"},
    {"version", 'V', 0, G_OPTION_ARG_NONE, &version_arg, "Print the version", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
};

static int
fail(const char *msg)
{
    fprintf(stderr, "hostflow-web: %s\nTry 'hostflow-web --help'.\n", msg);
    return 2;
}

/* The file, then the command line; the store: -w, [collector] store, the default. */
static bool
load_settings(struct hf_conf *cf, struct hf_web_settings *s, char **store, GError **err)
{
    hf_web_settings_defaults(s);
    *store = g_strdup(HF_DEFAULT_STORE);
    if (!hf_web_settings_load(s, cf, err) || !hf_devices_check_config(cf, err)
        || !hf_conf_string(cf, "collector", "store", store, err))
        return false;
    hf_clickhouse_config_defaults(&clickhouse);
    clickhouse_arg = s->clickhouse = clickhouse_arg || s->clickhouse;
    if (clickhouse_arg && (!hf_clickhouse_config_load(&clickhouse, cf, err)
                           || !hf_clickhouse_config_require_url(&clickhouse, cf, "web", err)))
        return false;
    if (store_arg) {
        g_free(*store);
        *store = g_strdup(store_arg);
    }
    struct hf_web_options o = {
        .listen = listen_arg, .max_scan = max_scan_arg, .max_query_seconds = seconds_arg,
        .htpasswd = htpasswd_arg, .tls_cert = cert_arg, .tls_key = key_arg,
        .max_queries = queries_arg, .threads = threads_arg, .max_groups = groups_arg,
    };
    if (!hf_web_settings_override(s, &o, err) || !hf_web_settings_check_files(s, err))
        return false;
    if (!s->listen)
        s->listen = g_strdup("127.0.0.1:8080");   /* the collector: no view */
    return true;
}

static int
print_config(const struct hf_conf *cf, const struct hf_web_settings *s, const char *store)
{
    hf_conf_print_header(stdout, "hostflow-web", cf);
    printf("[collector]\nstore = %s\n", store);
    hf_web_settings_print(stdout, s);
    hf_conf_print_devices(stdout, cf);
    if (clickhouse_arg)
        hf_clickhouse_config_print(&clickhouse, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
static gboolean
on_signal(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

/* SIGHUP: the htpasswd file again (users added or removed) */
static gboolean
on_hangup(gpointer data)
{
    GError *err = NULL;

    (void)data;
    if (!hf_web_reload_users(&err)) {
        hf_log(HF_LOG_WARNING, "SIGHUP: %s (keeping the old users)", err->message);
        g_error_free(err);
    }
    return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
    GOptionContext *ctx = g_option_context_new("");
    GError *err = NULL;
    struct hf_conf *cf = NULL;
    struct hf_names *names = NULL;
    struct hf_web_settings ws = { 0 };
    struct hf_web_config c = { 0 };
    char *store = NULL;
    GMainLoop *loop;
    int rc = 0;

    hf_log_init("hostflow-web");
    g_option_context_set_summary(ctx, "Serve the collector's store as web pages: graphs, "
                                      "top-N tables, devices, conversations, CSV and JSON.");
    g_option_context_set_description(ctx, "Configuration: hostflow.conf(5).  See hostflow-web(8).\n");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, hf_log_options, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        rc = fail(err->message);
        goto out;
    }
    if (version_arg) {
        printf("hostflow-web %s\n", HF_VERSION);
        goto out;
    }
    if (argc > 1) {
        rc = fail("no arguments besides the options");
        goto out;
    }
    cf = hf_conf_open(config_arg, &err);
    if (!cf || !load_settings(cf, &ws, &store, &err)) {
        if (err->domain == HF_CONF_ERROR)
            hf_conf_print_error("hostflow-web", err);
        else
            fail(err->message);
        rc = 2;
        goto out;
    }
    if (check_config_arg) {
        rc = print_config(cf, &ws, store);
        goto out;
    }
    hf_web_settings_to_config(&ws, &c);
    {
        struct hf_names_config nc = { .config = hf_conf_keyfile(cf) };
        names = hf_names_load(&nc, &err);
        if (!names) {
            rc = fail(err->message);
            goto out;
        }
    }
    c.store = store;
    if (clickhouse_arg)
        c.clickhouse = &clickhouse;
    else if (access(c.store, R_OK | X_OK) != 0) {
        hf_log(HF_LOG_ERROR, "cannot read the store %s", c.store);
        rc = 1;
        goto out;
    }
    c.names = names;
    if (!hf_web_start(&c, &err)) {
        hf_log(HF_LOG_ERROR, "%s", err->message);
        rc = 1;
        goto out;
    }
    {
        const char *l = ws.listen;
        const char *colon = strrchr(l, ':');
        printf("hostflow-web: listening on %s:%.*s:%u\n", c.tls_cert ? "https" : "http",
               (int)(colon - l), l, hf_web_port());
        fflush(stdout);
    }
    loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    g_unix_signal_add(SIGHUP, on_hangup, NULL);
    signal(SIGPIPE, SIG_IGN);
    g_main_loop_run(loop);
    g_main_loop_unref(loop);
    hf_web_stop();
out:
    hf_clickhouse_config_clear(&clickhouse);
    hf_names_free(names);
    hf_conf_free(cf);
    hf_web_settings_clear(&ws);
    g_free(store);
    g_option_context_free(ctx);
    g_clear_error(&err);
    return rc;
}
