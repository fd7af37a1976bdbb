/* Which information elements the collector understands, and where each one
 * lands in hf_flow_record_t.  Everything else is skipped by length, so
 * unknown and enterprise-specific elements never stop a decode. */
#ifndef HOSTFLOW_IE_MAP_H
#define HOSTFLOW_IE_MAP_H

#include <stdint.h>

#define HF_PEN_NTOP 35632u
#define HF_PEN_CERT 6871u

enum hf_ie_action {
    IE_SKIP = 0,
    IE_OCTETS, IE_PACKETS, IE_OCTETS_TOTAL, IE_PACKETS_TOTAL,
    IE_PROTO, IE_TOS, IE_TCP_FLAGS, IE_SPORT, IE_DPORT,
    IE_SRC4, IE_DST4, IE_SRC6, IE_DST6, IE_IN_IF, IE_OUT_IF, IE_VLAN,
    IE_SRC_MAC, IE_DST_MAC, IE_ICMP4, IE_ICMP6, IE_ICMP_TYPE, IE_ICMP_CODE,
    IE_IPVER, IE_END_REASON,
    IE_START_S, IE_END_S, IE_START_MS, IE_END_MS,
    IE_START_US, IE_END_US, IE_START_NS, IE_END_NS,          /* NTP format */
    IE_START_UPTIME, IE_END_UPTIME,                          /* ms since boot */
    IE_START_DELTA_US, IE_END_DELTA_US,                      /* before export */
    IE_SAMPLING_INTERVAL, IE_SAMPLER_ID, IE_SYSINIT_MS,
    IE_SAMPLING_SIZE, IE_SAMPLING_POPULATION,            /* n-out-of-N */
    IE_HOSTNAME, IE_NAME_SOURCE, IE_DNS_NAME, IE_HTTP_HOST, IE_SNI,
    IE_DNS_QUERY, IE_APP_NAME,
    IE_ACTION_COUNT
};

/* The action for element (pen, id); pen 0 = IANA.  hf_pen is hostflow's
 * own enterprise number (the probe's elements). */
enum hf_ie_action hf_ie_lookup(uint32_t pen, uint16_t id, uint32_t hf_pen);

/* Lengths an element can have; anything else is a broken template. */
#include <stdbool.h>
bool hf_ie_length_fits(enum hf_ie_action a, uint32_t len);

#endif
