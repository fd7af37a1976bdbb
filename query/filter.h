/* The filter language of the query engine (man/hostflow-filter.7).
 *
 * One parser for every user of filters (hostflow-report, the web view, the
 * probe's live-event matching, SQL push-down): an expression is parsed once
 * into an AST kept in one flat array of nodes, which is both what
 * hf_filter_match() evaluates and what other back ends translate.
 *
 * Syntax is nfdump's wherever nfdump has the same meaning ("port in [80
 * 443]", "src net 10.0.0.0/8", "bytes > 1M", "flags SA", ...), plus
 * hostflow's own terms (hostname, dns, domain, app, device, exporter,
 * sampled).
 * An empty expression matches every record, as in nfdump. */
#ifndef HOSTFLOW_QUERY_FILTER_H
#define HOSTFLOW_QUERY_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "flow_record.h"

/* ---- the AST ---- */

enum hf_filter_kind {
    HF_FK_ANY,          /* always true ("any", or the empty filter) */
    HF_FK_AND,          /* all children (n-ary, at least 2) */
    HF_FK_OR,           /* any child (n-ary, at least 2) */
    HF_FK_NOT,          /* the one child is false */
    HF_FK_IPVERSION,    /* ipVersion == num (4 or 6) */
    HF_FK_PROTO,        /* protocolIdentifier == num */
    HF_FK_NET,          /* address in addr/prefix ("host" is a full prefix); dir */
    HF_FK_NET_LIST,     /* address in any of list.nets[]; dir */
    HF_FK_PORT,         /* transport port cmp num; dir */
    HF_FK_PORT_LIST,    /* transport port in list.ports[]; dir */
    HF_FK_IF,           /* interface == num; dir SRC = in (ingress), DST = out */
    HF_FK_FLAGS,        /* proto tcp and (tcpControlBits & num) == num */
    HF_FK_FLAGS_ANY,    /* proto tcp and (tcpControlBits & num) != 0: what a
                           "flags" term under an odd number of "not"s means,
                           as in nfdump ("flags S and not flags AFRPU") */
    HF_FK_PACKETS,      /* packetDeltaCount x sampling cmp num */
    HF_FK_BYTES,        /* octetDeltaCount x sampling cmp num */
    HF_FK_FLOWS,        /* hf_flow_count() cmp num */
    HF_FK_DURATION,     /* flowEnd - flowStart (ms) cmp num */
    HF_FK_TOS,          /* ipClassOfService cmp num */
    HF_FK_VLAN,         /* vlanId cmp num */
    HF_FK_MAC,          /* MAC address == mac; dir */
    HF_FK_HOSTNAME,     /* glob str over every name element */
    HF_FK_DNS,          /* glob str over the DNS question (dnsQueryNtop):
                           DNS flows, queries and answers alike */
    HF_FK_DOMAIN,       /* env domain, case-insensitive == str */
    HF_FK_APP,          /* applicationName, case-insensitive == str */
    HF_FK_DEVICE,       /* env device name, case-insensitive == str; dir */
    HF_FK_EXPORTER,     /* env source == str or its automatic name */
    HF_FK_SAMPLED,      /* samplingPacketInterval > 1 */
};

/* Which side a term looks at.  For HF_FK_IF, SRC is "in if" (ingress) and
 * DST "out if" (egress). */
enum hf_filter_dir {
    HF_DIR_ANY,         /* either side may match */
    HF_DIR_SRC,
    HF_DIR_DST,
};

enum hf_filter_cmp {
    HF_CMP_EQ,
    HF_CMP_LT,
    HF_CMP_GT,
    HF_CMP_LE,
    HF_CMP_GE,
};

/* One network: family 4 or 6, address with the host bits cleared (IPv4 in
 * addr[0..3], network byte order) and prefix length. */
struct hf_filter_net {
    uint8_t family;
    uint8_t prefix;
    uint8_t addr[16];
    /* for evaluation: IPv4 value and mask in host byte order, IPv6 mask */
    uint32_t v4, v4mask;
    uint8_t mask[16];
};

