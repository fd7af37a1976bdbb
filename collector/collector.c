/* hostflow-collector: receive NetFlow v5/v9 and IPFIX, store every flow. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clickhouse_schema.h"
#include "clickhouse_sink.h"
#include "clock.h"
#include "config.h"
#include "devices.h"
#include "log.h"
#include "web.h"
#include "hf_config.h"
#include "listener.h"
#include "notify.h"
#include "web_embed.h"
#include "pipeline.h"
#include "columns_indexer.h"
#include "rollup.h"
#include "rrd_rebuild.h"
#include "store.h"
#include "store_format.h"

static char *config_arg, *store_arg, *state_arg, *max_size_arg, *rebuild_rrd_arg;
static char *queue_memory_arg;
static char **listen_args;
static int slot_arg = -1, retention_arg = -1, rcvbuf_arg = -1, hourly_retention_arg = -1;
static gboolean reject_unknown_arg, stats_arg, version_arg, no_hourly_arg, rollup_arg, columns_arg, no_columns_arg, no_rrd_arg;
static gboolean check_config_arg;
static char *web_arg;
static gboolean schema_arg;
static char *schema_version_arg;

/* --clickhouse-schema[=VERSION]: the value is optional */
static gboolean
take_schema_arg(const char *name, const char *value, gpointer data, GError **err)
{
    (void)name;
    (void)data;
    (void)err;
    schema_arg = TRUE;
    g_free(schema_version_arg);
    schema_version_arg = g_strdup(value);
    return TRUE;
}

static GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_arg,
     "The configuration file (default " HF_CONFIG_PATH "); see hostflow.conf(5)", "FILE"},
    {"listen", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &listen_args,
     "Listen on [udp:|tcp:][HOST:]PORT; repeat for more (default udp:4739 and tcp:4739)", "SPEC"},
    {"store", 'w', 0, G_OPTION_ARG_FILENAME, &store_arg,
     "Flow store directory (default /var/lib/hostflow/flows)", "DIR"},
    {"state", 's', 0, G_OPTION_ARG_FILENAME, &state_arg,
     "State directory: templates, status.json (default /var/lib/hostflow/state)", "DIR"},
    {"slot-seconds", 0, 0, G_OPTION_ARG_INT, &slot_arg,
     "Seconds per store file (default 300)", "S"},
    {"retention-days", 0, 0, G_OPTION_ARG_INT, &retention_arg,
     "Remove flows older than N days; 0 keeps them (default 28)", "N"},
    {"max-size", 0, 0, G_OPTION_ARG_STRING, &max_size_arg,
     "Remove the oldest flows beyond SIZE (e.g. 50G)", "SIZE"},
    {"no-columns", 0, 0, G_OPTION_ARG_NONE, &no_columns_arg,
     "Do not write the columns of completed slot files (queries read the IPFIX files)", NULL},
    {"no-hourly", 0, 0, G_OPTION_ARG_NONE, &no_hourly_arg,
     "Do not summarise complete hours into STORE/.hourly", NULL},
    {"hourly-retention-days", 0, 0, G_OPTION_ARG_INT, &hourly_retention_arg,
     "Remove hourly summaries older than N days; 0 keeps them (default 365)", "N"},
    {"rollup", 0, 0, G_OPTION_ARG_NONE, &rollup_arg,
     "Summarise the store's complete hours, expire old summaries, and exit", NULL},
    {"columns", 0, 0, G_OPTION_ARG_NONE, &columns_arg,
     "Write the columns of every complete slot file that lacks them, and exit", NULL},
    {"web", 0, 0, G_OPTION_ARG_STRING, &web_arg,
     "Serve the web view on ADDR:PORT (as hostflow-web; default: [web] listen, else none)",
     "ADDR:PORT"},
    {"no-rrd", 0, 0, G_OPTION_ARG_NONE, &no_rrd_arg,
     "Do not write the time series (STORE/.rrd)", NULL},
    {"rebuild-rrd", 0, 0, G_OPTION_ARG_STRING, &rebuild_rrd_arg,
     "Redraw PROFILE's time series (\"live\" or a [profile]) from the stored flows, and exit", "PROFILE"},
    {"reject-unknown", 0, 0, G_OPTION_ARG_NONE, &reject_unknown_arg,
     "Drop flows from exporters no [source] names", NULL},
    {"rcvbuf", 0, 0, G_OPTION_ARG_INT, &rcvbuf_arg,
     "UDP socket receive buffer in bytes (default 33554432)", "BYTES"},
    {"queue-memory", 0, 0, G_OPTION_ARG_STRING, &queue_memory_arg,
     "Memory for every queue between receiving, decoding and storing together; what "
     "does not fit is dropped and counted (default 64M, at least 4M)", "SIZE"},
    {"stats", 0, 0, G_OPTION_ARG_NONE, &stats_arg,
     "Print the running collector's counters (STATE/status.json) and exit", NULL},
    {"check-config", 0, 0, G_OPTION_ARG_NONE, &check_config_arg,
     "Check the configuration file and options, print the values in effect and exit", NULL},
    {"clickhouse-schema", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, take_schema_arg,
     "Print the CREATE statements for [clickhouse]'s database and table, as a ClickHouse "
     "server of VERSION (e.g. 18.16; default: a current one) takes them, and exit", "[VERSION]"},
    {"version", 'V', 0, G_OPTION_ARG_NONE, &version_arg, "Print the version", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
};

