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
    { 20, 6, "ftp-data" }, { 21, 6, "ftp" }, { 22, 6, "ssh" }, { 23, 6, "telnet" },
    { 25, 6, "smtp" }, { 53, 6, "dns" }, { 53, 17, "dns" }, { 67, 17, "dhcp" },
    { 68, 17, "dhcp" }, { 69, 17, "tftp" }, { 80, 6, "http" }, { 110, 6, "pop3" },
    { 123, 17, "ntp" }, { 137, 17, "netbios-ns" }, { 138, 17, "netbios-dgm" },
    { 139, 6, "netbios-ssn" }, { 143, 6, "imap" }, { 161, 17, "snmp" },
    { 162, 17, "snmptrap" }, { 389, 6, "ldap" }, { 443, 6, "https" },
    { 443, 17, "quic" }, { 445, 6, "smb" }, { 465, 6, "smtps" }, { 514, 17, "syslog" },
    { 546, 17, "dhcpv6" }, { 547, 17, "dhcpv6" }, { 587, 6, "submission" },
    { 631, 6, "ipp" }, { 853, 6, "dns-over-tls" }, { 993, 6, "imaps" },
    { 995, 6, "pop3s" }, { 1194, 17, "openvpn" }, { 1883, 6, "mqtt" },
    { 1900, 17, "ssdp" }, { 3306, 6, "mysql" }, { 3389, 6, "rdp" },
    { 3478, 17, "stun" }, { 4739, 6, "ipfix" }, { 4739, 17, "ipfix" },
    { 5060, 17, "sip" }, { 5222, 6, "xmpp" }, { 5353, 17, "mdns" },
    { 5355, 17, "llmnr" }, { 5432, 6, "postgresql" }, { 6343, 17, "sflow" },
    { 8080, 6, "http-alt" }, { 8443, 6, "https-alt" }, { 51820, 17, "wireguard" },
};

const char *
hf_proto_name(uint8_t proto, char *buf, size_t size)
{
    switch (proto) {
    case 1:   snprintf(buf, size, "icmp"); break;
    case 2:   snprintf(buf, size, "igmp"); break;
    case 6:   snprintf(buf, size, "tcp"); break;
    case 17:  snprintf(buf, size, "udp"); break;
    case 47:  snprintf(buf, size, "gre"); break;
    case 50:  snprintf(buf, size, "esp"); break;
    case 58:  snprintf(buf, size, "icmp6"); break;
    case 132: snprintf(buf, size, "sctp"); break;
    default:  snprintf(buf, size, "%u", proto); break;
    }
    return buf;
}

const char *
hf_service_name(uint8_t proto, uint16_t port, char *buf, size_t size)
{
    char p[12];

    if (!hf_proto_has_ports(proto)) {
        hf_proto_name(proto, p, sizeof(p));
        snprintf(buf, size, "%s%s", proto == 1 || proto == 58 || proto == 6
                 || proto == 17 || proto == 47 || proto == 50 || proto == 2
                 || proto == 132 ? "" : "proto ", p);
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
