/* Link layers: find where the IP packet starts, then hand it to
 * hf_decode_ip().  Each link type is one small function over a cursor. */
#include <string.h>

#include <pcap/dlt.h>

#include "decode.h"

/* pcap files say 101 for raw IP; libpcap maps it to DLT_RAW, but callers
 * that pass file link types straight through still get it decoded. */
#define HF_LINKTYPE_RAW 101

enum {
    ETHERTYPE_IPV4          = 0x0800,
    ETHERTYPE_IPV6          = 0x86dd,
    ETHERTYPE_VLAN          = 0x8100, /* 802.1Q */
    ETHERTYPE_QINQ          = 0x88a8, /* 802.1ad */
    ETHERTYPE_QINQ_OLD      = 0x9100, /* pre-standard QinQ */
    ETHERTYPE_PPPOE_SESSION = 0x8864,
    ETHER_MAX_LENGTH_FIELD  = 1500,   /* at or below: 802.3 length, not a type */
};

enum { PPP_IPV4 = 0x0021, PPP_IPV6 = 0x0057 };

/* Linux cooked capture's protocol value for 802.2 LLC frames. */
enum { SLL_PROTO_802_2 = 0x0004 };

static enum hf_decode_result decode_ppp_protocol(struct hf_cursor c,
                                                 struct hf_packet *pkt)
{
    uint8_t first;
    uint16_t proto;

    if (!hf_cur_u8(&c, 0, &first))
        return HF_DECODE_TRUNC_LINK;
    /* Protocol-field compression (RFC 1661 6.5): an odd first octet is a
     * whole one-byte protocol. */
    if (first & 1) {
        proto = first;
        hf_cur_skip(&c, 1);
    } else {
        if (!hf_cur_u16(&c, 0, &proto))
            return HF_DECODE_TRUNC_LINK;
        hf_cur_skip(&c, 2);
    }
    switch (proto) {
    case PPP_IPV4: return hf_decode_ip(c, 4, pkt);
    case PPP_IPV6: return hf_decode_ip(c, 6, pkt);
    default:       return HF_DECODE_NOT_IP;
    }
}

/* RFC 2516 session header: ver/type, code, session id, length. */
static enum hf_decode_result decode_pppoe_session(struct hf_cursor c,
                                                  struct hf_packet *pkt)
{
    uint8_t ver_type, code;

    if (!hf_cur_u8(&c, 0, &ver_type) || !hf_cur_u8(&c, 1, &code) ||
        !hf_cur_skip(&c, 6))
        return HF_DECODE_TRUNC_LINK;
    if (ver_type != 0x11 || code != 0)
        return HF_DECODE_NOT_IP;
    return decode_ppp_protocol(c, pkt);
}

/* 802.2 LLC; only SNAP with OUI 0 (RFC 1042) can carry IP here. */
static enum hf_decode_result decode_llc(struct hf_cursor c,
                                        struct hf_packet *pkt)
{
    uint8_t dsap, ssap, control;
    uint32_t control_oui;
    uint16_t type;

    if (!hf_cur_u8(&c, 0, &dsap) || !hf_cur_u8(&c, 1, &ssap) ||
        !hf_cur_u8(&c, 2, &control))
        return HF_DECODE_TRUNC_LINK;
    if (dsap != 0xaa || ssap != 0xaa || control != 0x03)
        return HF_DECODE_NOT_IP;
    if (!hf_cur_u32(&c, 2, &control_oui) || !hf_cur_u16(&c, 6, &type))
        return HF_DECODE_TRUNC_LINK;
    if ((control_oui & 0xffffff) != 0)
        return HF_DECODE_NOT_IP;
    hf_cur_skip(&c, 8);
    switch (type) {
    case ETHERTYPE_IPV4: return hf_decode_ip(c, 4, pkt);
    case ETHERTYPE_IPV6: return hf_decode_ip(c, 6, pkt);
    default:             return HF_DECODE_NOT_IP;
    }
}

static bool is_vlan_tpid(uint16_t type)
{
    return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
           type == ETHERTYPE_QINQ_OLD;
}

