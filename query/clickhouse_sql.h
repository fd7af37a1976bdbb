/* The query engine's ClickHouse back end, part one: a struct hf_query as
 * one SELECT over the collector's table (collector/clickhouse_rowbinary.c
 * has its columns), answered in RowBinary.
 *
 * The filter's AST (never its text) is walked into a WHERE clause.  No
 * value of a query is pasted into the SQL text as a string: names, apps,
 * exporters and hostname patterns go in a small external table _p (i
 * UInt32, v String), sent beside the query as ClickHouse's HTTP "external
 * data" (RowBinary), and the SQL refers to them by number, e.g.
 * "app = (SELECT v FROM _p WHERE i = 3)".  Numbers (ports, times,
 * addresses and masks as integers) are formatted by this program.  The
 * SQL text therefore holds no quote, backslash, semicolon or byte of any
 * name at all.
 *
 * Terms that need hostflow's own lists (domain: the merge list and the
 * Public Suffix List; device: [devices], ethers, leases) stay here: the
 * conjuncts of the filter holding one are "residual", evaluated on the
 * rows by the same code as for the files, and the SELECT groups by the
 * columns they and the keys read (names, addresses, MACs) so that what
 * comes back is one row per distinct combination, with the sums.  A
 * residual term that reads counters or times (an OR of domain and bytes)
 * asks for every record instead.  Tables by client, server, service or
 * device group by those (computed in SQL as hf_flow_from_service() does)
 * rather than by both sides' addresses and ports. */
#ifndef HOSTFLOW_QUERY_CLICKHOUSE_SQL_H
#define HOSTFLOW_QUERY_CLICKHOUSE_SQL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "query.h"

/* The column groups an answer row carries, in this order, when selected. */
enum hf_ch_col {
    HF_CHC_SOURCE,          /* source String: always */
    HF_CHC_IPVERSION,       /* ip_version UInt8 */
    HF_CHC_SRCADDR,         /* src_addr FixedString(16) */
    HF_CHC_DSTADDR,
    HF_CHC_SRCPORT,         /* UInt16 */
    HF_CHC_DSTPORT,
    HF_CHC_PROTO,           /* UInt8 */
    HF_CHC_FLAGS,           /* tcp_flags UInt16 */
    HF_CHC_TOS,             /* UInt8 */
    HF_CHC_IN_IF,           /* UInt32 */
    HF_CHC_OUT_IF,
    HF_CHC_SRCMAC,          /* UInt64 */
    HF_CHC_DSTMAC,
    HF_CHC_VLAN,            /* UInt16 */
    HF_CHC_NAMES,           /* hostname String, name_source UInt8, dns_name,
                               http_host, sni, dns_query String */
    HF_CHC_APP,             /* String */
    HF_CHC_START,           /* start_ms UInt64 (in time steps when grouped) */
    HF_CHC_END,             /* end_ms UInt64 (every record only) */
    HF_CHC_COLLECTOR,       /* collector String */
    HF_CHC_COUNT
};

/* ...then the counters: grouped, packets and bytes scaled and summed and
 * the flows summed (3 x UInt64); every record, packets, bytes, flows
 * (UInt64) and sampling (UInt32). */

struct hf_ch_sql {
    GString *text;              /* SELECT ... FORMAT RowBinary */
    GByteArray *params;         /* _p's rows, RowBinary */
    unsigned nparams;           /* distinct values; 0: no _p to send */
    uint32_t cols;              /* bit set of enum hf_ch_col */
    bool grouped;               /* sums per group, else one row per record */
    /* grouped by client, server, service (device): each row turned so
     * that the client is its source and the service's port its
     * destination port (the other port, and a side no key reads, left
     * out); the caller makes hf_flow_from_service() say so */
    bool oriented;
    uint64_t step_ms;           /* grouped by time: start_ms in these steps */
    GPtrArray *residual;        /* const struct hf_filter_node *: evaluated here */
};

#define HF_CH_PARAMS_STRUCTURE "i UInt32, v String"

/* q's SELECT over DATABASE.TABLE (plain identifiers, as the config
 * checked them). */
void hf_ch_sql_build(const struct hf_query *q, const char *database, const char *table,
                     struct hf_ch_sql *out);
void hf_ch_sql_clear(struct hf_ch_sql *s);

#endif
