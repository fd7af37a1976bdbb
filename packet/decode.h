/* Internal interfaces between the decoder layers (decode_link.c →
 * decode_ip.c → decode_transport.c).  Not for use outside the decoders:
 * callers use hf_decode_packet() from packet.h. */
#ifndef HOSTFLOW_DECODE_H
#define HOSTFLOW_DECODE_H

#include <stdint.h>

#include "extract.h"
#include "packet.h"

/* Most VLAN tags followed in one Ethernet header. */
#define HF_MAX_VLAN_TAGS 8
/* Most IPv6 extension headers walked before giving up. */
#define HF_MAX_IP6_EXT 16

/* Decode the IP packet at the start of ip.  expect_version is what the
 * link layer announced (4, 6) or 0 when the version nibble alone decides;
 * a nibble that disagrees is HF_DECODE_BAD_IP_VERSION. */
enum hf_decode_result hf_decode_ip(struct hf_cursor ip, uint8_t expect_version,
                                   struct hf_packet *pkt);

/* Decode the transport header of pkt->proto at the start of l4.  l4 must
 * already be bounded by both the captured bytes and the IP length.  Never
 * fails: a short header sets pkt->transport_truncated. */
void hf_decode_transport(struct hf_cursor l4, struct hf_packet *pkt);

#endif
