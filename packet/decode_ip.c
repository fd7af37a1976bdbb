/* IPv4 and IPv6 headers: addresses, length as the wire counts it,
 * fragments, and (IPv6) the extension header chain up to the transport. */
#include "decode.h"

enum {
    IPV4_MIN_HLEN  = 20,
    IPV4_MF        = 0x2000,
    IPV4_OFFSET    = 0x1fff,
    IPV6_HLEN      = 40,
    IPV6_FRAG_HLEN = 8,
};

enum {
    IPPROTO_NUM_HOPOPTS  = 0,
    IPPROTO_NUM_ROUTING  = 43,
    IPPROTO_NUM_FRAGMENT = 44,
    IPPROTO_NUM_AH       = 51,
    IPPROTO_NUM_DSTOPTS  = 60,
    IPPROTO_NUM_MOBILITY = 135,
    IPPROTO_NUM_HIP      = 139,
    IPPROTO_NUM_SHIM6    = 140,
    IPPROTO_NUM_EXP1     = 253, /* RFC 3692 experiments, RFC 7045 format */
    IPPROTO_NUM_EXP2     = 254,
    IPPROTO_NUM_NONE     = 59,
};

static void note_fragment(struct hf_packet *pkt, uint32_t offset, bool more,
                          uint32_t id)
{
    if (!more && offset == 0)
        return; /* whole packet (IPv6 atomic fragment included) */
    pkt->is_fragment = true;
    pkt->first_fragment = offset == 0;
    pkt->last_fragment = !more;
    pkt->frag_id = id;
}

static enum hf_decode_result decode_ipv4(struct hf_cursor ip,
                                         struct hf_packet *pkt)
{
    uint8_t ver_ihl, tos, proto;
    uint16_t total_len, id, frag;
    uint32_t hlen;

    if (!hf_cur_u8(&ip, 0, &ver_ihl) || !hf_cur_u8(&ip, 1, &tos) ||
        !hf_cur_u16(&ip, 2, &total_len) || !hf_cur_u16(&ip, 4, &id) ||
        !hf_cur_u16(&ip, 6, &frag) || !hf_cur_u8(&ip, 9, &proto) ||
        !hf_cur_copy(&ip, 12, pkt->src_addr, 4) ||
        !hf_cur_copy(&ip, 16, pkt->dst_addr, 4))
        return HF_DECODE_TRUNC_IP;

    hlen = (uint32_t)(ver_ihl & 0x0f) * 4;
    if (hlen < IPV4_MIN_HLEN)
        return HF_DECODE_BAD_IP_HLEN;
    if (total_len < hlen)
        return HF_DECODE_BAD_IP_LEN;
    if (!hf_cur_has(&ip, hlen))
        return HF_DECODE_TRUNC_IP; /* options cut off */

    pkt->ip_version = 4;
    pkt->tos = tos;
    pkt->proto = proto;
    /* The header's length, not the captured one: routers count the packet
     * as sent, whatever the snaplen or Ethernet padding. */
    pkt->ip_octets = total_len;
    note_fragment(pkt, frag & IPV4_OFFSET, frag & IPV4_MF, id);
    if (pkt->is_fragment && !pkt->first_fragment)
        return HF_DECODE_OK; /* no transport header in this piece */

    hf_cur_limit(&ip, total_len); /* trailer padding is not payload */
    hf_cur_skip(&ip, hlen);
    hf_decode_transport(ip, pkt);
    return HF_DECODE_OK;
}

static bool is_ip6_ext(uint8_t nh)
{
    switch (nh) {
    case IPPROTO_NUM_HOPOPTS:
    case IPPROTO_NUM_ROUTING:
    case IPPROTO_NUM_FRAGMENT:
    case IPPROTO_NUM_AH:
    case IPPROTO_NUM_DSTOPTS:
    case IPPROTO_NUM_MOBILITY:
    case IPPROTO_NUM_HIP:
    case IPPROTO_NUM_SHIM6:
    case IPPROTO_NUM_EXP1:
    case IPPROTO_NUM_EXP2:
        return true;
    default:
        return false; /* transport, ESP, No Next Header, unknown: stop */
    }
}

