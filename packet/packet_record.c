#include "packet_record.h"

#include <string.h>
#include "record_fields.h"

void
hf_packet_fill_record(const struct hf_packet *pkt, enum hf_decode_result r,
                      hf_flow_record_t *rec)
{
    if (pkt->has_mac) {
        memcpy(rec->sourceMacAddress, pkt->src_mac, 6);
        memcpy(rec->destinationMacAddress, pkt->dst_mac, 6);
    }
    rec->vlanId = pkt->vlan_id;
    if (r != HF_DECODE_OK)
        return;                   /* not IP, or cut: the link fields only */
    hf_record_set_addresses(rec, pkt->ip_version, pkt->src_addr, pkt->dst_addr);
    rec->protocolIdentifier = pkt->proto;
    rec->ipClassOfService = pkt->tos;
    rec->tcpControlBits = pkt->tcp_flags;
    hf_packet_ports(pkt, &rec->sourceTransportPort,
                    &rec->destinationTransportPort);
    if (!pkt->has_ports)
        hf_record_set_icmp_type_code(rec, pkt->proto, pkt->icmp_type_code);
}
