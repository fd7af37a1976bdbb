/* A slot file's columns: the same flow records as STORE/.../flows-T.ipfix,
 * written once beside it (flows-T.cols) when the slot is complete, field
 * by field in blocks of records, so that a query reads only the fields it
 * needs and decodes them in tight loops (issue 14: the IPFIX files are
 * the system of record; this is a cache of them).
 *
 * A side file is used only while the IPFIX file has the size and
 * modification time it had when the columns were written; otherwise (and
 * when it is missing, damaged, of another version or byte order) the
 * IPFIX file is read, so the answers never differ. */
#ifndef HOSTFLOW_QUERY_COLUMNS_H
#define HOSTFLOW_QUERY_COLUMNS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "flow_record.h"
#include "store_decode.h"

/* Which fields of the records a reader fills (the rest stay zero). */
enum hf_cols_group {
    HF_COLS_BASE  = 1u << 0,    /* times, counters, sampling, IP version, protocol */
    HF_COLS_SRC   = 1u << 1,    /* the source address */
    HF_COLS_PORT  = 1u << 2,    /* ports and ICMP type/code */
    HF_COLS_IF    = 1u << 3,    /* interfaces */
    HF_COLS_MISC  = 1u << 4,    /* TCP flags, ToS, VLAN, end reason */
    HF_COLS_MAC   = 1u << 5,
    HF_COLS_NAMES = 1u << 6,    /* the name strings, their source, the application */
    HF_COLS_DST   = 1u << 7,    /* the destination address */
    HF_COLS_ADDR  = HF_COLS_SRC | HF_COLS_DST,
    HF_COLS_ALL   = (1u << 8) - 1,
};

/* FLOWS.ipfix -> FLOWS.cols (g_free it). */
char *hf_columns_path(const char *ipfix_path);

/* Writes ipfix_path's columns (to a temporary name, then renamed over the
 * side file).  False with err when the IPFIX file cannot be read whole (a
 * damaged file has no columns: its readers report the damage) or the side
 * file cannot be written. */
bool hf_columns_build(const char *ipfix_path, GError **err);

/* True when ipfix_path has columns a reader would use. */
bool hf_columns_valid(const char *ipfix_path);

struct hf_columns;

/* The side file of ipfix_path if it is there and fits (see above); NULL
 * otherwise. */
struct hf_columns *hf_columns_open(const char *ipfix_path);
void hf_columns_close(struct hf_columns *c);

uint32_t hf_columns_blocks(const struct hf_columns *c);
uint64_t hf_columns_records(const struct hf_columns *c);
uint64_t hf_columns_options_records(const struct hf_columns *c);

/* n records at a time, in file order (recs[0..n), valid during the call). */
typedef void (*hf_columns_batch_fn)(void *ctx, const hf_flow_record_t *recs, uint32_t n);

/* Delivers the records of blocks [from, to) in file order, a chunk of
 * them per call, with the fields of groups filled (string fields point
 * into memory valid during the call).  Stops early when stop says so (res->stopped).  A block
 * that does not decode (the file damaged since it was opened) ends the
 * read: false, res->why saying where; the records before it were
 * delivered. */
bool hf_columns_read(struct hf_columns *c, uint32_t from, uint32_t to, uint32_t groups,
                     hf_columns_batch_fn fn, void *ctx, struct hf_decode_stop *stop,
                     struct hf_store_decode_result *res);

#endif
