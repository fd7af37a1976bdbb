/* IP protocol numbers (IANA "Assigned Internet Protocol Numbers") that
 * hostflow treats specially, and which of them carry ports: once, for the
 * packet decoders, the collector, the roll-up and the query engine. */
#ifndef HOSTFLOW_PROTO_H
#define HOSTFLOW_PROTO_H

#include <stdbool.h>
#include <stdint.h>

enum hf_proto {
    HF_PROTO_ICMP    = 1,
    HF_PROTO_IGMP    = 2,
    HF_PROTO_TCP     = 6,
    HF_PROTO_UDP     = 17,
    HF_PROTO_DCCP    = 33,
    HF_PROTO_GRE     = 47,
    HF_PROTO_ESP     = 50,
    HF_PROTO_ICMPV6  = 58,
    HF_PROTO_SCTP    = 132,
    HF_PROTO_UDPLITE = 136,
};

/* TCP, UDP, UDP-Lite, SCTP and DCCP carry ports (the first four bytes of
 * their headers); ICMP's type and code go in the destination port. */
static inline bool
hf_proto_has_ports(uint8_t proto)
{
    return proto == HF_PROTO_TCP || proto == HF_PROTO_UDP || proto == HF_PROTO_UDPLITE
        || proto == HF_PROTO_SCTP || proto == HF_PROTO_DCCP;
}

static inline bool
hf_proto_is_icmp(uint8_t proto)
{
    return proto == HF_PROTO_ICMP || proto == HF_PROTO_ICMPV6;
}

#endif
