/* The collector's [clickhouse] section: where flows are inserted besides
 * (or instead of) the file store.  No url: no ClickHouse.
 *
 *   [clickhouse]
 *   url = http://127.0.0.1:8123/     (ClickHouse's HTTP interface)
 *   database = hostflow
 *   table = flows                    (what the collector inserts into)
 *   cluster = hostflow               (--clickhouse-schema: Distributed over it)
 *   user = default
 *   password-file = /etc/hostflow/clickhouse.pw   (first line; optional)
 *   collector-name = HOST            (the collector column; default hostname)
 *   batch-records = 50000            (an INSERT once this many are in...)
 *   batch-seconds = 5                (...or the oldest waited this long)
 *   spool-dir = STATE/clickhouse-spool
 *   spool-size = 1G                  (0: no spool, drop while it is down)
 *   store-files = true               (false: ClickHouse only)
 *   retention-days = 0               (--clickhouse-schema's TTL; 0 = none)
 */
#ifndef HOSTFLOW_CLICKHOUSE_CONFIG_H
#define HOSTFLOW_CLICKHOUSE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

struct hf_clickhouse_config {
    char *url;                  /* NULL: no ClickHouse sink */
    char *database, *table, *cluster, *user, *password_file, *collector_name;
    char *password;             /* read from password_file at load */
    uint32_t batch_records, batch_seconds;
    char *spool_dir;            /* NULL: STATE/clickhouse-spool */
    uint64_t spool_bytes;
    bool store_files;
    uint32_t retention_days;
};

struct hf_conf;

void hf_clickhouse_config_defaults(struct hf_clickhouse_config *c);
/* The file's [clickhouse] section over the defaults (no url: no sink);
 * false with err naming file, line and key. */
bool hf_clickhouse_config_load(struct hf_clickhouse_config *c, const struct hf_conf *cf,
                               GError **err);
void hf_clickhouse_config_clear(struct hf_clickhouse_config *c);
/* For the programs that ask ClickHouse ([SECTION] clickhouse = true, or
 * --clickhouse): false with err naming that key when there is no url. */
bool hf_clickhouse_config_require_url(const struct hf_clickhouse_config *c,
                                      const struct hf_conf *cf, const char *section,
                                      GError **err);
/* --check-config: the section as a file gives it back (nothing without url). */
void hf_clickhouse_config_print(const struct hf_clickhouse_config *c, FILE *out);

#endif
