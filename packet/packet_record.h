/* A decoded packet's fields as flow keys and flow records carry them: the
 * probe keys its flows by them (probe/flow_table.c) and the collector's
 * sFlow turns a sampled packet into a record (collector/sflow.c). */
#ifndef HOSTFLOW_PACKET_RECORD_H
#define HOSTFLOW_PACKET_RECORD_H

#include "flow_record.h"
#include "packet.h"
#include "proto.h"

/* The ports, or for ICMP and ICMPv6 the type << 8 | code in the
 * destination port (as NetFlow does) and 0 in the source port; 0 and 0
 * for the rest.  Inline: the probe keys every packet with it. */
static inline void
hf_packet_ports(const struct hf_packet *pkt, uint16_t *sport, uint16_t *dport)
{
    if (pkt->has_ports) {
        *sport = pkt->sport;
        *dport = pkt->dport;
    } else {
        *sport = 0;
        *dport = hf_proto_is_icmp(pkt->proto) ? pkt->icmp_type_code : 0;
    }
}

/* Fills rec (cleared by the caller) from a packet hf_decode_packet()
 * returned r for: the link fields (MACs, VLAN) always, the IP and
 * transport fields only when r is HF_DECODE_OK. */
void hf_packet_fill_record(const struct hf_packet *pkt,
                           enum hf_decode_result r, hf_flow_record_t *rec);

#endif