static int
usage(const char *msg)
{
    fprintf(stderr, "hostflow-collector: %s\nTry 'hostflow-collector --help'.\n", msg);
    return 2;
}

/* Command-line values override the file's. */
static bool
apply_options(struct hf_collector_config *c, GError **err)
{
    if (listen_args) {
        g_array_set_size(c->listen, 0);
        for (char **l = listen_args; *l; l++) {
            struct hf_listen_spec ls;
            if (!hf_listen_parse(*l, &ls, err))
                return false;
            g_array_append_val(c->listen, ls);
        }
    }
    if (c->listen->len == 0) {
        struct hf_listen_spec udp = { .tcp = false, .port = 4739 };
        struct hf_listen_spec tcp = { .tcp = true, .port = 4739 };
        g_array_append_val(c->listen, udp);
        g_array_append_val(c->listen, tcp);
    }
    if (store_arg) {
        g_free(c->store_dir);
        c->store_dir = g_strdup(store_arg);
    }
    if (state_arg) {
        g_free(c->state_dir);
        c->state_dir = g_strdup(state_arg);
    }
    if (slot_arg != -1) {
        if (!hf_slot_seconds_valid(slot_arg)) {
            g_set_error(err, G_OPTION_ERROR, 0,
                        "--slot-seconds must be whole minutes that divide a day (60, 300, 3600...)");
            return false;
        }
        c->slot_seconds = (uint32_t)slot_arg;
    }
    if (retention_arg != -1) {
        if (retention_arg < 0) {
            g_set_error(err, G_OPTION_ERROR, 0, "--retention-days must be >= 0");
            return false;
        }
        c->retention_days = (uint32_t)retention_arg;
    }
    if (max_size_arg && !hf_size_parse(max_size_arg, &c->max_store_bytes)) {
        g_set_error(err, G_OPTION_ERROR, 0, "--max-size wants a size like 50G");
        return false;
    }
    if (queue_memory_arg) {
        uint64_t v;
        if (!hf_size_parse(queue_memory_arg, &v) || v < HF_QUEUE_MEMORY_MIN
            || v > UINT64_C(1) << 40) {
            g_set_error(err, G_OPTION_ERROR, 0,
                        "--queue-memory wants a size from 4M to 1T, like 64M");
            return false;
        }
        c->queue_memory = v;
    }
    if (reject_unknown_arg)
        c->accept_unknown = false;
    if (no_hourly_arg)
        c->hourly = false;
    if (no_columns_arg)
        c->columns = false;
    if (no_rrd_arg)
        c->rrd = false;
    if (hourly_retention_arg != -1) {
        if (hourly_retention_arg < 0) {
            g_set_error(err, G_OPTION_ERROR, 0, "--hourly-retention-days must be >= 0");
            return false;
        }
        c->hourly_retention_days = (uint32_t)hourly_retention_arg;
    }
    if (rcvbuf_arg != -1) {
        if (rcvbuf_arg < 4096) {
            g_set_error(err, G_OPTION_ERROR, 0, "--rcvbuf must be at least 4096 bytes");
            return false;
        }
        c->rcvbuf = rcvbuf_arg;
    }
    return true;
}

