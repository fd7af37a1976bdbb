#include "options.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "conf_file.h"
#include "filter.h"
#include "hf_config.h"
#include "log.h"
#include "size_parse.h"

#define UNSET INT_MIN

static char *collector_arg, *config_arg;   /* HOST:PORT, [V6]:PORT */
static char *transport_arg;
static char *output_arg;
static char **read_args;
static char *interface_arg, *filter_arg, *user_arg;
static int snaplen_arg = UNSET, idle_arg = UNSET, active_arg = UNSET, linger_arg = UNSET;
static int max_flows_arg = UNSET, max_frags_arg = UNSET;
static int domain_arg = UNSET, stats_arg = UNSET, tmpl_arg = UNSET;
static int ttl_floor_arg = UNSET, ttl_ceiling_arg = UNSET, cache_entries_arg = UNSET;
static int inspect_arg = UNSET;
static char *cache_size_arg;
static uint64_t file_cache_bytes = 64u << 20;   /* [probe] name-cache-size */
static gboolean no_promisc_arg, version_arg, no_names_arg, check_config_arg;
static int event_queue_arg = UNSET;
static gboolean events_arg;
static char *events_target_arg, *exec_arg, *match_arg;
static char **ethers_args, **leases_args;

static gboolean
take_events(const gchar *n, const gchar *v, gpointer d, GError **e)
{
    (void)n; (void)d; (void)e;
    events_arg = TRUE;
    g_free(events_target_arg);
    events_target_arg = g_strdup(v);
    return TRUE;
}

/* The whole-number settings: [probe] KEY or --KEY, with their defaults
 * and bounds (hostflow.conf(5), hostflow-probe(8)). */
static const struct int_setting {
    const char *key;
    int *arg;
    int def, min, max;
    bool seconds;               /* the file takes 90s, 15m, 2h */
} int_settings[] = {
    { "snaplen", &snaplen_arg, 2048, 64, 262144, false },
    { "domain", &domain_arg, 0, 0, INT_MAX, false },
    { "idle-timeout", &idle_arg, 15, 1, INT_MAX, true },
    { "active-timeout", &active_arg, 60, 1, INT_MAX, true },
    { "tcp-linger", &linger_arg, 2, 0, INT_MAX, true },
    { "max-flows", &max_flows_arg, 262144, 16, INT_MAX, false },
    { "max-fragments", &max_frags_arg, 16384, 16, INT_MAX, false },
    { "stats-interval", &stats_arg, 60, 1, INT_MAX, true },
    { "template-interval", &tmpl_arg, 60, 1, INT_MAX, true },
    { "dns-ttl-floor", &ttl_floor_arg, 300, 0, INT_MAX, true },
    { "dns-ttl-ceiling", &ttl_ceiling_arg, 86400, 0, INT_MAX, true },
    { "name-cache-entries", &cache_entries_arg, 262144, 16, INT_MAX, false },
    { "inspect-packets", &inspect_arg, 6, 1, 255, false },
    { "event-queue", &event_queue_arg, 65536, 1, 16777216, false },
};

static GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_arg,
     "The configuration file (default " HF_CONFIG_PATH "): its [probe] section; "
     "see hostflow.conf(5)", "FILE"},
    {"check-config", 0, 0, G_OPTION_ARG_NONE, &check_config_arg,
     "Check the configuration file and options, print the values in effect and exit", NULL},
    {"interface", 'i', 0, G_OPTION_ARG_STRING, &interface_arg,
     "Capture live on interface IFACE", "IFACE"},
    {"read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &read_args,
     "Read pcap/pcapng FILE ('-' = stdin); repeat, or list more files after the options", "FILE"},
    {"filter", 'f', 0, G_OPTION_ARG_STRING, &filter_arg,
     "BPF filter expression, as tcpdump takes it", "EXPR"},
    {"snaplen", 's', 0, G_OPTION_ARG_INT, &snaplen_arg,
     "Bytes captured per packet (default 2048: headers + the first payload bytes hostnames need)", "N"},
    {"no-promisc", 0, 0, G_OPTION_ARG_NONE, &no_promisc_arg,
     "Do not put the interface in promiscuous mode", NULL},
    {"collector", 'C', 0, G_OPTION_ARG_STRING, &collector_arg,
     "Export to collector HOST:PORT (default 127.0.0.1:4739; [ADDR]:PORT for IPv6)", "HOST:PORT"},
    {"transport", 't', 0, G_OPTION_ARG_STRING, &transport_arg,
     "udp (default) or tcp", "PROTO"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output_arg,
     "Write IPFIX to FILE (RFC 5655) instead of the network; '-' = stdout", "FILE"},
    {"domain", 'd', 0, G_OPTION_ARG_INT, &domain_arg,
     "Observation domain id (default 0)", "ID"},
    {"idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_arg,
     "Seconds without packets that end a flow (default 15)", "S"},
    {"active-timeout", 0, 0, G_OPTION_ARG_INT, &active_arg,
     "Report long flows every S seconds (default 60)", "S"},
    {"tcp-linger", 0, 0, G_OPTION_ARG_INT, &linger_arg,
     "Seconds a TCP flow waits after FIN/RST for its last packets (default 2)", "S"},
    {"max-flows", 0, 0, G_OPTION_ARG_INT, &max_flows_arg,
     "Most flows held at once; when full the longest-idle is exported early (default 262144)", "N"},
    {"max-fragments", 0, 0, G_OPTION_ARG_INT, &max_frags_arg,
     "Most IP fragment chains tracked at once (default 16384)", "N"},
    {"stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_arg,
     "Seconds between exporter-statistics records (default 60)", "S"},
    {"template-interval", 0, 0, G_OPTION_ARG_INT, &tmpl_arg,
     "Seconds between template re-sends over UDP (default 60)", "S"},
    {"no-names", 0, 0, G_OPTION_ARG_NONE, &no_names_arg,
     "Export plain flows: no DNS pairing, no payload inspection", NULL},
    {"dns-ttl-floor", 0, 0, G_OPTION_ARG_INT, &ttl_floor_arg,
     "Keep a DNS answer at least S seconds, whatever its TTL (default 300)", "S"},
    {"dns-ttl-ceiling", 0, 0, G_OPTION_ARG_INT, &ttl_ceiling_arg,
     "Keep a DNS answer at most S seconds (default 86400)", "S"},
    {"name-cache-entries", 0, 0, G_OPTION_ARG_INT, &cache_entries_arg,
     "Most DNS answers remembered (default 262144)", "N"},
    {"name-cache-size", 0, 0, G_OPTION_ARG_STRING, &cache_size_arg,
     "Most memory for remembered DNS answers (default 64M)", "SIZE"},
    {"inspect-packets", 0, 0, G_OPTION_ARG_INT, &inspect_arg,
     "Payload packets per flow searched for a TLS/QUIC/HTTP name (default 6)", "N"},
    {"events", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, (gpointer)take_events,
     "Write flow events as JSON lines to stdout, =FILE or =unix:PATH (see EVENTS in hostflow-probe(8))",
     "[=FILE|unix:PATH]"},
    {"exec", 0, 0, G_OPTION_ARG_STRING, &exec_arg,
     "Write flow events to the standard input of CMD (run by sh -c), restarted if it exits", "CMD"},
    {"match", 0, 0, G_OPTION_ARG_STRING, &match_arg,
     "Only events of flows that match EXPR (hostflow-filter(7))", "EXPR"},
    {"event-queue", 0, 0, G_OPTION_ARG_INT, &event_queue_arg,
     "Events held for a slow reader before more are dropped (default 65536)", "N"},
    {"ethers", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &ethers_args,
     "An ethers file naming devices in events (repeatable; default /etc/ethers)", "FILE"},
    {"leases", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &leases_args,
     "A dnsmasq or odhcpd lease file naming devices in events (repeatable)", "FILE"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &user_arg,
     "Drop privileges to USER after opening the capture and the output", "USER"},
    {"version", 'V', 0, G_OPTION_ARG_NONE, &version_arg, "Print the version", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
};

