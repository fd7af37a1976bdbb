/* One flow record as a ClickHouse RowBinary row, and the table's columns.
 *
 * RowBinary is ClickHouse's row format without names or types: each
 * column's value in the INSERT's column order, integers little endian,
 * strings as a LEB128 length then the bytes, FixedString(N) as N bytes.
 * The column list below is the one place that says which columns exist,
 * their types, and in which order the encoder writes them: the INSERT and
 * --clickhouse-schema (clickhouse_schema.c) both come from it. */
#ifndef HOSTFLOW_CLICKHOUSE_ROWBINARY_H
#define HOSTFLOW_CLICKHOUSE_ROWBINARY_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "flow_record.h"

struct hf_ch_column {
    const char *name;
    const char *type;           /* ClickHouse type; String for names */
    bool low_cardinality;       /* LowCardinality(String) where allowed */
    const char *comment;
};

extern const struct hf_ch_column hf_ch_columns[];
extern const unsigned hf_ch_ncolumns;

/* "(date, time_end, ...)": the INSERT's column list. */
char *hf_ch_column_list(void);

/* RowBinary values: an integer of size bytes (little endian), a String. */
void hf_ch_put_le(GByteArray *out, uint64_t v, unsigned size);
void hf_ch_put_string(GByteArray *out, const void *s, size_t len);

/* Appends the row of one record from SOURCE (the exporter's name) at a
 * collector named COLLECTOR. */
void hf_ch_encode_row(GByteArray *out, const hf_flow_record_t *rec,
                      const char *source, const char *collector);

#endif