/* The payload of an ethertype-labelled header (Ethernet, SLL, SLL2, Cisco
 * HDLC).  Follows VLAN tags; lengths ≤ 1500 are 802.3 only when the
 * caller's header can carry them (Ethernet). */
static enum hf_decode_result decode_ethertype(struct hf_cursor c,
                                              uint16_t type,
                                              bool length_means_llc,
                                              struct hf_packet *pkt)
{
    for (unsigned tags = 0; is_vlan_tpid(type); tags++) {
        uint16_t tci;

        if (tags == HF_MAX_VLAN_TAGS)
            return HF_DECODE_DEPTH;
        if (!hf_cur_u16(&c, 0, &tci) || !hf_cur_u16(&c, 2, &type))
            return HF_DECODE_TRUNC_LINK;
        if (tags == 0)
            pkt->vlan_id = tci & 0x0fff;
        hf_cur_skip(&c, 4);
    }
    if (type <= ETHER_MAX_LENGTH_FIELD)
        return length_means_llc ? decode_llc(c, pkt) : HF_DECODE_NOT_IP;
    switch (type) {
    case ETHERTYPE_IPV4:          return hf_decode_ip(c, 4, pkt);
    case ETHERTYPE_IPV6:          return hf_decode_ip(c, 6, pkt);
    case ETHERTYPE_PPPOE_SESSION: return decode_pppoe_session(c, pkt);
    default:                      return HF_DECODE_NOT_IP;
    }
}

static enum hf_decode_result decode_ethernet(struct hf_cursor c,
                                             struct hf_packet *pkt)
{
    uint16_t type = 0;

    if (!hf_cur_has(&c, 14))
        return HF_DECODE_TRUNC_LINK;
    hf_cur_copy(&c, 0, pkt->dst_mac, 6);
    hf_cur_copy(&c, 6, pkt->src_mac, 6);
    hf_cur_u16(&c, 12, &type);
    pkt->has_mac = true;
    hf_cur_skip(&c, 14);
    return decode_ethertype(c, type, true, pkt);
}

/* Linux cooked v1: 16 bytes, protocol last. */
static enum hf_decode_result decode_linux_sll(struct hf_cursor c,
                                              struct hf_packet *pkt)
{
    uint16_t proto;

    if (!hf_cur_u16(&c, 14, &proto))
        return HF_DECODE_TRUNC_LINK;
    hf_cur_skip(&c, 16);
    if (proto == SLL_PROTO_802_2)
        return decode_llc(c, pkt);
    return decode_ethertype(c, proto, false, pkt);
}

/* Linux cooked v2: 20 bytes, protocol first. */
static enum hf_decode_result decode_linux_sll2(struct hf_cursor c,
                                               struct hf_packet *pkt)
{
    uint16_t proto;

    if (!hf_cur_u16(&c, 0, &proto) || !hf_cur_skip(&c, 20))
        return HF_DECODE_TRUNC_LINK;
    if (proto == SLL_PROTO_802_2)
        return decode_llc(c, pkt);
    return decode_ethertype(c, proto, false, pkt);
}

/* BSD loopback: a 4-byte address family in the capturing host's order
 * (DLT_NULL) or network order (DLT_LOOP); accept either for both. */
static enum hf_decode_result decode_null(struct hf_cursor c,
                                         struct hf_packet *pkt)
{
    uint32_t family;

    if (!hf_cur_u32(&c, 0, &family))
        return HF_DECODE_TRUNC_LINK;
    if (family & 0xffff0000u)
        family = __builtin_bswap32(family);
    hf_cur_skip(&c, 4);
    switch (family) {
    case 2:                      /* AF_INET everywhere */
        return hf_decode_ip(c, 4, pkt);
    case 24: case 28: case 30:   /* AF_INET6: NetBSD/OpenBSD, FreeBSD, Darwin */
        return hf_decode_ip(c, 6, pkt);
    default:
        return HF_DECODE_NOT_IP;
    }
}

static enum hf_decode_result decode_ppp(struct hf_cursor c,
                                        struct hf_packet *pkt)
{
    uint8_t address, control;