static bool
split_host_port(const char *arg, struct hf_export_config *x)
{
    static char host[256], port[32];
    const char *colon;

    if (arg[0] == '[') {
        const char *end = strchr(arg, ']');
        if (!end || end[1] != ':' || (size_t)(end - arg - 1) >= sizeof(host))
            return false;
        memcpy(host, arg + 1, end - arg - 1);
        host[end - arg - 1] = 0;
        colon = end + 1;
    } else {
        colon = strrchr(arg, ':');
        if (!colon || (size_t)(colon - arg) >= sizeof(host))
            return false;
        memcpy(host, arg, colon - arg);
        host[colon - arg] = 0;
    }
    if (!colon[1] || strlen(colon + 1) >= sizeof(port) || !host[0])
        return false;
    strcpy(port, colon + 1);
    x->host = host;
    x->port = port;
    return true;
}


static bool
usage_error(const char *msg, int *status)
{
    fprintf(stderr, "hostflow-probe: %s\nTry 'hostflow-probe --help'.\n", msg);
    *status = 2;
    return false;
}

/* -c HOST:PORT meant --collector before -c named the configuration:
 * still taken so, with a warning, when it is no file. */
static void
old_collector_option(void)
{
    struct hf_export_config x;

    if (!config_arg || collector_arg || g_file_test(config_arg, G_FILE_TEST_EXISTS)
        || !split_host_port(config_arg, &x))
        return;
    hf_log(HF_LOG_WARNING, "-c %s: taken as -C/--collector %s (-c now names the "
           "configuration file)", config_arg, config_arg);
    collector_arg = config_arg;
    config_arg = NULL;
}

/* A string setting: the command line's, else [probe] KEY's (kept in *own). */
static bool
file_string(const struct hf_conf *cf, const char *key, char **arg, GError **err)
{
    return *arg || hf_conf_string(cf, "probe", key, arg, err);
}

/* [probe] where the command line is silent, then the defaults. */
static bool
load_file(const struct hf_conf *cf, bool *promisc, bool *names, GError **err)
{
    for (size_t i = 0; i < G_N_ELEMENTS(int_settings); i++) {
        const struct int_setting *s = &int_settings[i];
        int64_t v = s->def;
        if (*s->arg != UNSET)
            continue;
        if (!(s->seconds ? hf_conf_seconds : hf_conf_int)(cf, "probe", s->key, s->min,
                                                          s->max, &v, err))
            return false;
        *s->arg = (int)v;
    }
    *promisc = !no_promisc_arg;
    *names = !no_names_arg;
    return (no_promisc_arg || hf_conf_bool(cf, "probe", "promisc", promisc, err))
        && (no_names_arg || hf_conf_bool(cf, "probe", "names", names, err))
        && (read_args || file_string(cf, "interface", &interface_arg, err))
        && file_string(cf, "filter", &filter_arg, err)
        && file_string(cf, "user", &user_arg, err)
        && (cache_size_arg || hf_conf_size(cf, "probe", "name-cache-size", 1, UINT64_MAX,
                                           &file_cache_bytes, err))
        && (output_arg || (file_string(cf, "collector", &collector_arg, err)
                           && file_string(cf, "transport", &transport_arg, err)));
}

/* --check-config: the values in effect as a [probe] section. */
static void
print_config(const struct hf_conf *cf, const struct hf_probe_options *o)
{
    hf_conf_print_header(stdout, "hostflow-probe", cf);
    printf("[probe]\n");
    if (o->interface)
        printf("interface = %s\n", o->interface);
    if (o->filter)
        printf("filter = %s\n", o->filter);
    for (size_t i = 0; i < G_N_ELEMENTS(int_settings); i++)
        printf("%s = %d\n", int_settings[i].key, *int_settings[i].arg);
    printf("promisc = %s\nnames = %s\n", o->no_promisc ? "false" : "true",
           o->no_names ? "false" : "true");
    hf_conf_print_size(stdout, "name-cache-size", o->names.cache.max_bytes);
    if (o->no_export)
        printf("# no IPFIX: events only (no collector, transport or output given)\n");
    else if (o->export.kind == HF_EXPORT_FILE)
        printf("# output = %s (command line only)\n", o->export.path);
    else
        printf("collector = %s%s%s:%s\ntransport = %s\n", strchr(o->export.host, ':') ? "[" : "",
               o->export.host, strchr(o->export.host, ':') ? "]" : "", o->export.port,
               o->export.kind == HF_EXPORT_TCP ? "tcp" : "udp");
    if (o->user)
        printf("user = %s\n", o->user);
    if (o->events_exec)
        printf("# exec = %s (command line only)\n", o->events_exec);
    else if (o->events)
        printf("# events = %s (command line only)\n", o->events_target ? o->events_target : "-");
    if (o->match)
        printf("# match = %s (command line only)\n", o->match);
    fflush(stdout);
}

