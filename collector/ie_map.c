#include "ie_map.h"

enum hf_ie_action
hf_ie_lookup(uint32_t pen, uint16_t id, uint32_t hf_pen)
{
    if (pen == 0) {
        switch (id) {
        case 1:   return IE_OCTETS;
        case 2:   return IE_PACKETS;
        case 4:   return IE_PROTO;
        case 5:   return IE_TOS;
        case 6:   return IE_TCP_FLAGS;
        case 7:   return IE_SPORT;
        case 8:   return IE_SRC4;
        case 10:  return IE_IN_IF;
        case 11:  return IE_DPORT;
        case 14:  return IE_OUT_IF;
        case 12:  return IE_DST4;
        case 21:  return IE_END_UPTIME;
        case 22:  return IE_START_UPTIME;
        case 27:  return IE_SRC6;
        case 28:  return IE_DST6;
        case 32:  return IE_ICMP4;
        case 34:  return IE_SAMPLING_INTERVAL;     /* v9 SAMPLING_INTERVAL */
        case 48:  return IE_SAMPLER_ID;            /* v9 FLOW_SAMPLER_ID */
        case 50:  return IE_SAMPLING_INTERVAL;     /* samplerRandomInterval */
        case 56:  return IE_SRC_MAC;
        case 58:  return IE_VLAN;
        case 60:  return IE_IPVER;
        case 80:  return IE_DST_MAC;
        case 85:  return IE_OCTETS_TOTAL;
        case 86:  return IE_PACKETS_TOTAL;
        case 96:  return IE_APP_NAME;
        case 136: return IE_END_REASON;
        case 139: return IE_ICMP6;
        case 150: return IE_START_S;
        case 151: return IE_END_S;
        case 152: return IE_START_MS;
        case 153: return IE_END_MS;
        case 154: return IE_START_US;
        case 155: return IE_END_US;
        case 156: return IE_START_NS;
        case 157: return IE_END_NS;
        case 158: return IE_START_DELTA_US;
        case 159: return IE_END_DELTA_US;
        case 160: return IE_SYSINIT_MS;
        case 176: return IE_ICMP_TYPE;
        case 177: return IE_ICMP_CODE;
        case 302: return IE_SAMPLER_ID;            /* selectorId */
        case 305: return IE_SAMPLING_INTERVAL;     /* samplingPacketInterval */
        case 309: return IE_SAMPLING_SIZE;
        case 310: return IE_SAMPLING_POPULATION;
        case 460: return IE_HTTP_HOST;
        default:  return IE_SKIP;
        }
    }
    if (pen == HF_PEN_NTOP) {
        switch (id) {
        case 187: return IE_HTTP_HOST;
        case 188: return IE_SNI;
        case 205: return IE_DNS_QUERY;
        default:  return IE_SKIP;
        }
    }
    if (pen == HF_PEN_CERT) {
        switch (id) {
        case 294: return IE_SNI;                   /* YAF sslServerName */
        case 179: return IE_DNS_QUERY;             /* YAF dnsQName */
        default:  return IE_SKIP;
        }
    }
    if (pen == hf_pen) {
        switch (id) {
        case 1:   return IE_HOSTNAME;
        case 2:   return IE_NAME_SOURCE;
        case 3:   return IE_DNS_NAME;
        default:  return IE_SKIP;
        }
    }
    return IE_SKIP;
}

/* Lengths an element can have; anything else is a broken template. */
bool
hf_ie_length_fits(enum hf_ie_action a, uint32_t len)
{
    switch (a) {
    case IE_SRC4: case IE_DST4:
        return len == 4;
    case IE_SRC6: case IE_DST6:
        return len == 16;
    case IE_SRC_MAC: case IE_DST_MAC:
        return len == 6;
    case IE_HOSTNAME: case IE_DNS_NAME: case IE_HTTP_HOST: case IE_SNI:
    case IE_DNS_QUERY: case IE_APP_NAME: case IE_SKIP:
        return true;
    default:                               /* integers, reduced-size ok */
        return len >= 1 && len <= 8;
    }
}