/* Size of extension header nh given its length byte. */
static uint32_t ip6_ext_len(uint8_t nh, uint8_t len_field)
{
    switch (nh) {
    case IPPROTO_NUM_FRAGMENT:
        return IPV6_FRAG_HLEN; /* length byte is reserved */
    case IPPROTO_NUM_AH:
        return ((uint32_t)len_field + 2) * 4; /* RFC 4302: 4-byte units */
    default:
        return ((uint32_t)len_field + 1) * 8; /* RFC 8200 / RFC 7045 */
    }
}

static enum hf_decode_result decode_ipv6(struct hf_cursor ip,
                                         struct hf_packet *pkt)
{
    uint32_t ver_tc_flow, ip_end;
    uint16_t payload_len;
    uint8_t nh;
    bool later_fragment = false;

    if (!hf_cur_u32(&ip, 0, &ver_tc_flow) ||
        !hf_cur_u16(&ip, 4, &payload_len) || !hf_cur_u8(&ip, 6, &nh) ||
        !hf_cur_copy(&ip, 8, pkt->src_addr, 16) ||
        !hf_cur_copy(&ip, 24, pkt->dst_addr, 16))
        return HF_DECODE_TRUNC_IP;

    pkt->ip_version = 6;
    pkt->tos = (uint8_t)(ver_tc_flow >> 20);
    /* Payload length 0 with a payload is a jumbogram (RFC 2675) or a
     * Linux BIG TCP / GSO capture: only the captured size is known. */
    if (payload_len == 0 && nh != IPPROTO_NUM_NONE)
        ip_end = ip.len;
    else
        ip_end = (uint32_t)payload_len + IPV6_HLEN;
    pkt->ip_octets = ip_end;

    hf_cur_limit(&ip, ip_end);
    hf_cur_skip(&ip, IPV6_HLEN);

    for (unsigned depth = 0; is_ip6_ext(nh); depth++) {
        uint8_t next, len_field;
        uint32_t len;

        if (depth == HF_MAX_IP6_EXT)
            return HF_DECODE_DEPTH;
        if (!hf_cur_u8(&ip, 0, &next) || !hf_cur_u8(&ip, 1, &len_field))
            return HF_DECODE_BAD_IP6_EXT;
        len = ip6_ext_len(nh, len_field);
        if (!hf_cur_has(&ip, len))
            return HF_DECODE_BAD_IP6_EXT;
        if (nh == IPPROTO_NUM_FRAGMENT) {
            uint16_t off_m;
            uint32_t id;

            /* a jumbogram is never fragmented (RFC 2675 3): length 0
             * with a fragment header is a broken packet */
            if (payload_len == 0)
                return HF_DECODE_BAD_IP6_EXT;
            hf_cur_u16(&ip, 2, &off_m);
            hf_cur_u32(&ip, 4, &id);
            note_fragment(pkt, off_m >> 3, off_m & 1, id);
            later_fragment = pkt->is_fragment && !pkt->first_fragment;
        }
        hf_cur_skip(&ip, len);
        nh = next;
        if (later_fragment)
            break; /* the rest of the chain is in the first fragment */
    }

    pkt->proto = nh;
    if (!later_fragment)
        hf_decode_transport(ip, pkt);
    return HF_DECODE_OK;
}

enum hf_decode_result hf_decode_ip(struct hf_cursor ip, uint8_t expect_version,
                                   struct hf_packet *pkt)
{
    uint8_t first;
    uint8_t version;

    if (!hf_cur_u8(&ip, 0, &first))
        return HF_DECODE_TRUNC_IP;
    version = first >> 4;
    if ((version != 4 && version != 6) ||
        (expect_version && version != expect_version))
        return HF_DECODE_BAD_IP_VERSION;
    return version == 4 ? decode_ipv4(ip, pkt) : decode_ipv6(ip, pkt);
}