/* Command-line values out of their bounds (the file's were checked). */
static bool
check_ranges(int *status)
{
    for (size_t i = 0; i < G_N_ELEMENTS(int_settings); i++) {
        const struct int_setting *s = &int_settings[i];
        if (*s->arg < s->min || *s->arg > s->max) {
            char *msg = g_strdup_printf("--%s must be %d..%d", s->key, s->min, s->max);
            usage_error(msg, status);
            g_free(msg);
            return false;
        }
    }
    return true;
}

/* --events, --exec, --match and the device lists; --event-queue is a
 * whole-number setting ([probe] event-queue). */
static bool
events_options(struct hf_probe_options *o, int *status)
{
    o->events = events_arg || exec_arg;
    o->events_target = events_target_arg;
    o->events_exec = exec_arg;
    o->match = match_arg;
    o->ethers = ethers_args;
    o->leases = leases_args;
    ethers_args = leases_args = NULL;     /* o owns them now */
    o->event_queue = (uint32_t)event_queue_arg;
    if (events_arg && exec_arg && events_target_arg)
        return usage_error("--events=TARGET and --exec exclude each other", status);
    if ((match_arg || o->ethers || o->leases) && !o->events)
        return usage_error("--match, --ethers and --leases are for --events or --exec", status);
    if (o->events && !exec_arg && (!events_target_arg || !strcmp(events_target_arg, "-"))
        && output_arg && !strcmp(output_arg, "-"))
        return usage_error("events and IPFIX cannot both go to standard output", status);
    if (match_arg) {
        /* a bad expression is a usage error (exit 2), found before capture */
        GError *ferr = NULL;
        struct hf_filter *f = hf_filter_parse(match_arg, &ferr);
        if (!f) {
            char *msg = g_strdup_printf("--match: %s", ferr->message);
            g_error_free(ferr);
            usage_error(msg, status);
            g_free(msg);
            return false;
        }
        hf_filter_free(f);
    }
    return true;
}

