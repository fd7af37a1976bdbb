/* Record fields that follow a rule, set once for every part that fills a
 * record from its own view of a flow: the probe from a flow of its table,
 * the collector's sFlow from a sampled packet (packet/packet_record.h). */
#ifndef HOSTFLOW_RECORD_FIELDS_H
#define HOSTFLOW_RECORD_FIELDS_H

#include <stdint.h>
#include "flow_record.h"

/* ipVersion and the addresses: IPv4 (the first 4 bytes of src and dst, in
 * network order) as numbers, IPv6 as the 16 bytes. */
void hf_record_set_addresses(hf_flow_record_t *r, uint8_t ip_version,
                             const uint8_t src[16], const uint8_t dst[16]);

/* ICMP type << 8 | code in the element of the protocol's family
 * (icmpTypeCodeIPv4 or icmpTypeCodeIPv6); nothing for other protocols. */
void hf_record_set_icmp_type_code(hf_flow_record_t *r, uint8_t proto,
                                  uint16_t type_code);

/* The record's ICMP type << 8 | code: the element of its IP version. */
static inline uint16_t
hf_record_icmp_type_code(const hf_flow_record_t *r)
{
    return r->ipVersion == 6 ? r->icmpTypeCodeIPv6 : r->icmpTypeCodeIPv4;
}

#endif
