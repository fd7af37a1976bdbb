/* Every section and key of hostflow.conf(5), whichever program reads it:
 * each program reads only its own sections, but a key misspelt in any of
 * them is an error for all (it would otherwise be silently ignored). */
#include "conf_file.h"

#include <string.h>

static const char *const probe_keys[] = {
    "interface", "filter", "snaplen", "promisc", "collector", "transport", "domain",
    "idle-timeout", "active-timeout", "tcp-linger", "max-flows", "max-fragments",
    "stats-interval", "template-interval", "names", "dns-ttl-floor", "dns-ttl-ceiling",
    "name-cache-entries", "name-cache-size", "inspect-packets", "event-queue", "user", NULL
};
static const char *const collector_keys[] = {
    "listen", "store", "state", "slot-seconds", "retention-days", "max-store-size",
    "columns", "hourly", "hourly-retention-days", "accept-unknown", "rcvbuf", "queue-memory",
    "max-exporters",
    "max-sessions-per-exporter", "max-templates", "max-templates-per-exporter",
    "held-data", "max-held-per-exporter", "status-exporters", "log-stats", "rrd", "rrdcached", NULL
};
static const char *const web_keys[] = {
    "listen", "max-scan", "max-queries", "threads", "max-query-seconds", "max-groups",
    "htpasswd", "tls-cert", "tls-key", "javascript-dir", "clickhouse", NULL
};
static const char *const report_keys[] = {
    "store", "input", "threads", "utc", "merge-list", "ignore-list", "psl", "leases",
    "ethers", "clickhouse", NULL
};
static const char *const clickhouse_keys[] = {
    "url", "database", "table", "cluster", "user", "password-file", "collector-name",
    "batch-records", "batch-seconds", "spool-dir", "spool-size", "store-files",
    "retention-days", NULL
};
static const char *const source_keys[] = { "port", "exporter", NULL };
static const char *const profile_keys[] = { "filter", NULL };

static const struct {
    const char *name;
    bool family;                /* "source NAME": name is the prefix */
    const char *const *keys;    /* NULL: any key (device names) */
} sections[] = {
    { "probe", false, probe_keys },
    { "collector", false, collector_keys },
    { "web", false, web_keys },
    { "report", false, report_keys },
    { "clickhouse", false, clickhouse_keys },
    { "devices", false, NULL },
    { "source ", true, source_keys },
    { "profile ", true, profile_keys },
};

bool
hf_conf_known(const char *group, const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(sections); i++) {
        if (sections[i].family ? !g_str_has_prefix(group, sections[i].name)
                               : strcmp(group, sections[i].name) != 0)
            continue;
        if (!key || !sections[i].keys)
            return true;
        for (const char *const *k = sections[i].keys; *k; k++)
            if (strcmp(*k, key) == 0)
                return true;
        return false;
    }
    return false;
}
