#include "flow_fill.h"

#include <string.h>
#include "flow_names.h"
#include "proto.h"

void
hf_flow_fill_record(const struct hf_flow *f, uint8_t reason, bool with_names,
                    hf_flow_record_t *r)
{
    memset(r, 0, sizeof(*r));
    r->flowStartMilliseconds = f->first_us / 1000;
    r->flowEndMilliseconds = f->last_us / 1000;
    r->octetDeltaCount = f->octets;
    r->packetDeltaCount = f->packets;
    r->ipVersion = f->key.ip_version;
    if (f->key.ip_version == 6) {
        memcpy(r->sourceIPv6Address, f->key.src_addr, 16);
        memcpy(r->destinationIPv6Address, f->key.dst_addr, 16);
    } else {
        r->sourceIPv4Address = (uint32_t)f->key.src_addr[0] << 24 | f->key.src_addr[1] << 16
                             | f->key.src_addr[2] << 8 | f->key.src_addr[3];
        r->destinationIPv4Address = (uint32_t)f->key.dst_addr[0] << 24 | f->key.dst_addr[1] << 16
                                  | f->key.dst_addr[2] << 8 | f->key.dst_addr[3];
    }
    r->ingressInterface = f->key.ifindex;
    r->sourceTransportPort = f->key.sport;
    r->destinationTransportPort = f->key.dport;
    r->vlanId = f->key.vlan_id;
    if (f->key.proto == HF_PROTO_ICMP)
        r->icmpTypeCodeIPv4 = f->icmp_type_code;
    else if (f->key.proto == HF_PROTO_ICMPV6)
        r->icmpTypeCodeIPv6 = f->icmp_type_code;
    r->tcpControlBits = f->tcp_flags;
    r->protocolIdentifier = f->key.proto;
    r->ipClassOfService = f->tos;
    r->flowEndReason = reason;
    memcpy(r->sourceMacAddress, f->src_mac, 6);
    memcpy(r->destinationMacAddress, f->dst_mac, 6);
    if (with_names)
        hf_namer_fill_record(f, r);
}
