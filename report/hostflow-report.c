/* hostflow-report: questions to the collector's store, from the command
 * line or cron: top-N tables by any key, a timeline of conversations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "clickhouse_config.h"
#include "clock.h"
#include "conf_file.h"
#include "devices.h"
#include "hf_config.h"
#include "log.h"
#include "query.h"
#include "render.h"
#include "when.h"

static char *store_arg, *from_arg, *to_arg, *by_arg, *order_arg, *input_arg;
static char *config_arg, *merge_arg, *ignore_arg, *psl_arg;
static char **source_args, **lease_args, **ethers_args;
static gint top_arg = -1;   /* -1: 10 rows, or the whole timeline */
static gint threads_arg = -1;   /* -1: not given */
static gboolean timeline_arg, csv_arg, json_arg, all_arg, explain_arg, utc_arg, version_arg;
static gboolean check_config_arg, clickhouse_arg;
static struct hf_clickhouse_config clickhouse;  /* url: ClickHouse answers */

static GOptionEntry entries[] = {
    {"store", 'w', 0, G_OPTION_ARG_FILENAME, &store_arg,
     "The collector's store (default [report] store, [collector] store, else "
     HF_DEFAULT_STORE ")", "DIR"},
    {"clickhouse", 0, 0, G_OPTION_ARG_NONE, &clickhouse_arg,
     "Ask ClickHouse ([clickhouse] url, database, table of the configuration) instead "
     "of the store's files", NULL},
    {"source", 's', 0, G_OPTION_ARG_STRING_ARRAY, &source_args,
     "Only this source (repeatable; default all)", "NAME"},
    {"from", 'f', 0, G_OPTION_ARG_STRING, &from_arg,
     "Start of the window: 2026-11-29, '2026-11-29 03:00', RFC 3339, today, "
     "yesterday, -1h, -7d (default -24h)", "T"},
    {"to", 't', 0, G_OPTION_ARG_STRING, &to_arg, "End of the window (default now)", "T"},
    {"by", 'b', 0, G_OPTION_ARG_STRING, &by_arg,
     "Top-N table by KEY[,KEY...]: srcip dstip ip srcport dstport port proto client "
     "server service hostname domain device app exporter in_if out_if srcmac dstmac "
     "time/5min time/hour time/day", "KEYS"},
    {"top", 'n', 0, G_OPTION_ARG_INT, &top_arg,
     "Rows of a table (default 10; 0 = all); with the timeline, its last N lines", "N"},
    {"order", 'o', 0, G_OPTION_ARG_STRING, &order_arg,
     "bytes (default), packets, flows, or key (a time series: the default with "
     "--by time/...)", "BY"},
    {"timeline", 'T', 0, G_OPTION_ARG_NONE, &timeline_arg,
     "One line per conversation (the default without --by)", NULL},
    {"csv", 0, 0, G_OPTION_ARG_NONE, &csv_arg, "CSV (RFC 4180) with a header line", NULL},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json_arg, "JSON lines: one object per row", NULL},
    {"all", 'a', 0, G_OPTION_ARG_NONE, &all_arg,
     "Also names on the ignore list (ads, trackers, OCSP...)", NULL},
    {"explain", 0, 0, G_OPTION_ARG_NONE, &explain_arg,
     "Say how the query was answered (on standard error)", NULL},
    {"input", 0, 0, G_OPTION_ARG_STRING, &input_arg,
     "auto (default: hourly summaries when they can answer), flows, ipfix (flows, not "
     "from their columns) or hourly", "FROM"},
    {"utc", 'u', 0, G_OPTION_ARG_NONE, &utc_arg, "Times in UTC, not the local zone", NULL},
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_arg,
     "The configuration file (default " HF_CONFIG_PATH "): [report] defaults, "
     "[devices] names devices; see hostflow.conf(5)", "FILE"},
    {"check-config", 0, 0, G_OPTION_ARG_NONE, &check_config_arg,
     "Check the configuration file and options, print the values in effect and exit", NULL},
    {"merge-list", 0, 0, G_OPTION_ARG_FILENAME, &merge_arg,
     "Hostname-to-domain merge list (see hostflow-names(5))", "FILE"},
    {"ignore-list", 0, 0, G_OPTION_ARG_FILENAME, &ignore_arg,
     "Hostnames hidden unless --all (see hostflow-names(5))", "FILE"},
    {"psl", 0, 0, G_OPTION_ARG_FILENAME, &psl_arg,
     "Public Suffix List (default Debian's publicsuffix)", "FILE"},
    {"leases", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &lease_args,
     "A dnsmasq or odhcpd lease file naming devices (repeatable)", "FILE"},
    {"ethers", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &ethers_args,
     "An ethers file naming devices (repeatable; default /etc/ethers)", "FILE"},
    {"threads", 'j', 0, G_OPTION_ARG_INT, &threads_arg,
     "Threads reading files (default: the number of cores)", "N"},
    {"version", 'V', 0, G_OPTION_ARG_NONE, &version_arg, "Print the version", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
};

