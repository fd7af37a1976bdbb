/* hostflow-collector's configuration: its sections of hostflow.conf(5)
 * plus the command line.
 *
 *   [collector]
 *   listen = udp:4739;udp:2055;tcp:4739   (udp:[ADDR]:PORT also)
 *   store = /var/lib/hostflow/flows
 *   state = /var/lib/hostflow/state
 *   slot-seconds = 300
 *   retention-days = 28
 *   max-store-size = 50G
 *   columns = true               (each slot's columns, see query/columns.h)
 *   hourly = true                (hourly summaries, see rollup.h)
 *   hourly-retention-days = 365
 *   accept-unknown = true
 *   rcvbuf = 33554432
 *   max-exporters = 65536        (exporter bounds: see decoder.h)
 *   max-sessions-per-exporter = 1024
 *   max-templates = 65536
 *   max-templates-per-exporter = 4096
 *   held-data = 16M
 *   max-held-per-exporter = 4M
 *   status-exporters = 100       (exporters listed one by one in status.json)
 *   rrd = true                   (time series in STORE/.rrd, rrd_series.h)
 *   rrdcached = unix:/run/rrdcached.sock   (optional: updates through it)
 *
 *   [profile web]                (a time series profile: a named filter)
 *   filter = port in [80 443]
 *
 *   [clickhouse]                 (flows into ClickHouse: clickhouse_config.h)
 *   url = http://127.0.0.1:8123/
 *
 *   [source router1]
 *   port = 2055
 *   exporter = 192.0.2.1        (optional: else any exporter on that port)
 */
#ifndef HOSTFLOW_COLLECTOR_CONFIG_H
#define HOSTFLOW_COLLECTOR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "clickhouse_config.h"
#include "conf_file.h"
#include "decoder.h"
#include "filter.h"
#include "names.h"
#include "queue_memory.h"
#include "size_parse.h"

struct hf_listen_spec {
    bool tcp;
    char *host;                 /* NULL = all addresses, IPv4 and IPv6 */
    uint16_t port;
};

struct hf_source {
    char *name;
    uint16_t port;              /* 0 = any */
    bool has_exporter;
    uint8_t exporter[16];       /* IPv4 as ::ffff:a.b.c.d */
};

struct hf_profile {
    char *name;
    char *filter_text;
    struct hf_filter *filter;   /* compiled */
};

struct hf_collector_config {
    GArray *listen;             /* struct hf_listen_spec */
    GPtrArray *sources;         /* struct hf_source* */
    char *store_dir;
    char *state_dir;
    uint32_t slot_seconds;
    uint32_t retention_days;
    uint64_t max_store_bytes;
    bool columns;               /* write completed slots' columns */
    bool hourly;                /* summarise complete hours */
    uint32_t hourly_retention_days;
    bool accept_unknown;
    int rcvbuf;
    struct hf_decoder_limits limits;   /* 0 = the decoder's default */
    uint32_t held_bytes;        /* data held for templates; 0 = default */
    uint64_t queue_memory;      /* every queue between the threads together */
    uint32_t status_exporters;
    uint32_t log_stats_seconds;  /* an info line of counters this often; 0: none */
    char *config_path;
    bool rrd;                   /* time series (default true) */
    char *rrdcached;            /* daemon address or NULL */
    GPtrArray *profiles;        /* struct hf_profile*, in file order */
    struct hf_names *names;     /* domains and devices for the profiles' domain
                                   and device terms, as hostflow-report and the
                                   web view read them (the PSL, the merge list,
                                   [devices], /etc/ethers); NULL without profiles */
    struct hf_clickhouse_config clickhouse;   /* [clickhouse] (clickhouse_config.h) */
};

/* The defaults, then the file's [collector], [source NAME] and
 * [profile NAME] over them (the command line overrides fields after
 * this).  False with err (file, line, key) on a bad value. */
void hf_collector_config_defaults(struct hf_collector_config *c);
bool hf_collector_config_load(struct hf_collector_config *c, const struct hf_conf *cf,
                              GError **err);
/* "udp:4739", "tcp:[::1]:4739", "udp:127.0.0.1:2055" */
bool hf_listen_parse(const char *spec, struct hf_listen_spec *out, GError **err);
/* "50G", "512M", "1000000" → bytes */
/* Slot lengths the store can name: whole minutes tiling a day. */
bool hf_slot_seconds_valid(long s);
void hf_collector_config_clear(struct hf_collector_config *c);

/* True when a [source] section names this exporter address. */
bool hf_config_names_exporter(const struct hf_collector_config *c,
                              const uint8_t addr[16]);

/* The source name for an exporter; an automatic name (exp-ADDR) when no
 * source matches and unknown exporters are accepted, NULL when rejected. */
char *hf_source_for(const struct hf_collector_config *c,
                    const struct hf_exporter_id *id);

#endif