struct hf_filter_node {
    enum hf_filter_kind kind;
    enum hf_filter_dir dir;
    enum hf_filter_cmp cmp;
    /* AND, OR, NOT: first child; every node: next sibling (NULL at the end) */
    const struct hf_filter_node *child, *next;
    unsigned n_children;
    uint64_t num;               /* compared number, protocol, flag bits, ... */
    struct hf_filter_net net;   /* HF_FK_NET */
    uint8_t mac[6];             /* HF_FK_MAC */
    /* HOSTNAME (glob, lowercased), DOMAIN, APP, DEVICE, EXPORTER */
    const char *str;
    const char *str2;           /* EXPORTER: the collector's automatic name
                                   for the address str, or NULL */
    struct {
        size_t n;
        const uint16_t *ports;              /* PORT_LIST: sorted, unique */
        const uint64_t *port_bits;          /* PORT_LIST: 65536-bit set */
        const struct hf_filter_net *nets;   /* NET_LIST */
    } list;
};

/* ---- the record fields a filter reads (hf_filter_fields) ---- */
enum hf_filter_field {
    HF_FIELD_SRCADDR    = 1u << 0,   /* sourceIPv4Address / sourceIPv6Address */
    HF_FIELD_DSTADDR    = 1u << 1,
    HF_FIELD_IPVERSION  = 1u << 2,
    HF_FIELD_PROTO      = 1u << 3,
    HF_FIELD_SRCPORT    = 1u << 4,
    HF_FIELD_DSTPORT    = 1u << 5,
    HF_FIELD_IN_IF      = 1u << 6,
    HF_FIELD_OUT_IF     = 1u << 7,
    HF_FIELD_TCPFLAGS   = 1u << 8,
    HF_FIELD_PACKETS    = 1u << 9,
    HF_FIELD_BYTES      = 1u << 10,
    HF_FIELD_SAMPLING   = 1u << 11,  /* samplingPacketInterval */
    HF_FIELD_FLOWS      = 1u << 12,  /* deltaFlowCount */
    HF_FIELD_TIME       = 1u << 13,  /* flowStart/EndMilliseconds */
    HF_FIELD_TOS        = 1u << 14,
    HF_FIELD_VLAN       = 1u << 15,
    HF_FIELD_SRCMAC     = 1u << 16,
    HF_FIELD_DSTMAC     = 1u << 17,
    HF_FIELD_HOSTNAME   = 1u << 18,  /* all the name elements */
    HF_FIELD_APP        = 1u << 19,  /* applicationName */
    HF_FIELD_DOMAIN     = 1u << 20,  /* env->domain */
    HF_FIELD_SRCDEVICE  = 1u << 21,  /* env->device(src) */
    HF_FIELD_DSTDEVICE  = 1u << 22,  /* env->device(dst) */
    HF_FIELD_EXPORTER   = 1u << 23,  /* env->source */
    HF_FIELD_DNSQUERY   = 1u << 24,  /* dnsQueryNtop */
};

/* ---- the API ---- */

struct hf_filter;                                   /* compiled filter */

/* The error domain of hf_filter_parse (code HF_FILTER_ERROR_SYNTAX). */
#define HF_FILTER_ERROR (hf_filter_error_quark())
enum { HF_FILTER_ERROR_SYNTAX = 1 };
GQuark hf_filter_error_quark(void);

/* NULL with *err set when expr is not a filter; the message names the
 * token and its 1-based column. */
struct hf_filter *hf_filter_parse(const char *expr, GError **err);
void hf_filter_free(struct hf_filter *f);

/* What the filter needs besides the record; the names layer (query/names.h)
 * is wired in through these, so the filter links without it.  Any callback
 * (or env itself) may be NULL: its terms then match nothing. */
struct hf_filter_env {
    const char *source;      /* the record's store source name (the exporter) */
    /* the record's domain into buf (NUL-terminated), or NULL if it has none */
    const char *(*domain)(void *ctx, const hf_flow_record_t *r, char *buf, size_t size);
    /* the device name of the record's source (src) or destination side, or NULL */
    const char *(*device)(void *ctx, const hf_flow_record_t *r, bool src);
    void *ctx;
};

bool hf_filter_match(const struct hf_filter *f, const hf_flow_record_t *r,
                     const struct hf_filter_env *env);

/* Bit set of enum hf_filter_field: the record fields the filter reads. */
uint64_t hf_filter_fields(const struct hf_filter *f);

/* True for "any" (or the empty filter): every record matches. */
bool hf_filter_always(const struct hf_filter *f);

/* The AST root (never NULL; HF_FK_ANY for the empty filter). */
const struct hf_filter_node *hf_filter_root(const struct hf_filter *f);

/* The canonical text of a filter (re-parses to the same AST); g_free it. */
char *hf_filter_to_string(const struct hf_filter *f);

#endif
