/* A short protocol label per flow (applicationName, the "proto" column of
 * Pakon): from the name parsers when they recognise their protocol, else
 * from cheap payload checks on the first payload packet. */
#ifndef HOSTFLOW_APP_LABEL_H
#define HOSTFLOW_APP_LABEL_H

#include <stdint.h>
#include "packet.h"

enum hf_app_label {
    HF_APP_NONE = 0,
    HF_APP_DNS, HF_APP_MDNS, HF_APP_LLMNR, HF_APP_TLS, HF_APP_HTTP, HF_APP_QUIC,
    HF_APP_SSH, HF_APP_NTP, HF_APP_DHCP, HF_APP_DHCPV6, HF_APP_SSDP,
    HF_APP_NETBIOS, HF_APP_SNMP, HF_APP_STUN, HF_APP_SMTP, HF_APP_FTP,
    HF_APP_COUNT
};

/* "dns", "tls"...; "" for none. */
const char *hf_app_label_name(uint8_t label);

/* A label from the first payload packet alone, HF_APP_NONE if unsure. */
uint8_t hf_app_label_guess(const struct hf_packet *pkt);

#endif