static int
print_stats(const struct hf_collector_config *c)
{
    char *path = g_build_filename(c->state_dir, "status.json", NULL), *text = NULL;
    GError *err = NULL;
    int rc = 0;

    if (g_file_get_contents(path, &text, NULL, &err)) {
        fputs(text, stdout);
    } else {
        hf_log(HF_LOG_ERROR, "%s (is the collector running with this state directory?)",
               err->message);
        g_clear_error(&err);
        rc = 1;
    }
    g_free(text);
    g_free(path);
    return rc;
}

/* --check-config: the values in effect, as a configuration file that
 * gives the same values when read back. */
static int
print_config(const struct hf_conf *cf, const struct hf_collector_config *c,
             const struct hf_web_settings *web)
{
    hf_conf_print_header(stdout, "hostflow-collector", cf);
    printf("[collector]\nlisten = ");
    for (guint i = 0; i < c->listen->len; i++) {
        const struct hf_listen_spec *ls = &g_array_index(c->listen, struct hf_listen_spec, i);
        bool v6 = ls->host && strchr(ls->host, ':');
        printf("%s%s:%s%s%s%s%u", i ? ";" : "", ls->tcp ? "tcp" : "udp", v6 ? "[" : "",
               ls->host ? ls->host : "", v6 ? "]" : "", ls->host ? ":" : "", ls->port);
    }
    printf("\nstore = %s\nstate = %s\nslot-seconds = %u\nretention-days = %u\n",
           c->store_dir, c->state_dir, c->slot_seconds, c->retention_days);
    hf_conf_print_size(stdout, "max-store-size", c->max_store_bytes);
    hf_conf_print_size(stdout, "queue-memory", c->queue_memory);
    printf("columns = %s\nhourly = %s\nhourly-retention-days = %u\naccept-unknown = %s\n"
           "rcvbuf = %d\n", c->columns ? "true" : "false",
           c->hourly ? "true" : "false", c->hourly_retention_days,
           c->accept_unknown ? "true" : "false", c->rcvbuf);
    printf("max-exporters = %u\nmax-sessions-per-exporter = %u\nmax-templates = %u\n"
           "max-templates-per-exporter = %u\n",
           c->limits.max_sessions, c->limits.max_sessions_per_exporter,
           c->limits.max_templates, c->limits.max_templates_per_exporter);
    hf_conf_print_size(stdout, "held-data", c->held_bytes);
    hf_conf_print_size(stdout, "max-held-per-exporter", c->limits.max_held_per_exporter);
    printf("status-exporters = %u\n", c->status_exporters);
    printf("log-stats = %u\n", c->log_stats_seconds);
    printf("rrd = %s\n", c->rrd ? "true" : "false");
    if (c->rrdcached)
        printf("rrdcached = %s\n", c->rrdcached);
    hf_clickhouse_config_print(&c->clickhouse, stdout);
    for (guint i = 0; i < c->sources->len; i++) {
        const struct hf_source *s = g_ptr_array_index(c->sources, i);
        printf("\n[source %s]\n", s->name);
        printf("port = %u\n", s->port);
        if (s->has_exporter) {
            char addr[64];
            hf_exporter_addr_str(s->exporter, addr, sizeof(addr));
            printf("exporter = %s\n", addr);
        }
    }
    for (guint i = 0; c->profiles && i < c->profiles->len; i++) {
        const struct hf_profile *p = g_ptr_array_index(c->profiles, i);
        printf("\n[profile %s]\nfilter = %s\n", p->name, p->filter_text);
    }
    hf_web_settings_print(stdout, web);
    hf_conf_print_devices(stdout, cf);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Newer than every server hostflow knows about: all features on. */
#define SCHEMA_CURRENT_MAJOR 24
#define SCHEMA_CURRENT_MINOR 1

static int
print_schema(const struct hf_clickhouse_config *c)
{
    unsigned major = SCHEMA_CURRENT_MAJOR, minor = SCHEMA_CURRENT_MINOR;

    if (schema_version_arg && !hf_ch_version_parse(schema_version_arg, &major, &minor))
        return usage("--clickhouse-schema wants a server version like 18.16 or 23.8");
    char *text = hf_ch_schema(c, major, minor);
    fputs(text, stdout);
    g_free(text);
    return fflush(stdout) == 0 ? 0 : 1;
}

static struct hf_rollup *
rollup_new(const struct hf_collector_config *c)
{
    struct hf_rollup_config rc = {
        .store_dir = c->store_dir, .slot_seconds = c->slot_seconds,
        .max_age_days = c->hourly_retention_days,
    };
    GError *err = NULL;
    struct hf_rollup *r = hf_rollup_new(&rc, &err);

    if (!r) {
        hf_log(HF_LOG_ERROR, "hourly summaries: %s", err->message);
        g_error_free(err);
    }
    return r;
}

/* --rollup: one pass, for cron or after restoring raw files. */
static int
rollup_once(const struct hf_collector_config *c)
{
    struct hf_rollup *r = rollup_new(c);
    int rc = 0;

    if (!r)
        return 1;
    if (!hf_rollup_run(r, hf_wall_ms(), NULL)) {
        hf_log(HF_LOG_ERROR, "%s/%s is being summarised by another process",
               c->store_dir, HF_ROLLUP_DIR);
        rc = 1;
    } else {
        struct hf_rollup_stats st = hf_rollup_stats(r);
        printf("hours %" G_GUINT64_FORMAT " flows %" G_GUINT64_FORMAT " summaries %"
               G_GUINT64_FORMAT " expired %" G_GUINT64_FORMAT " unreadable %"
               G_GUINT64_FORMAT " errors %" G_GUINT64_FORMAT "\n",
               st.hours_written, st.flows_read, st.summaries, st.files_expired,
               st.files_unreadable, st.write_errors);
        rc = st.write_errors ? 1 : 0;
    }
    hf_rollup_free(r);
    return rc;
}

/* -c FILE, else the default file; else, from before hostflow.conf, the
 * collector's own file (with a warning: never lose a user's settings). */
static struct hf_conf *
open_config(GError **err)
{
    if (!config_arg && !g_file_test(hf_conf_default_path(), G_FILE_TEST_EXISTS)
        && g_file_test(HF_OLD_CONFIG_PATH, G_FILE_TEST_EXISTS)) {
        hf_log(HF_LOG_WARNING, "reading %s: %s is missing; move the settings there "
               "(hostflow.conf(5))", HF_OLD_CONFIG_PATH, hf_conf_default_path());
        return hf_conf_open(HF_OLD_CONFIG_PATH, err);
    }
    return hf_conf_open(config_arg, err);
}

/* The file, then the command line over it. */
static bool
load_config(const struct hf_conf *cf, struct hf_collector_config *c,
            struct hf_web_settings *web, GError **err)
{
    hf_collector_config_defaults(c);
    if (web)
        hf_web_settings_defaults(web);
    return hf_collector_config_load(c, cf, err) && apply_options(c, err)
        && (!web || (hf_web_settings_load(web, cf, err) && hf_devices_check_config(cf, err)
                     && hf_web_settings_override(web, &(struct hf_web_options){
                            .listen = web_arg, .max_queries = -1, .threads = -1,
                            .max_groups = -1 }, err)
                     && hf_web_settings_check_files(web, err)));
}

static void
release(struct hf_conf **cf, struct hf_web_settings *web, struct hf_collector_config *c)
{
    hf_conf_free(*cf);
    *cf = NULL;
    hf_web_settings_clear(web);
    hf_collector_config_clear(c);
}

static bool
make_dir(const char *dir)
{
    if (g_mkdir_with_parents(dir, 0750) == 0)
        return true;
    hf_log(HF_LOG_ERROR, "cannot create %s: %s", dir, g_strerror(errno));
    return false;
}

/* The store's format marker (common/store_format.h): written into a store
 * without one (the releases before it wrote the same layout), and a store
 * of a newer or unreadable format refused: exit 2, before anything in it
 * is read or written. */
static int
store_format(const char *dir)
{
    GError *err = NULL;
    GDir *d = g_dir_open(dir, 0, NULL);
    bool had_files = d && g_dir_read_name(d) != NULL, adopted = false;
    int rc = 0;

    if (d)
        g_dir_close(d);
    if (!hf_store_format_adopt(dir, &adopted, &err)) {
        fprintf(stderr, "hostflow-collector: %s\n", err->message);
        rc = err->code == HF_STORE_FORMAT_REFUSED ? 2 : 1;
        g_error_free(err);
    } else if (adopted && had_files) {
        fprintf(stderr, "hostflow-collector: %s: no %s (a store of an earlier "
                "hostflow): marked as format %d; its files are kept as they are\n",
                dir, HF_STORE_MARKER, HF_STORE_FORMAT);
    }
    return rc;
}

int
main(int argc, char **argv)
{
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new("");
    struct hf_collector_config cfg = { 0 };
    struct hf_web_settings web_cfg = { 0 };
    struct hf_conf *cf;

    hf_log_init("hostflow-collector");
    g_option_context_set_summary(ctx,
        "Receive NetFlow v5, NetFlow v9 and IPFIX (UDP; IPFIX also over TCP)\n"
        "and sFlow v5 (UDP) from any number of exporters and store every flow\n"
        "in rotating IPFIX files, one per source and time slot; summarise\n"
        "every complete hour into STORE/.hourly (kept a year); draw every\n"
        "slot's flows, packets and bytes per source and profile as RRD time\n"
        "series in STORE/.rrd; with [clickhouse], insert them into ClickHouse too\n"
        "(or instead).");
    g_option_context_set_description(ctx,
        "Signals: SIGTERM/SIGINT complete the open files and exit; SIGHUP\n"
        "re-reads the configuration's sources.  Configuration: hostflow.conf(5).\n"
        "See hostflow-collector(8).\n");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, hf_log_options, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        int rc = usage(err->message);
        g_error_free(err);
        g_option_context_free(ctx);
        return rc;
    }
    g_option_context_free(ctx);
    if (version_arg) {
        printf("hostflow-collector %s\n", HF_VERSION);
        return 0;
    }
    if (argc > 1)
        return usage("unexpected argument");
    cf = open_config(&err);
    if (!cf || !load_config(cf, &cfg, &web_cfg, &err)) {
        hf_conf_print_error("hostflow-collector", err);
        g_error_free(err);
        release(&cf, &web_cfg, &cfg);
        return 2;
    }
    if (check_config_arg) {
        int rc = print_config(cf, &cfg, &web_cfg);
        release(&cf, &web_cfg, &cfg);
        return rc;
    }
    if (schema_arg) {
        int rc = print_schema(&cfg.clickhouse);
        release(&cf, &web_cfg, &cfg);
        return rc;
    }
    if (stats_arg) {
        int rc = print_stats(&cfg);
        release(&cf, &web_cfg, &cfg);
        return rc;
    }
    if (!make_dir(cfg.store_dir) || !make_dir(cfg.state_dir)) {
        release(&cf, &web_cfg, &cfg);
        return 1;
    }
    int format_rc = store_format(cfg.store_dir);
    if (format_rc) {
        release(&cf, &web_cfg, &cfg);
        return format_rc;
    }
    if (rebuild_rrd_arg) {
        int rc = hf_rrd_rebuild(&cfg, rebuild_rrd_arg);
        release(&cf, &web_cfg, &cfg);
        return rc;
    }
    if (rollup_arg) {
        int rc = rollup_once(&cfg);
        release(&cf, &web_cfg, &cfg);
        return rc;
    }
    if (columns_arg) {
        struct hf_columns_indexer_stats cs = hf_columns_index_store(cfg.store_dir, NULL);
        printf("columns written %" G_GUINT64_FORMAT " failed %" G_GUINT64_FORMAT "\n",
               cs.built, cs.failed);
        release(&cf, &web_cfg, &cfg);
        return cs.failed ? 1 : 0;
    }

    /* signals are taken synchronously in the loop below, never inside a
     * worker thread: blocked before the first thread (the columns') starts,
     * as every thread inherits the mask of the one that starts it */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct hf_store_config sc = {
        .dir = cfg.store_dir, .slot_seconds = cfg.slot_seconds,
        .max_age_days = cfg.retention_days, .max_bytes = cfg.max_store_bytes,
    };
    /* each completed slot's columns, for the queries (query/columns.h) */
    struct hf_columns_indexer *indexer = cfg.columns ? hf_columns_indexer_start(cfg.store_dir)
                                                     : NULL;
    struct hf_listener *listener = NULL;
    struct hf_web_embed *web = NULL;
    struct hf_ch_sink *ch = NULL;
    sc.completed = indexer ? hf_columns_indexer_completed : NULL;
    sc.completed_ctx = indexer;
    struct hf_store *store = hf_store_open(&sc, &err);
    if (!store)
        goto fail;
    listener = hf_listener_open(cfg.listen, cfg.rcvbuf, &err);
    if (!listener)
        goto fail;
    for (guint i = 0; i < cfg.listen->len; i++) {
        const struct hf_listen_spec *ls = &g_array_index(cfg.listen, struct hf_listen_spec, i);
        bool v6 = ls->host && strchr(ls->host, ':');
        hf_log(HF_LOG_INFO, "listening on %s:%s%s%s%s%u",
               ls->tcp ? "tcp" : "udp", v6 ? "[" : "", ls->host ? ls->host : "",
               v6 ? "]" : "", ls->host ? ":" : "", hf_listener_port(listener, i));
    }

    /* after the mask: the web server's threads must not take SIGTERM */
    bool web_ok = hf_web_embed_start(cfg.store_dir, &cfg.clickhouse, cf, &web_cfg, &web,
                                     &err);
    hf_web_settings_clear(&web_cfg);
    hf_conf_free(cf);               /* read again on SIGHUP */
    cf = NULL;
    if (!web_ok)
        goto fail;
    if (web) {
        char *url = hf_web_embed_url(web);
        hf_log(HF_LOG_INFO, "web view on %s", url);
        g_free(url);
    }

    /* one budget for every queue between the threads (queue_memory.h) */
    static struct hf_queue_memory queue_memory;
    hf_queue_memory_init(&queue_memory, cfg.queue_memory);
    if (cfg.clickhouse.url) {
        ch = hf_ch_sink_start(&cfg.clickhouse, cfg.state_dir, &queue_memory, &err);
        if (!ch)
            goto fail;
        fprintf(stderr, "hostflow-collector: inserting into ClickHouse %s.%s at %s%s\n",
                cfg.clickhouse.database, cfg.clickhouse.table, cfg.clickhouse.url,
                cfg.clickhouse.store_files ? "" : " (no store files)");
    }
    GAsyncQueue *rxq = g_async_queue_new_full(g_free);
    GAsyncQueue *rx_free = g_async_queue_new_full(g_free);
    struct hf_pipeline *pipe = hf_pipeline_start(&cfg, listener, store, ch, rxq, rx_free,
                                                 &queue_memory, &err);
    hf_listener_start(listener, rxq, rx_free, &queue_memory);
    struct hf_rollup *rollup = cfg.hourly ? rollup_new(&cfg) : NULL;
    if (rollup) {
        hf_pipeline_set_rollup(pipe, rollup);
        hf_rollup_start(rollup, 60);
    }
    /* sockets bound, store open, threads running: systemctl start returns */
    hf_notify_ready(cfg.listen->len);

    for (;;) {
        int sig = sigwaitinfo(&sigs, NULL);
        if (sig == SIGHUP) {
            if (!cfg.config_path) {
                hf_log(HF_LOG_WARNING, "SIGHUP: no configuration file to re-read");
                continue;
            }
            hf_notify_reloading();
            if (!hf_web_embed_reload(web, &err)) {
                fprintf(stderr, "hostflow-collector: SIGHUP: %s (keeping the old web "
                        "users)\n", err->message);
                g_clear_error(&err);
            }
            struct hf_collector_config *next = g_new0(struct hf_collector_config, 1);
            /* the command line still overrides the file */
            struct hf_conf *again = hf_conf_open(cfg.config_path, &err);
            bool loaded = again && load_config(again, next, NULL, &err);
            hf_conf_free(again);
            if (!loaded) {
                hf_log(HF_LOG_ERROR, "SIGHUP: %s (keeping the old sources)", err->message);
                g_clear_error(&err);
                hf_collector_config_clear(next);
                g_free(next);
                hf_notify_reloaded("reload failed, keeping the old sources");
                continue;
            }
            /* only sources change on reload; directories and sockets stay */
            hf_log(HF_LOG_INFO, "reloaded %s (%u sources)", cfg.config_path,
                   next->sources->len);
            char *status = g_strdup_printf("reloaded (%u sources)", next->sources->len);
            struct hf_collector_config *old = hf_pipeline_reload(pipe, next);
            if (old != &cfg) {
                hf_collector_config_clear(old);
                g_free(old);
            }
            hf_notify_reloaded(status);
            g_free(status);
            continue;
        }
        if (sig == SIGTERM || sig == SIGINT)
            break;
    }
    hf_notify_stopping();
    hf_web_embed_stop(web);
    hf_listener_stop(listener);
    if (rollup)
        hf_rollup_stop(rollup);   /* ends its pass between hours */
    struct hf_collector_config *last = hf_pipeline_reload(pipe, &cfg);
    if (last != &cfg) {
        hf_collector_config_clear(last);
        g_free(last);
    }
    hf_pipeline_stop(pipe);
    {
        /* the summary at exit (the counters in full: status.json) */
        struct hf_listener_stats ls = hf_listener_stats(listener);
        struct hf_store_stats ss = hf_store_stats(store);
        hf_log(HF_LOG_INFO, "stopped: %" G_GUINT64_FORMAT " datagrams, %" G_GUINT64_FORMAT
               " records stored, %" G_GUINT64_FORMAT " files completed, %" G_GUINT64_FORMAT
               " kernel drops, %" G_GUINT64_FORMAT " write errors", ls.datagrams, ss.records,
               ss.files_completed, ls.kernel_drops, ss.write_errors);
    }
    hf_rollup_free(rollup);       /* the pipeline's last status read it */
    hf_ch_sink_free(ch);          /* the pipeline's last status read it */
    hf_listener_free(listener);   /* the pipeline's last status read it */
    hf_store_close(store);       /* completes the open slots... */
    hf_columns_indexer_stop(indexer);   /* ...whose columns are written now */
    g_async_queue_unref(rxq);
    g_async_queue_unref(rx_free);
    release(&cf, &web_cfg, &cfg);
    return 0;

fail:   /* a part could not start: the others stopped, in the reverse order */
    hf_log(HF_LOG_ERROR, "%s", err->message);
    g_error_free(err);
    hf_ch_sink_free(ch);
    hf_web_embed_stop(web);
    hf_listener_free(listener);
    hf_store_close(store);
    hf_columns_indexer_stop(indexer);
    release(&cf, &web_cfg, &cfg);
    return 1;
}
