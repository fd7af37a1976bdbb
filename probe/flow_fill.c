#include "flow_fill.h"

#include <string.h>
#include "flow_names.h"
#include "record_fields.h"

void
hf_flow_fill_record(const struct hf_flow *f, uint8_t reason, bool with_names,
                    hf_flow_record_t *r)
{
    memset(r, 0, sizeof(*r));
    r->flowStartMilliseconds = f->first_us / 1000;
    r->flowEndMilliseconds = f->last_us / 1000;
    r->octetDeltaCount = f->octets;
    r->packetDeltaCount = f->packets;
    hf_record_set_addresses(r, f->key.ip_version, f->key.src_addr, f->key.dst_addr);
    r->ingressInterface = f->key.ifindex;
    r->sourceTransportPort = f->key.sport;
    r->destinationTransportPort = f->key.dport;
    r->vlanId = f->key.vlan_id;
    hf_record_set_icmp_type_code(r, f->key.proto, f->icmp_type_code);
    r->tcpControlBits = f->tcp_flags;
    r->protocolIdentifier = f->key.proto;
    r->ipClassOfService = f->tos;
    r->flowEndReason = reason;
    memcpy(r->sourceMacAddress, f->src_mac, 6);
    memcpy(r->destinationMacAddress, f->dst_mac, 6);
    if (with_names)
        hf_namer_fill_record(f, r);
}
