#include "app_label.h"
#include "proto.h"

#include <string.h>

static const char *names[HF_APP_COUNT] = {
    "", "dns", "mdns", "llmnr", "tls", "http", "quic", "ssh", "ntp", "dhcp",
    "dhcpv6", "ssdp", "netbios", "snmp", "stun", "smtp", "ftp",
};

const char *
hf_app_label_name(uint8_t label)
{
    return label < HF_APP_COUNT ? names[label] : "";
}

static int
either_port(const struct hf_packet *pkt, uint16_t port)
{
    return pkt->sport == port || pkt->dport == port;
}

static int
starts(const struct hf_packet *pkt, const char *s)
{
    size_t n = strlen(s);
    return pkt->payload_len >= n && memcmp(pkt->payload, s, n) == 0;
}

static uint32_t
be32_at(const struct hf_packet *pkt, uint32_t off)
{
    const uint8_t *p = pkt->payload + off;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint8_t
hf_app_label_guess(const struct hf_packet *pkt)
{
    if (!pkt->has_ports || pkt->payload_len == 0)
        return HF_APP_NONE;
    if (starts(pkt, "SSH-"))
        return HF_APP_SSH;
    if (pkt->proto == HF_PROTO_TCP) {
        /* server greetings: the flow from the server names its protocol */
        if (pkt->sport == 25 || pkt->sport == 587)
            return starts(pkt, "220") ? HF_APP_SMTP : HF_APP_NONE;
        if (pkt->sport == 21 && starts(pkt, "220"))
            return HF_APP_FTP;
        return HF_APP_NONE;
    }
    if (pkt->proto != HF_PROTO_UDP)
        return HF_APP_NONE;
    /* NTP: 48-byte header, version 1-4, mode 1-5 */
    if (either_port(pkt, 123) && pkt->payload_len >= 48) {
        uint8_t vn = (pkt->payload[0] >> 3) & 7, mode = pkt->payload[0] & 7;
        if (vn >= 1 && vn <= 4 && mode >= 1 && mode <= 5)
            return HF_APP_NTP;
    }
    /* DHCP: BOOTP with the magic cookie */
    if ((either_port(pkt, 67) || either_port(pkt, 68)) && pkt->payload_len >= 240
        && be32_at(pkt, 236) == 0x63825363)
        return HF_APP_DHCP;
    if (either_port(pkt, 546) || either_port(pkt, 547))
        return HF_APP_DHCPV6;
    if (either_port(pkt, 1900) && (starts(pkt, "M-SEARCH ") || starts(pkt, "NOTIFY ")
                                   || starts(pkt, "HTTP/1.1 200")))
        return HF_APP_SSDP;
    if (either_port(pkt, 137) || either_port(pkt, 138))
        return HF_APP_NETBIOS;
    if ((either_port(pkt, 161) || either_port(pkt, 162)) && pkt->payload[0] == 0x30)
        return HF_APP_SNMP;
    /* STUN: the magic cookie at offset 4 */
    if (pkt->payload_len >= 20 && be32_at(pkt, 4) == 0x2112A442 && (pkt->payload[0] & 0xc0) == 0)
        return HF_APP_STUN;
    return HF_APP_NONE;
}