static bool
parse_options(int argc, char **argv, const struct hf_conf *cf, struct hf_probe_options *o,
              int *status)
{
    GError *err = NULL;
    bool promisc, names;

    if (interface_arg && (read_args || argc > 1))
        return usage_error("give either -i IFACE or capture files (-r FILE)", status);
    if (!load_file(cf, &promisc, &names, &err)) {
        hf_conf_print_error("hostflow-probe", err);
        g_error_free(err);
        *status = 2;
        return false;
    }
    /* files after the options join -r's */
    GPtrArray *files = g_ptr_array_new();
    for (char **f = read_args; f && *f; f++)
        g_ptr_array_add(files, g_strdup(*f));
    for (int i = 1; i < argc; i++)
        g_ptr_array_add(files, g_strdup(argv[i]));
    g_ptr_array_add(files, NULL);
    o->read_files = (char **)g_ptr_array_free(files, FALSE);
    g_strfreev(read_args);
    read_args = NULL;

    o->interface = o->read_files[0] ? NULL : interface_arg;
    o->filter = filter_arg;
    o->user = user_arg;
    o->snaplen = snaplen_arg;
    o->no_promisc = !promisc;
    o->verbose = hf_log_enabled(HF_LOG_DEBUG) ? 1 + hf_log_verbosity() : 0;

    if (!check_config_arg && !o->interface == !o->read_files[0])
        return usage_error("give either -i IFACE or capture files (-r FILE)", status);
    if (!check_ranges(status))
        return false;

    o->flow.idle_us = (uint64_t)idle_arg * 1000000;
    o->flow.active_us = (uint64_t)active_arg * 1000000;
    o->flow.linger_us = (uint64_t)linger_arg * 1000000;
    o->flow.max_flows = (uint32_t)max_flows_arg;
    o->max_frags = (uint32_t)max_frags_arg;
    o->stats_interval_s = (uint32_t)stats_arg;
    o->template_interval_s = (uint32_t)tmpl_arg;
    o->export.domain = (uint32_t)domain_arg;

    o->no_names = !names;
    if (ttl_ceiling_arg < ttl_floor_arg)
        return usage_error("want dns-ttl-floor <= dns-ttl-ceiling", status);
    o->names.cache.ttl_floor_s = (uint32_t)ttl_floor_arg;
    o->names.cache.ttl_ceiling_s = (uint32_t)ttl_ceiling_arg;
    o->names.cache.max_entries = (uint32_t)cache_entries_arg;
    o->names.cache.max_bytes = file_cache_bytes;
    if (cache_size_arg && (!hf_size_parse(cache_size_arg, &o->names.cache.max_bytes)
                           || o->names.cache.max_bytes == 0))
        return usage_error("--name-cache-size wants a size like 64M", status);
    o->names.inspect_packets = (uint32_t)inspect_arg;
    if (!events_options(o, status))
        return false;
    if (o->events && !output_arg && !collector_arg && !transport_arg) {
        o->no_export = true;      /* events alone: no IPFIX unless asked for */
        return true;
    }

    if (output_arg) {
        if (collector_arg || transport_arg)
            return usage_error("-o FILE and -C/-t exclude each other", status);
        o->export.kind = HF_EXPORT_FILE;
        o->export.path = output_arg;
        return true;
    }
    o->export.kind = HF_EXPORT_UDP;
    if (transport_arg && strcmp(transport_arg, "tcp") == 0)
        o->export.kind = HF_EXPORT_TCP;
    else if (transport_arg && strcmp(transport_arg, "udp") != 0)
        return usage_error("transport is udp or tcp", status);
    if (!split_host_port(collector_arg ? collector_arg : "127.0.0.1:4739", &o->export))
        return usage_error("collector wants HOST:PORT or [IPV6]:PORT", status);
    return true;
}

bool
hf_probe_parse_options(int argc, char **argv, struct hf_probe_options *o,
                       int *status)
{
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new("[FILE...]");

    memset(o, 0, sizeof(*o));
    hf_log_init("hostflow-probe");
    g_option_context_set_summary(ctx,
        "Meter IP traffic from a live interface or capture files into\n"
        "unidirectional flows and export them as IPFIX (RFC 7011).");
    g_option_context_set_description(ctx,
        "Examples:\n"
        "  hostflow-probe -i eth0 -C 192.0.2.10:4739\n"
        "  hostflow-probe -r trace.pcapng -o flows.ipfix\n"
        "  hostflow-probe -i eth0 --events --match 'proto tcp and dst port 22'\n"
        "Configuration: hostflow.conf(5).  See hostflow-probe(8).\n");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, hf_log_options, NULL);
    bool ok = g_option_context_parse(ctx, &argc, &argv, &err);
    g_option_context_free(ctx);
    if (!ok) {
        bool r = usage_error(err->message, status);
        g_error_free(err);
        return r;
    }
    if (version_arg) {
        printf("hostflow-probe %s\n", HF_VERSION);
        *status = 0;
        return false;
    }
    old_collector_option();
    struct hf_conf *cf = hf_conf_open(config_arg, &err);
    if (!cf) {
        hf_conf_print_error("hostflow-probe", err);
        g_error_free(err);
        *status = 2;
        return false;
    }
    ok = parse_options(argc, argv, cf, o, status);
    if (ok && check_config_arg) {
        print_config(cf, o);
        *status = 0;
        ok = false;
    }
    hf_conf_free(cf);
    return ok;
}

void
hf_probe_options_free(struct hf_probe_options *o)
{
    g_strfreev(o->read_files);
    o->read_files = NULL;
    g_strfreev(o->ethers);
    g_strfreev(o->leases);
    o->ethers = o->leases = NULL;
}
