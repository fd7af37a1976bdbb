/* Hostnames for flows: DNS answers paired with the flows that follow them,
 * and the names applications send in their first bytes (TLS/QUIC SNI, HTTP
 * Host).  Both directions of a conversation carry the server's name, so
 * bytes received are credited to the same host as bytes sent.  Payload is
 * looked at only in a flow's first packets. */
#ifndef HOSTFLOW_FLOW_NAMES_H
#define HOSTFLOW_FLOW_NAMES_H

#include <stdbool.h>
#include <stdint.h>
#include "flow_record.h"
#include "flow_table.h"
#include "name_cache.h"

struct hf_namer_config {
    struct hf_name_cache_config cache;
    uint32_t inspect_packets;     /* payload packets looked at per flow (default 6) */
    uint32_t max_buffers;         /* flows reassembling a split hello at once (default 8192) */
};

struct hf_namer_stats {
    uint64_t dns_responses;       /* parsed responses with answers */
    uint64_t dns_addresses;       /* answers put in the cache */
    uint64_t named_dns;           /* flows given a DNS-paired name */
    uint64_t named_app;           /* flows given an application name */
    uint64_t buffers_refused;     /* reassembly skipped: max_buffers reached */
    struct hf_name_cache_stats cache;
};

struct hf_namer;

struct hf_namer *hf_namer_new(const struct hf_namer_config *cfg,
                              struct hf_flow_table *table);
void hf_namer_free(struct hf_namer *n);

/* After the flow table accounted pkt in flow f (created: its first packet). */
void hf_namer_packet(struct hf_namer *n, struct hf_flow *f, bool created,
                     const struct hf_packet *pkt, uint32_t ifindex);

/* The flow leaves the table: drop its names and buffers. */
void hf_namer_release(struct hf_namer *n, struct hf_flow *f);

/* The record's hostname elements from the flow (strings borrowed from the
 * flow: export before the flow is released). */
void hf_namer_fill_record(const struct hf_flow *f, hf_flow_record_t *r);

/* enum hf_name_source of the flow's hostname (the record's
 * hostflowNameSource): its application's name, else its DNS-paired one. */
uint8_t hf_namer_hostname_source(const struct hf_flow *f);

struct hf_namer_stats hf_namer_stats(const struct hf_namer *n);

#endif
