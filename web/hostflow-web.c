/* hostflow-web: the web view over a collector's store, standalone and
 * read-only (man/hostflow-web.8). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib-unix.h>

#include "hf_config.h"
#include "web.h"

static char *store_arg, *config_arg;
static struct hf_web_settings set;   /* the command line's, then the file's */
static gint threads_arg;
static gboolean version_arg;

static GOptionEntry entries[] = {
    {"store", 'w', 0, G_OPTION_ARG_FILENAME, &store_arg,
     "The collector's store (default /var/lib/hostflow/flows)", "DIR"},
    {"listen", 'l', 0, G_OPTION_ARG_STRING, &set.listen,
     "Address and port to serve on (default 127.0.0.1:8080; port 0: any free one)", "ADDR:PORT"},
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_arg,
     "A configuration file: [devices] names devices, [web] the settings below and "
     "javascript-dir", "FILE"},
    {"max-scan", 0, 0, G_OPTION_ARG_STRING, &set.max_scan,
     "Refuse (503) a query reading more than this many file bytes (default 4G)", "SIZE"},
    {"max-queries", 0, 0, G_OPTION_ARG_INT, &set.max_queries,
     "Queries running at once, more are refused with 503 (default 2)", "N"},
    {"max-query-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &set.max_query_seconds,
     "Stop a query running longer, answering 503 (default 20)", "SECONDS"},
    {"max-groups", 0, 0, G_OPTION_ARG_INT64, &set.max_groups,
     "Stop a query holding more table rows or conversations, answering 503 "
     "(default 1000000)", "N"},
    {"htpasswd", 0, 0, G_OPTION_ARG_FILENAME, &set.htpasswd,
     "Ask for HTTP basic auth, users from this htpasswd file (bcrypt, sha-crypt, "
     "yescrypt hashes)", "FILE"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &set.tls_cert,
     "Serve HTTPS with this certificate (PEM; with --tls-key)", "PEM"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &set.tls_key,
     "The certificate's private key (PEM)", "PEM"},
    {"threads", 'j', 0, G_OPTION_ARG_INT, &threads_arg,
     "Threads reading files per query (default 2)", "N"},
    {"version", 'V', 0, G_OPTION_ARG_NONE, &version_arg, "Print the version", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
};

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
        fprintf(stderr, "hostflow-web: SIGHUP: %s (keeping the old users)\n", err->message);
        g_error_free(err);
    }
    return G_SOURCE_CONTINUE;
}

static int
fail(const char *msg)
{
    fprintf(stderr, "hostflow-web: %s\nTry 'hostflow-web --help'.\n", msg);
    return 2;
}

int
main(int argc, char **argv)
{
    GOptionContext *ctx = g_option_context_new("");
    GError *err = NULL;
    GKeyFile *kf = NULL;
    struct hf_names *names = NULL;
    struct hf_web_config c = { 0 };
    GMainLoop *loop;
    int rc = 0;

    g_option_context_set_summary(ctx, "Serve the collector's store as web pages: graphs, "
                                      "top-N tables, devices, conversations, CSV and JSON.");
    g_option_context_add_main_entries(ctx, entries, NULL);
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
    if (config_arg) {
        kf = g_key_file_new();
        if (!g_key_file_load_from_file(kf, config_arg, G_KEY_FILE_NONE, &err)) {
            g_prefix_error(&err, "%s: ", config_arg);
            rc = fail(err->message);
            goto out;
        }
        hf_web_settings_read(kf, &set);
    }
    if (!hf_web_settings_apply(&c, &set, &err)) {
        rc = fail(err->message);
        goto out;
    }
    if (threads_arg < 0 || threads_arg > 64) {
        rc = fail("--threads wants 0 to 64");
        goto out;
    }
    c.threads = (unsigned)threads_arg;
    {
        struct hf_names_config nc = { .config = kf };
        names = hf_names_load(&nc, &err);
        if (!names) {
            rc = fail(err->message);
            goto out;
        }
    }
    c.store = store_arg ? store_arg : "/var/lib/hostflow/flows";
    if (access(c.store, R_OK | X_OK) != 0) {
        fprintf(stderr, "hostflow-web: cannot read the store %s\n", c.store);
        rc = 1;
        goto out;
    }
    c.listen = set.listen;
    c.names = names;
    if (!hf_web_start(&c, &err)) {
        fprintf(stderr, "hostflow-web: %s\n", err->message);
        rc = 1;
        goto out;
    }
    {
        const char *l = set.listen ? set.listen : "127.0.0.1:8080";
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
    hf_names_free(names);
    hf_web_settings_clear(&set);
    if (kf)
        g_key_file_free(kf);
    g_option_context_free(ctx);
    g_clear_error(&err);
    return rc;
}
