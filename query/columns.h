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
    HF_COLS_TIME  = 1u << 0,    /* start and end */
    HF_COLS_SRC   = 1u << 1,    /* the source address */
    HF_COLS_PORT  = 1u << 2,    /* ports and ICMP type/code */
    HF_COLS_IF    = 1u << 3,    /* interfaces */
    HF_COLS_MISC  = 1u << 4,    /* TCP flags, ToS, VLAN, end reason */
    HF_COLS_MAC   = 1u << 5,
    HF_COLS_NAMES = 1u << 6,    /* the name strings, their source, the application */
    HF_COLS_DST   = 1u << 7,    /* the destination address */
    HF_COLS_COUNT = 1u << 8,    /* counters and sampling */
    HF_COLS_PROTO = 1u << 9,    /* IP version and protocol */
    HF_COLS_BASE  = HF_COLS_TIME | HF_COLS_COUNT | HF_COLS_PROTO,
    HF_COLS_ADDR  = HF_COLS_SRC | HF_COLS_DST,
    HF_COLS_ALL   = (1u << 10) - 1,
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

/* The records of a chunk a reader wants: their indices (ascending) into
 * keep, their number returned.  Only the fields of the groups asked for
 * first are filled when it is called. */
typedef uint32_t (*hf_columns_select_fn)(void *ctx, const hf_flow_record_t *recs, uint32_t n,
                                         uint32_t *keep);

/* The records of a chunk, recs[keep[0..n)], in file order, valid during
 * the call. */
typedef void (*hf_columns_batch_fn)(void *ctx, const hf_flow_record_t *recs,
                                    const uint32_t *keep, uint32_t n);

/* Delivers the records of blocks [from, to) in file order, a chunk of
 * them per call, with the fields of groups filled (string fields point
 * into memory valid during the call).  With select, the fields of first
 * are filled for each record, select chooses, and the other fields are
 * filled for the records chosen alone (select NULL: every record).  Stops
 * early when stop says so (res->stopped).  A block that does not decode
 * (the file damaged since it was opened) ends the read: false, res->why
 * saying where; the records before it were delivered. */
bool hf_columns_read(struct hf_columns *c, uint32_t from, uint32_t to, uint32_t groups,
                     uint32_t first, hf_columns_select_fn select, hf_columns_batch_fn fn,
                     void *ctx, struct hf_decode_stop *stop, struct hf_store_decode_result *res);

#endif
