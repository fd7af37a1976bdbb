#include "clickhouse_schema.h"

#include <stdlib.h>
#include "clickhouse_rowbinary.h"
#include "hf_config.h"

/* LowCardinality was experimental (a setting to allow it) before 19.1;
 * table TTLs came in 19.6. */
#define LOWCARD_VERSION 1901
#define TTL_VERSION 1906

bool
hf_ch_version_parse(const char *s, unsigned *major, unsigned *minor)
{
    char *end = NULL;
    unsigned long a = strtoul(s, &end, 10), b = 0;

    if (end == s || a > 999)
        return false;
    if (*end == '.') {
        const char *m = end + 1;
        b = strtoul(m, &end, 10);
        if (end == m || b > 999)
            return false;
        while (*end == '.' || g_ascii_isdigit(*end))
            end++;              /* 18.16.1.2: patch levels change nothing here */
    }
    if (*end)
        return false;
    *major = (unsigned)a;
    *minor = (unsigned)b;
    return true;
}

static void
columns(GString *s, bool lowcard)
{
    g_string_append(s, "(\n");
    for (unsigned i = 0; i < hf_ch_ncolumns; i++) {
        const struct hf_ch_column *c = &hf_ch_columns[i];
        bool lc = c->low_cardinality && lowcard;
        g_string_append_printf(s, "    %s %s%s%s", c->name, lc ? "LowCardinality(" : "",
                               c->type, lc ? ")" : "");
        if (c->comment) {
            g_string_append(s, " COMMENT '");
            for (const char *p = c->comment; *p; p++)
                g_string_append_printf(s, "%s%c", *p == '\'' || *p == '\\' ? "\\" : "", *p);
            g_string_append_c(s, '\'');
        }
        g_string_append(s, i + 1 < hf_ch_ncolumns ? ",\n" : "\n");
    }
    g_string_append(s, ")\n");
}

char *
hf_ch_schema(const struct hf_clickhouse_config *c, unsigned major, unsigned minor)
{
    unsigned v = major * 100 + minor;
    bool lowcard = v >= LOWCARD_VERSION, ttl = v >= TTL_VERSION;
    const char *db = c->database, *t = c->table;
    GString *s = g_string_new(NULL);

    g_string_append_printf(s,
        "-- hostflow-collector %s: ClickHouse schema for server %u.%u\n"
        "-- Run it on every shard (clickhouse-client --multiquery < this, or one\n"
        "-- statement per HTTP request).  %s.%s_local holds each shard's flows;\n"
        "-- %s.%s, a Distributed table over cluster '%s' (remote_servers in the\n"
        "-- servers' config), is what collectors insert into and queries read.\n",
        HF_VERSION, major, minor, db, t, db, t, c->cluster);
    if (!lowcard)
        g_string_append(s, "-- Names are String: LowCardinality(String) needs 19.1 "
                           "(experimental before).\n");
    g_string_append_printf(s, "\nCREATE DATABASE IF NOT EXISTS %s;\n\n", db);
    g_string_append_printf(s, "CREATE TABLE IF NOT EXISTS %s.%s_local\n", db, t);
    columns(s, lowcard);
    /* a day per partition: retention drops whole days; the sort key serves
     * time ranges first, then one exporter's flows within them */
    g_string_append(s, "ENGINE = MergeTree()\nPARTITION BY date\n"
                       "ORDER BY (toStartOfHour(time_end), source, time_end)\n");
    if (c->retention_days)
        g_string_append_printf(s, "%sTTL date + INTERVAL %u DAY%s\n", ttl ? "" : "-- ",
                               c->retention_days, ttl ? "" : "   (needs ClickHouse 19.6; "
                               "before it, drop old partitions: ALTER TABLE ... DROP PARTITION)");
    g_string_append(s, "SETTINGS index_granularity = 8192;\n\n");
    /* rand(): even one busy exporter spreads over every shard; a query
     * reads all shards anyway */
    g_string_append_printf(s, "CREATE TABLE IF NOT EXISTS %s.%s AS %s.%s_local\n"
                           "ENGINE = Distributed(%s, %s, %s_local, rand());\n\n",
                           db, t, db, t, c->cluster, db, t);
    /* the hourly roll-up: per exporter, protocol and application, summed
     * as it is inserted (SummingMergeTree adds rows of one key on merge) */
    g_string_append_printf(s,
        "CREATE MATERIALIZED VIEW IF NOT EXISTS %s.%s_hourly_local\n"
        "ENGINE = SummingMergeTree()\nPARTITION BY date\n"
        "ORDER BY (hour, collector, source, ip_version, proto, app)\n"
        "AS SELECT date, toStartOfHour(time_end) AS hour, collector, source, ip_version,\n"
        "    proto, app, sum(flows) AS flows, sum(packets * sampling) AS packets,\n"
        "    sum(bytes * sampling) AS bytes\n"
        "FROM %s.%s_local\n"
        "GROUP BY date, hour, collector, source, ip_version, proto, app;\n\n",
        db, t, db, t);
    g_string_append_printf(s, "CREATE TABLE IF NOT EXISTS %s.%s_hourly AS %s.%s_hourly_local\n"
                           "ENGINE = Distributed(%s, %s, %s_hourly_local);\n",
                           db, t, db, t, c->cluster, db, t);
    return g_string_free(s, FALSE);
}
