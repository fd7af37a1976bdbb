/* hostflow-collector --clickhouse-schema[=VERSION]: the CREATE statements
 * for the [clickhouse] section's database and table, as the server
 * VERSION (e.g. 18.16; default: a current one) takes them. */
#ifndef HOSTFLOW_CLICKHOUSE_SCHEMA_H
#define HOSTFLOW_CLICKHOUSE_SCHEMA_H

#include <stdbool.h>
#include <glib.h>
#include "clickhouse_config.h"

/* "19.6", "18.16.1" → major, minor; false when it is not a version. */
bool hf_ch_version_parse(const char *s, unsigned *major, unsigned *minor);

/* Statements end in ";" at the end of a line (one HTTP request each, or
 * clickhouse-client --multiquery); lines starting "--" are comments. */
char *hf_ch_schema(const struct hf_clickhouse_config *c, unsigned major, unsigned minor);

#endif
