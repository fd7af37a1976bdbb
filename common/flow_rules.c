#include "flow_rules.h"

#include <stdio.h>
#include <string.h>

static const uint8_t zero[16];

static bool
src_is_zero(const hf_flow_record_t *r)
{
    return r->ipVersion == 6 ? memcmp(r->sourceIPv6Address, zero, 16) == 0
                             : r->sourceIPv4Address == 0;
}

static bool
dst_is_zero(const hf_flow_record_t *r)
{
    return r->ipVersion == 6 ? memcmp(r->destinationIPv6Address, zero, 16) == 0
                             : r->destinationIPv4Address == 0;
}

static bool
mac_is_zero(const uint8_t mac[6])
{
    return memcmp(mac, zero, 6) == 0;
}

/* <0, 0, >0 as the source address is below, equal to, above the
 * destination's (network byte order) */
static int
addr_cmp(const hf_flow_record_t *r)
{
    if (r->ipVersion == 6)
        return memcmp(r->sourceIPv6Address, r->destinationIPv6Address, 16);
    return (r->sourceIPv4Address > r->destinationIPv4Address)
         - (r->sourceIPv4Address < r->destinationIPv4Address);
}

bool
hf_flow_from_service(const hf_flow_record_t *r)
{
    uint16_t sp = r->sourceTransportPort, dp = r->destinationTransportPort;

    if (r->deltaFlowCount) {
        /* a summary keeps the service's port and the client's address:
         * the port says it best (a client may well be 0.0.0.0: DHCP) */
        if (hf_proto_has_ports(r->protocolIdentifier) && (sp || dp))
            return dp == 0;
        if (src_is_zero(r) != dst_is_zero(r))
            return src_is_zero(r);
        /* the client's address is zero too (:: or 0.0.0.0): its MAC */
        return mac_is_zero(r->sourceMacAddress) && !mac_is_zero(r->destinationMacAddress);
    }
    if (!hf_proto_has_ports(r->protocolIdentifier))
        sp = dp = 0;
    /* both directions of a connection must agree on who is the client */
    return sp < dp || (sp == dp && addr_cmp(r) > 0);
}

const fbVarfield_t *
hf_flow_name(const hf_flow_record_t *r, uint8_t *source)
{
    if (r->hostflowHostname.len) {
        *source = r->hostflowNameSource;
        return &r->hostflowHostname;
    }
    if (r->httpRequestHost.len) {
        *source = HF_NAME_HTTP;
        return &r->httpRequestHost;
    }
    if (r->sslServerNameNtop.len) {
        *source = HF_NAME_TLS;
        return &r->sslServerNameNtop;
    }
    *source = r->dnsQueryNtop.len ? HF_NAME_DNS : HF_NAME_NONE;
    return &r->dnsQueryNtop;
}

/* The services people recognise by name; the rest by number. */
static const struct { uint16_t port; uint8_t proto; const char *name; } services[] = {
    { 20, HF_PROTO_TCP, "ftp-data" }, { 21, HF_PROTO_TCP, "ftp" },
    { 22, HF_PROTO_TCP, "ssh" }, { 23, HF_PROTO_TCP, "telnet" },
    { 25, HF_PROTO_TCP, "smtp" }, { 53, HF_PROTO_TCP, "dns" },
    { 53, HF_PROTO_UDP, "dns" }, { 67, HF_PROTO_UDP, "dhcp" },
    { 68, HF_PROTO_UDP, "dhcp" }, { 69, HF_PROTO_UDP, "tftp" },
    { 80, HF_PROTO_TCP, "http" }, { 110, HF_PROTO_TCP, "pop3" },
    { 123, HF_PROTO_UDP, "ntp" }, { 137, HF_PROTO_UDP, "netbios-ns" },
    { 138, HF_PROTO_UDP, "netbios-dgm" }, { 139, HF_PROTO_TCP, "netbios-ssn" },
    { 143, HF_PROTO_TCP, "imap" }, { 161, HF_PROTO_UDP, "snmp" },
    { 162, HF_PROTO_UDP, "snmptrap" }, { 389, HF_PROTO_TCP, "ldap" },
    { 443, HF_PROTO_TCP, "https" }, { 443, HF_PROTO_UDP, "quic" },
    { 445, HF_PROTO_TCP, "smb" }, { 465, HF_PROTO_TCP, "smtps" },
    { 514, HF_PROTO_UDP, "syslog" }, { 546, HF_PROTO_UDP, "dhcpv6" },
    { 547, HF_PROTO_UDP, "dhcpv6" }, { 587, HF_PROTO_TCP, "submission" },
    { 631, HF_PROTO_TCP, "ipp" }, { 853, HF_PROTO_TCP, "dns-over-tls" },
    { 993, HF_PROTO_TCP, "imaps" }, { 995, HF_PROTO_TCP, "pop3s" },
    { 1194, HF_PROTO_UDP, "openvpn" }, { 1883, HF_PROTO_TCP, "mqtt" },
    { 1900, HF_PROTO_UDP, "ssdp" }, { 3306, HF_PROTO_TCP, "mysql" },
    { 3389, HF_PROTO_TCP, "rdp" }, { 3478, HF_PROTO_UDP, "stun" },
    { 4739, HF_PROTO_TCP, "ipfix" }, { 4739, HF_PROTO_UDP, "ipfix" },
    { 5060, HF_PROTO_UDP, "sip" }, { 5222, HF_PROTO_TCP, "xmpp" },
    { 5353, HF_PROTO_UDP, "mdns" }, { 5355, HF_PROTO_UDP, "llmnr" },
    { 5432, HF_PROTO_TCP, "postgresql" }, { 6343, HF_PROTO_UDP, "sflow" },
    { 8080, HF_PROTO_TCP, "http-alt" }, { 8443, HF_PROTO_TCP, "https-alt" },
    { 51820, HF_PROTO_UDP, "wireguard" },
};

const char *
hf_proto_name(uint8_t proto, char *buf, size_t size)
{
    switch (proto) {
    case HF_PROTO_ICMP:    snprintf(buf, size, "icmp"); break;
    case HF_PROTO_IGMP:    snprintf(buf, size, "igmp"); break;
    case HF_PROTO_TCP:     snprintf(buf, size, "tcp"); break;
    case HF_PROTO_UDP:     snprintf(buf, size, "udp"); break;
    case HF_PROTO_DCCP:    snprintf(buf, size, "dccp"); break;
    case HF_PROTO_GRE:     snprintf(buf, size, "gre"); break;
    case HF_PROTO_ESP:     snprintf(buf, size, "esp"); break;
    case HF_PROTO_ICMPV6:  snprintf(buf, size, "icmp6"); break;
    case HF_PROTO_SCTP:    snprintf(buf, size, "sctp"); break;
    case HF_PROTO_UDPLITE: snprintf(buf, size, "udplite"); break;
    default:  snprintf(buf, size, "%u", proto); break;
    }
    return buf;
}

const char *
hf_service_name(uint8_t proto, uint16_t port, char *buf, size_t size)
{
    char p[12];

    if (!hf_proto_has_ports(proto)) {
        /* a named protocol as it is, a number as "proto N" */
        hf_proto_name(proto, p, sizeof(p));
        snprintf(buf, size, "%s%s", p[0] >= '0' && p[0] <= '9' ? "proto " : "", p);
        return buf;
    }
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        if (services[i].port == port && services[i].proto == proto) {
            snprintf(buf, size, "%s", services[i].name);
            return buf;
        }
    }
    snprintf(buf, size, "%u/%s", port, hf_proto_name(proto, p, sizeof(p)));
    return buf;
}
