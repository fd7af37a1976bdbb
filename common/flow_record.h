/* The one flow record every part of hostflow speaks.
 *
 * The probe fills it, exports it through libfixbuf, the collector decodes
 * every input (IPFIX, NetFlow v9, v5) into it, stores it, and reports read
 * it back.  The struct layout must match hf_flow_spec[] (flow_record.c)
 * field for field: libfixbuf copies records by that spec. */
#ifndef HOSTFLOW_FLOW_RECORD_H
#define HOSTFLOW_FLOW_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <fixbuf/public.h>

/* flowEndReason values (IANA registry). */
enum hf_end_reason {
    HF_END_IDLE      = 0x01,
    HF_END_ACTIVE    = 0x02,
    HF_END_EOF       = 0x03, /* end of flow detected (TCP FIN/RST) */
    HF_END_FORCED    = 0x04, /* shutdown, end of input */
    HF_END_RESOURCES = 0x05, /* lack of resources: table full */
};

/* Where the flow's hostname came from (hostflowNameSource). */
enum hf_name_source {
    HF_NAME_NONE = 0,
    HF_NAME_DNS  = 1, /* a DNS answer the client saw before the flow */
    HF_NAME_TLS  = 2, /* TLS ClientHello server_name */
    HF_NAME_HTTP = 3, /* HTTP/1.x Host header */
    HF_NAME_QUIC = 4, /* QUIC Initial's TLS server_name */
    HF_NAME_DNS_STALE = 5, /* a DNS answer the client saw, its TTL run out:
                            * clients keep using addresses past it */
};

typedef struct hf_flow_record {
    uint64_t     flowStartMilliseconds;
    uint64_t     flowEndMilliseconds;
    uint64_t     octetDeltaCount;
    uint64_t     packetDeltaCount;
    uint64_t     deltaFlowCount;           /* flows summed into this record
                                              (hourly summaries); 0 = one */
    uint8_t      sourceIPv6Address[16];
    uint8_t      destinationIPv6Address[16];
    uint32_t     sourceIPv4Address;        /* host byte order */
    uint32_t     destinationIPv4Address;   /* host byte order */
    uint32_t     ingressInterface;
    uint32_t     egressInterface;          /* routers' exports; 0 = unknown */
    uint32_t     samplingPacketInterval;   /* 1 in N sampled; 0/1 = all.
                                              Counters stay as exported;
                                              readers scale by N */
    uint16_t     sourceTransportPort;
    uint16_t     destinationTransportPort;
    uint16_t     vlanId;
    uint16_t     icmpTypeCodeIPv4;
    uint16_t     icmpTypeCodeIPv6;
    uint16_t     tcpControlBits;
    uint8_t      protocolIdentifier;
    uint8_t      ipClassOfService;
    uint8_t      flowEndReason;
    uint8_t      ipVersion;
    uint8_t      sourceMacAddress[6];
    uint8_t      destinationMacAddress[6];
    /* hostnames (see man/hostflow-probe.8 "INFORMATION ELEMENTS") */
    uint8_t      hostflowNameSource;       /* enum hf_name_source */
    uint8_t      paddingOctets[7];         /* strings start 8-aligned */
    fbVarfield_t hostflowHostname;         /* the name the client perceived */
    fbVarfield_t hostflowDnsName;          /* DNS-paired name of the peer */
    fbVarfield_t httpRequestHost;          /* IANA 460 */
    fbVarfield_t sslServerNameNtop;        /* ntop 35632/188: TLS or QUIC SNI */
    fbVarfield_t dnsQueryNtop;             /* ntop 35632/205: DNS flows' query */
    fbVarfield_t applicationName;          /* IANA 96: dns, tls, http, quic... */
} hf_flow_record_t;

/* Template variants: which address family a record carries, whether it
 * carries the hostname strings (records without a name stay small) and a
 * sampling interval. */
