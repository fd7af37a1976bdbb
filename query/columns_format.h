/* The on-disk layout of a slot file's columns (columns.h), shared by the
 * writer and the reader.  Native byte order: the file is a cache of the
 * IPFIX file beside it, made and read on one machine; a file of the other
 * order fails the header check and the IPFIX file is read instead.
 *
 *   header                          struct hf_cols_header, at 0
 *   block 0 .. block N-1            each: struct hf_cols_block, then the
 *                                   columns' bytes it points at
 *   index                           N + 1 uint64_t: each block's offset,
 *                                   then the index's own offset (= end of
 *                                   the last block)
 *
 * A column of a block is one of
 *   HF_COL_INT    width 0: every record's value is base; else base + an
 *                 unsigned integer of width 1, 2, 4 or 8 bytes per record
 *   HF_COL_RAW    size bytes per record, or width 0: one value for all
 *   HF_COL_DICT   strings: uint32_t count, uint32_t offsets[count + 1]
 *                 (from the end of the offsets), the bytes, padding to 4,
 *                 then an index of width 1, 2 or 4 per record (width 0:
 *                 count is 1, every record has string 0) */
#ifndef HOSTFLOW_QUERY_COLUMNS_FORMAT_H
#define HOSTFLOW_QUERY_COLUMNS_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "flow_record.h"

#define HF_COLS_MAGIC "HFCOLS\r\n"
#define HF_COLS_VERSION 1
#define HF_COLS_BYTE_ORDER 0x01020304u
#define HF_COLS_BLOCK 16384u          /* records per block (the last fewer) */

enum hf_col_enc { HF_COL_INT = 1, HF_COL_RAW, HF_COL_DICT };

/* The columns, one per field of hf_flow_record_t but the padding. */
enum hf_col {
    HF_C_START, HF_C_END, HF_C_OCTETS, HF_C_PACKETS, HF_C_FLOWS,
    HF_C_SAMPLING, HF_C_IPVER, HF_C_PROTO,
    HF_C_SRC4, HF_C_DST4, HF_C_SRC6, HF_C_DST6,
    HF_C_SPORT, HF_C_DPORT, HF_C_ICMP4, HF_C_ICMP6,
    HF_C_IN_IF, HF_C_OUT_IF,
    HF_C_TCPFLAGS, HF_C_TOS, HF_C_VLAN, HF_C_ENDREASON,
    HF_C_SRCMAC, HF_C_DSTMAC,
    HF_C_NAMESRC, HF_C_HOSTNAME, HF_C_DNSNAME, HF_C_HTTPHOST, HF_C_SNI,
    HF_C_DNSQUERY, HF_C_APPNAME,
    HF_C_COUNT
};

struct hf_col_def {
    uint8_t enc;                /* enum hf_col_enc */
    uint8_t size;               /* bytes in hf_flow_record_t (INT, RAW) */
    uint16_t off;               /* offset in hf_flow_record_t */
    uint32_t group;             /* enum hf_cols_group (columns.h) */
};

extern const struct hf_col_def hf_col_defs[HF_C_COUNT];

struct hf_cols_header {
    char magic[8];
    uint32_t byte_order;        /* HF_COLS_BYTE_ORDER as written */
    uint32_t version;
    uint32_t ncols;             /* HF_C_COUNT */
    uint32_t nblocks;
    uint64_t ipfix_size;        /* the IPFIX file's size and modification */
    int64_t ipfix_mtime_ns;     /* time when read: else the file is stale */
    uint64_t records;           /* flow records */
    uint64_t options_records;   /* options records of the IPFIX file */
    uint64_t index_offset;
    uint8_t reserved[8];
};

struct hf_cols_column {
    uint64_t base;              /* HF_COL_INT */
    uint32_t offset;            /* from the block's start */
    uint32_t length;
    uint8_t enc;
    uint8_t width;
    uint8_t reserved[6];
};

struct hf_cols_block {
    uint32_t records;
    uint32_t length;            /* header and columns */
    struct hf_cols_column col[HF_C_COUNT];
};

#endif
