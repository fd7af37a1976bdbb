/* Transport headers: ports (or ICMP type/code), TCP flags, and where the
 * payload starts.  The cursor arrives bounded by the IP length, so the
 * payload never includes link-layer trailer padding. */
#include "decode.h"
#include "proto.h"


enum { TCP_MIN_HLEN = 20, UDP_HLEN = 8 };

static void set_payload(struct hf_cursor rest, struct hf_packet *pkt)
{
    if (rest.len == 0)
        return;
    pkt->payload = rest.p;
    pkt->payload_len = rest.len;
}

/* Source and destination port lead the header of every protocol here. */
static bool read_ports(const struct hf_cursor *l4, struct hf_packet *pkt)
{
    uint16_t sport, dport;

    if (!hf_cur_u16(l4, 0, &sport) || !hf_cur_u16(l4, 2, &dport)) {
        pkt->transport_truncated = true;
        return false;
    }
    pkt->sport = sport;
    pkt->dport = dport;
    pkt->has_ports = true;
    return true;
}

static void decode_tcp(struct hf_cursor l4, struct hf_packet *pkt)
{
    uint8_t data_offset, flags;
    uint32_t hlen;

    /* Ports without flags would make a flow that can never see FIN/RST:
     * treat a header cut before the flags byte as truncated. */
    if (!hf_cur_u8(&l4, 12, &data_offset) || !hf_cur_u8(&l4, 13, &flags)) {
        pkt->transport_truncated = true;
        return;
    }
    read_ports(&l4, pkt);
    pkt->tcp_flags = flags;
    hf_cur_u32(&l4, 4, &pkt->tcp_seq);  /* within the 14 bytes checked above */
    hlen = (uint32_t)(data_offset >> 4) * 4;
    if (hlen >= TCP_MIN_HLEN && hf_cur_skip(&l4, hlen))
        set_payload(l4, pkt);
}

static void decode_udp(struct hf_cursor l4, struct hf_packet *pkt)
{
    if (read_ports(&l4, pkt) && hf_cur_skip(&l4, UDP_HLEN))
        set_payload(l4, pkt);
}

static void decode_icmp(struct hf_cursor l4, struct hf_packet *pkt)
{
    uint16_t type_code;

    if (!hf_cur_u16(&l4, 0, &type_code)) {
        pkt->transport_truncated = true;
        return;
    }
    pkt->icmp_type_code = type_code;
}

void hf_decode_transport(struct hf_cursor l4, struct hf_packet *pkt)
{
    switch (pkt->proto) {
    case HF_PROTO_TCP:
        decode_tcp(l4, pkt);
        break;
    case HF_PROTO_UDP:
    case HF_PROTO_UDPLITE:
        decode_udp(l4, pkt);
        break;
    case HF_PROTO_SCTP:
    case HF_PROTO_DCCP:
        read_ports(&l4, pkt);
        break;
    case HF_PROTO_ICMP:
    case HF_PROTO_ICMPV6:
        decode_icmp(l4, pkt);
        break;
    default:
        break; /* no ports: keyed on addresses and protocol */
    }
}