enum hf_tmpl_flags {
    HF_TMPL_V4      = 0x1,
    HF_TMPL_V6      = 0x2,
    HF_TMPL_NAMES   = 0x4,
    HF_TMPL_SAMPLED = 0x8,
    HF_TMPL_NAMESRC = 0x10,   /* hostflowNameSource: with the names */
    HF_TMPL_LAYOUT  = 0x20,   /* padding: internal templates only */
    HF_TMPL_FLOWS   = 0x40,   /* deltaFlowCount: summaries of many flows */
};

/* The internal template without the strings: records that carry no name
 * (most of them) are copied by libfixbuf's fast fixed-length path. */
#define HF_TMPL_INTERNAL_FIXED \
    (HF_TMPL_V4 | HF_TMPL_V6 | HF_TMPL_SAMPLED | HF_TMPL_NAMESRC | HF_TMPL_LAYOUT \
     | HF_TMPL_FLOWS)
#define HF_FLOW_FIXED_LEN offsetof(hf_flow_record_t, hostflowHostname)

/* Template ids; stable so stored files stay comparable.  The external flow
 * templates are HF_TID_FLOW_FIRST + variant index (hf_flow_variants[]), and
 * HF_TID_SUMMARY_FIRST + index for the same variants with deltaFlowCount. */
enum hf_tmpl_id {
    HF_TID_INTERNAL   = 0x0400, /* internal (in-memory) layout, all fields */
    HF_TID_INTERNAL_FIXED = 0x0409, /* the same up to the strings */
    HF_TID_FLOW_FIRST = 0x0401,
    HF_TID_STATS      = 0x0410, /* exporter statistics options record */
    HF_TID_STATS_INT  = 0x0411,
    HF_TID_SUMMARY_FIRST = 0x0421,
};

#define HF_FLOW_VARIANTS 8
extern const uint32_t hf_flow_variants[HF_FLOW_VARIANTS];

extern fbInfoElementSpec_t hf_flow_spec[];

/* A template over hf_flow_spec[] for the given flags; UINT32_MAX for all. */
fbTemplate_t *hf_flow_template(fbInfoModel_t *model, uint32_t flags,
                               GError **err);

/* Flags of the external template that fits this record (inline: the
 * store asks for every record). */
static inline uint32_t
hf_flow_template_flags(const hf_flow_record_t *rec)
{
    uint32_t flags = rec->ipVersion == 6 ? HF_TMPL_V6 : HF_TMPL_V4;

    if (rec->samplingPacketInterval > 1)
        flags |= HF_TMPL_SAMPLED;
    if (rec->hostflowNameSource != HF_NAME_NONE || rec->applicationName.len
        || rec->hostflowHostname.len || rec->hostflowDnsName.len
        || rec->httpRequestHost.len || rec->sslServerNameNtop.len
        || rec->dnsQueryNtop.len)
        flags |= HF_TMPL_NAMES | HF_TMPL_NAMESRC;
    if (rec->deltaFlowCount)
        flags |= HF_TMPL_FLOWS;
    return flags;
}

/* Template id of the external template for those flags. */
static inline uint16_t
hf_flow_template_id(uint32_t flags)
{
    /* index in hf_flow_variants[]: bit 0 family, bit 1 names, bit 2 sampled */
    unsigned i = ((flags & HF_TMPL_V6) ? 1 : 0) | ((flags & HF_TMPL_NAMES) ? 2 : 0)
               | ((flags & HF_TMPL_SAMPLED) ? 4 : 0);
    return (uint16_t)(((flags & HF_TMPL_FLOWS) ? HF_TID_SUMMARY_FIRST
                                               : HF_TID_FLOW_FIRST) + i);
}

/* How many flows a record stands for: 1 for a flow, more for a summary. */
static inline uint64_t
hf_flow_count(const hf_flow_record_t *rec)
{
    return rec->deltaFlowCount ? rec->deltaFlowCount : 1;
}

#endif
