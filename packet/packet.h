/* One captured packet as the decoders leave it for the flow table.
 *
 * Decoding runs link → IP → transport (decode_link.c, decode_ip.c,
 * decode_transport.c); each layer reads only through extract.h's
 * bounds-checked helpers and either fills its part of hf_packet or returns
 * the reason the packet is skipped.  Nothing here allocates. */
#ifndef HOSTFLOW_PACKET_H
#define HOSTFLOW_PACKET_H

#include <stdbool.h>
#include <stdint.h>

/* Why a packet did not reach the flow table (or how it was noted).
 * Every reason has a counter (probe_stats.c) and a name (hf_decode_name). */
enum hf_decode_result {
    HF_DECODE_OK = 0,
    HF_DECODE_NOT_IP,          /* ARP, LLDP, STP...: not counted as malformed */
    HF_DECODE_UNKNOWN_LINK,    /* link type we do not decode */
    HF_DECODE_TRUNC_LINK,      /* frame shorter than its link header */
    HF_DECODE_TRUNC_IP,        /* captured bytes end inside the IP header */
    HF_DECODE_BAD_IP_VERSION,  /* version nibble neither 4 nor 6 */
    HF_DECODE_BAD_IP_HLEN,     /* IPv4 IHL < 5 */
    HF_DECODE_BAD_IP_LEN,      /* IPv4 total length < header length */
    HF_DECODE_BAD_IP6_EXT,     /* IPv6 extension header chain runs past the capture */
    HF_DECODE_DEPTH,           /* too many VLAN tags / extension headers */
    HF_DECODE_REASON_COUNT
};

/* The parsed view of one IP packet (outer IP header: tunnels are not
 * entered, so octets are counted as a router on this link counts them). */
struct hf_packet {
    uint64_t ts_us;            /* capture time, microseconds since epoch */
    uint32_t caplen;           /* bytes captured */
    uint32_t wirelen;          /* bytes on the wire */

    /* link */
    bool     has_mac;
    uint8_t  src_mac[6];
    uint8_t  dst_mac[6];
    uint16_t vlan_id;          /* outermost 802.1Q/802.1ad VLAN id, 0 if none */

    /* IP */
    uint8_t  ip_version;       /* 4 or 6 */
    uint8_t  src_addr[16];     /* IPv4 in the first 4 bytes, network order */
    uint8_t  dst_addr[16];
    uint32_t ip_octets;        /* IPv4 total length, or IPv6 payload length + 40 */
    uint8_t  proto;            /* transport protocol (after IPv6 ext headers) */
    uint8_t  tos;              /* IPv4 TOS / IPv6 traffic class */

    /* fragments: non-first fragments have no transport header; the flow
     * table finds their ports by (src, dst, proto, frag_id) via ip_frag.c */
    bool     is_fragment;      /* MF set or offset != 0 */
    bool     first_fragment;   /* offset 0 (carries the transport header) */
    bool     last_fragment;    /* MF clear */
    uint32_t frag_id;          /* IPv4 id (16 bits) or IPv6 fragment id */

    /* transport: ports, or ICMP type/code (type in sport's place is NOT
     * used; see icmp_type_code) */
    bool     has_ports;        /* transport header with ports was decoded */
    uint16_t sport;
    uint16_t dport;
    uint16_t icmp_type_code;   /* type << 8 | code, for ICMP and ICMPv6 */
    uint8_t  tcp_flags;        /* flags byte of the TCP header */
    uint32_t tcp_seq;          /* sequence number: orders payload for
                                  ClientHello reassembly */
    bool     transport_truncated; /* capture ends inside the transport
                                     header: counted, keyed without ports */

    /* transport payload as captured, for hostname extractors */
    const uint8_t *payload;
    uint32_t payload_len;      /* captured payload bytes (may be < on the wire) */
};

/* Decode one frame of pcap link type dlt into pkt.  pkt->ts_us, caplen and
 * wirelen are set by the caller beforehand; the rest is cleared here. */
enum hf_decode_result hf_decode_packet(int dlt, const uint8_t *frame,
                                       uint32_t caplen, struct hf_packet *pkt);

/* True if hf_decode_packet knows this pcap link type. */
bool hf_decode_link_supported(int dlt);

/* Short name of a reason, for counters and logs ("trunc_ip"...). */
const char *hf_decode_name(enum hf_decode_result r);

#endif