static int
fail(const char *msg)
{
    fprintf(stderr, "hostflow-report: %s\nTry 'hostflow-report --help'.\n", msg);
    return 2;
}

/* A string option not given on the command line from [report] KEY. */
static bool
file_string(const struct hf_conf *cf, const char *key, char **arg, GError **err)
{
    return *arg || hf_conf_string(cf, "report", key, arg, err);
}

static bool
file_strv(const struct hf_conf *cf, const char *key, char ***arg, GError **err)
{
    return *arg || hf_conf_strv(cf, "report", key, arg, err);
}

/* [report] where the command line is silent; the store: --store, then
 * [report] store, then [collector] store, then the default. */
static bool
load_config(const struct hf_conf *cf, GError **err)
{
    int64_t threads = 0;
    bool utc = false, input_from_file = !input_arg, use_clickhouse = false;

    if (!store_arg && (!hf_conf_string(cf, "collector", "store", &store_arg, err)
                       || !hf_conf_string(cf, "report", "store", &store_arg, err)))
        return false;
    if (!file_string(cf, "input", &input_arg, err)
        || !file_string(cf, "merge-list", &merge_arg, err)
        || !file_string(cf, "ignore-list", &ignore_arg, err)
        || !file_string(cf, "psl", &psl_arg, err)
        || !file_strv(cf, "leases", &lease_args, err)
        || !file_strv(cf, "ethers", &ethers_args, err)
        || !hf_conf_int(cf, "report", "threads", 0, 256, &threads, err)
        || !hf_conf_bool(cf, "report", "utc", &utc, err)
        || !hf_conf_bool(cf, "report", "clickhouse", &use_clickhouse, err)
        || !hf_devices_check_config(cf, err))
        return false;
    hf_clickhouse_config_defaults(&clickhouse);
    clickhouse_arg = clickhouse_arg || use_clickhouse;
    if (clickhouse_arg && (!hf_clickhouse_config_load(&clickhouse, cf, err)
                           || !hf_clickhouse_config_require_url(&clickhouse, cf, "report", err)))
        return false;
    /* the files' collector, for --by collector: the name this host's
     * collector gives ClickHouse */
    if (!clickhouse_arg
        && !hf_conf_string(cf, "clickhouse", "collector-name", &clickhouse.collector_name, err))
        return false;
    if (input_arg && strcmp(input_arg, "auto") && strcmp(input_arg, "flows")
        && strcmp(input_arg, "ipfix") && strcmp(input_arg, "hourly") && input_from_file) {
        hf_conf_error(cf, err, "report", "input", "'%s': want auto, flows, ipfix or hourly",
                      input_arg);
        return false;
    }
    if (threads_arg == -1)
        threads_arg = (gint)threads;
    utc_arg = utc_arg || utc;
    if (!store_arg)
        store_arg = g_strdup(HF_DEFAULT_STORE);
    if (!input_arg)
        input_arg = g_strdup("auto");
    return true;
}

static void
print_list(const char *key, char **v)
{
    if (!v)
        return;
    printf("%s = ", key);
    for (char **s = v; *s; s++)
        printf("%s;", *s);
    printf("\n");
}