    /* HDLC-like framing's address/control bytes are optional (ACFC). */
    if (hf_cur_u8(&c, 0, &address) && address == 0xff &&
        hf_cur_u8(&c, 1, &control) && control == 0x03)
        hf_cur_skip(&c, 2);
    return decode_ppp_protocol(c, pkt);
}

static bool is_cisco_hdlc_address(uint8_t address)
{
    return address == 0x0f || address == 0x8f; /* unicast, broadcast */
}

static enum hf_decode_result decode_cisco_hdlc(struct hf_cursor c,
                                               struct hf_packet *pkt)
{
    uint8_t address, control;
    uint16_t type;

    if (!hf_cur_u8(&c, 0, &address) || !hf_cur_u8(&c, 1, &control) ||
        !hf_cur_u16(&c, 2, &type))
        return HF_DECODE_TRUNC_LINK;
    if (!is_cisco_hdlc_address(address) || control != 0)
        return HF_DECODE_NOT_IP;
    hf_cur_skip(&c, 4);
    return decode_ethertype(c, type, false, pkt);
}

/* DLT_PPP_SERIAL carries either PPP in HDLC framing or Cisco HDLC. */
static enum hf_decode_result decode_ppp_serial(struct hf_cursor c,
                                               struct hf_packet *pkt)
{
    uint8_t address;

    if (hf_cur_u8(&c, 0, &address) && is_cisco_hdlc_address(address))
        return decode_cisco_hdlc(c, pkt);
    return decode_ppp(c, pkt);
}

enum hf_decode_result hf_decode_packet(int dlt, const uint8_t *frame,
                                       uint32_t caplen, struct hf_packet *pkt)
{
    uint64_t ts_us = pkt->ts_us;
    uint32_t pkt_caplen = pkt->caplen, wirelen = pkt->wirelen;
    struct hf_cursor c = hf_cur_make(frame, caplen);

    memset(pkt, 0, sizeof *pkt);
    pkt->ts_us = ts_us;
    pkt->caplen = pkt_caplen;
    pkt->wirelen = wirelen;

    switch (dlt) {
    case DLT_EN10MB:      return decode_ethernet(c, pkt);
    case DLT_LINUX_SLL:   return decode_linux_sll(c, pkt);
    case DLT_LINUX_SLL2:  return decode_linux_sll2(c, pkt);
    case DLT_RAW:
    case HF_LINKTYPE_RAW:
    case DLT_IPV4:
    case DLT_IPV6:        return hf_decode_ip(c, 0, pkt);
    case DLT_NULL:
    case DLT_LOOP:        return decode_null(c, pkt);
    case DLT_PPP:         return decode_ppp(c, pkt);
    case DLT_PPP_SERIAL:  return decode_ppp_serial(c, pkt);
    case DLT_PPP_ETHER:   return decode_pppoe_session(c, pkt);
    case DLT_C_HDLC:      return decode_cisco_hdlc(c, pkt);
    default:              return HF_DECODE_UNKNOWN_LINK;
    }
}

bool hf_decode_link_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case HF_LINKTYPE_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_PPP:
    case DLT_PPP_SERIAL:
    case DLT_PPP_ETHER:
    case DLT_C_HDLC:
        return true;
    default:
        return false;
    }
}

const char *hf_decode_name(enum hf_decode_result r)
{
    static const char *const names[HF_DECODE_REASON_COUNT] = {
        [HF_DECODE_OK]             = "ok",
        [HF_DECODE_NOT_IP]         = "not_ip",
        [HF_DECODE_UNKNOWN_LINK]   = "unknown_link",
        [HF_DECODE_TRUNC_LINK]     = "trunc_link",
        [HF_DECODE_TRUNC_IP]       = "trunc_ip",
        [HF_DECODE_BAD_IP_VERSION] = "bad_ip_version",
        [HF_DECODE_BAD_IP_HLEN]    = "bad_ip_hlen",
        [HF_DECODE_BAD_IP_LEN]     = "bad_ip_len",
        [HF_DECODE_BAD_IP6_EXT]    = "bad_ip6_ext",
        [HF_DECODE_DEPTH]          = "depth",
    };

    if ((unsigned)r >= HF_DECODE_REASON_COUNT || !names[r])
        return "invalid";
    return names[r];
}