static int
print_config(const struct hf_conf *cf)
{
    hf_conf_print_header(stdout, "hostflow-report", cf);
    printf("[report]\nstore = %s\ninput = %s\nthreads = %d\nutc = %s\nclickhouse = %s\n",
           store_arg, input_arg, threads_arg, utc_arg ? "true" : "false",
           clickhouse_arg ? "true" : "false");
    if (merge_arg)
        printf("merge-list = %s\n", merge_arg);
    if (ignore_arg)
        printf("ignore-list = %s\n", ignore_arg);
    if (psl_arg)
        printf("psl = %s\n", psl_arg);
    print_list("leases", lease_args);
    print_list("ethers", ethers_args);
    hf_conf_print_devices(stdout, cf);
    if (clickhouse_arg)
        hf_clickhouse_config_print(&clickhouse, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

static struct hf_names *
load_names(const struct hf_conf *cf, GError **err)
{
    struct hf_names_config c = {
        .psl_path = psl_arg, .merge_path = merge_arg, .ignore_path = ignore_arg,
        .ethers = (const char *const *)ethers_args,
        .leases = (const char *const *)lease_args, .config = hf_conf_keyfile(cf),
    };
    return hf_names_load(&c, err);
}

int
main(int argc, char **argv)
{
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new("[FILTER]");
    struct hf_query q = { 0 };
    struct hf_query_result res;
    struct hf_render_opts ro = { HF_RENDER_TEXT, false };
    enum hf_order order = HF_ORDER_BYTES;
    struct hf_filter *filter = NULL;
    struct hf_names *names = NULL;
    struct hf_conf *cf = NULL;
    uint64_t now = hf_wall_ms();
    int rc = 0;

    hf_log_init("hostflow-report");
    g_option_context_set_summary(ctx,
        "Ask the collector's store which devices talked to which hosts, when and how much.\n"
        "FILTER is in nfdump's syntax plus hostname, domain, app, device, mac, sampled\n"
        "(see hostflow-filter(7)), e.g. 'proto tcp and dst port 443'.");
    g_option_context_set_description(ctx,
        "Examples:\n"
        "  hostflow-report --from today                      today's conversations\n"
        "  hostflow-report --from yesterday --to today --by device,domain -n 20\n"
        "  hostflow-report --by dstip -o flows 'proto udp'\n"
        "Exit status: 0 (also for an empty result), 1 store unreadable, 2 bad usage.\n"
        "Configuration: hostflow.conf(5).  See hostflow-report(1).\n");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, hf_log_options, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        rc = fail(err->message);
        goto out;
    }
    if (version_arg) {
        printf("hostflow-report %s\n", HF_VERSION);
        goto out;
    }
    cf = hf_conf_open(config_arg, &err);
    if (!cf || !load_config(cf, &err)) {
        hf_conf_print_error("hostflow-report", err);
        rc = 2;
        goto out;
    }
    if (check_config_arg) {
        rc = print_config(cf);
        goto out;
    }
    if (csv_arg && json_arg) {
        rc = fail("--csv and --json exclude each other");
        goto out;
    }
    ro.format = csv_arg ? HF_RENDER_CSV : json_arg ? HF_RENDER_JSON : HF_RENDER_TEXT;
    ro.utc = utc_arg;
    if (top_arg < -1) {
        rc = fail("--top wants a number >= 0");
        goto out;
    }
    if (order_arg && !hf_order_parse(order_arg, &order)) {
        rc = fail("--order wants bytes, packets, flows or key");
        goto out;
    }
    if (by_arg && timeline_arg) {
        rc = fail("--by and --timeline exclude each other");
        goto out;
    }
    if (by_arg && !hf_keys_parse(by_arg, q.keys, &q.nkeys, &err)) {
        rc = fail(err->message);
        goto out;
    }
    q.input = HF_INPUT_AUTO;
    if (input_arg) {
        if (!strcmp(input_arg, "flows"))
            q.input = HF_INPUT_FLOWS;
        else if (!strcmp(input_arg, "hourly"))
            q.input = HF_INPUT_HOURLY;
        else if (!strcmp(input_arg, "ipfix"))
            q.input = HF_INPUT_IPFIX;
        else if (strcmp(input_arg, "auto")) {
            rc = fail("--input wants auto, flows, ipfix or hourly");
            goto out;
        }
    }
    if (!hf_when_parse(from_arg ? from_arg : "-24h", now, utc_arg, &q.from_ms, &err)
        || !hf_when_parse(to_arg ? to_arg : "now", now, utc_arg, &q.to_ms, &err)) {
        rc = fail(err->message);
        goto out;
    }
    if (!to_arg)
        q.to_ms = UINT64_MAX;   /* up to now: records still arriving included */
    if (q.from_ms >= q.to_ms) {
        rc = fail("--from is not before --to");
        goto out;
    }
    if (threads_arg < 0 || threads_arg > 256) {
        rc = fail("--threads wants 0 to 256");
        goto out;
    }
    {
        /* the filter: the remaining arguments, as nfdump takes it */
        char *text = g_strjoinv(" ", argv + 1);
        filter = hf_filter_parse(text, &err);
        g_free(text);
        if (!filter) {
            fprintf(stderr, "hostflow-report: error: %s\n", err->message);
            rc = 2;
            goto out;
        }
    }
    names = load_names(cf, &err);
    if (!names) {
        rc = fail(err->message);
        goto out;
    }
    q.store = store_arg;
    q.collector = clickhouse.collector_name;
    if (clickhouse_arg)
        q.clickhouse = &clickhouse;
    else if (access(q.store, R_OK | X_OK) != 0) {
        hf_log(HF_LOG_ERROR, "cannot read the store %s: %s", q.store, g_strerror(errno));
        rc = 1;
        goto out;
    }
    q.sources = (const char *const *)source_args;
    q.filter = filter;
    q.all_names = all_arg;
    q.names = names;
    q.threads = (unsigned)threads_arg;
    if (!hf_query_run(&q, &res, &err)) {
        fprintf(stderr, "hostflow-report: %s\n", err->message);
        hf_query_result_clear(&res);
        rc = 1;
        goto out;
    }
    if (explain_arg)
        fputs(res.explain->str, stderr);
    if (q.nkeys && q.keys[0].kind == HF_KEY_TIME && !order_arg) {
        /* a time series: every step, in time order */
        hf_render_top(stdout, &q, &res, HF_ORDER_KEY, top_arg < 0 ? 0 : (unsigned)top_arg, &ro);
    } else if (q.nkeys) {
        hf_render_top(stdout, &q, &res, order, top_arg < 0 ? 10 : (unsigned)top_arg, &ro);
    } else {
        hf_render_timeline(stdout, &q, &res, top_arg < 0 ? 0 : (unsigned)top_arg, &ro);
    }
    hf_query_result_clear(&res);
out:
    hf_clickhouse_config_clear(&clickhouse);
    hf_filter_free(filter);
    hf_names_free(names);
    hf_conf_free(cf);
    g_option_context_free(ctx);
    g_clear_error(&err);
    return rc;
}
