/* One live event as a JSON line (the schema: flow-events.schema.json,
 * described in hostflow-probe(8) "EVENTS"). */
#ifndef HOSTFLOW_EVENT_JSON_H
#define HOSTFLOW_EVENT_JSON_H

#include <stdint.h>
#include <glib.h>
#include "flow_record.h"
#include "name_pool.h"

enum hf_event_type { HF_EVENT_START, HF_EVENT_STATE, HF_EVENT_NAME, HF_EVENT_END };

/* HF_EVENT_STATE: which TCP state */
enum hf_event_state {
    HF_STATE_SYN, HF_STATE_SYNACK, HF_STATE_ESTABLISHED, HF_STATE_FIN, HF_STATE_RST,
};

/* An event as capture leaves it for the writer: numbers and bytes only,
 * no text (ids, times, addresses, names are made text by the writer, off
 * the capture thread).  The names are the pool's, referenced rather than
 * copied (whoever fills the event holds a reference for it). */
struct hf_event {
    uint64_t seq;                     /* 1, 2, ... per run: gaps are drops */
    uint64_t time_ms, first_ms, last_ms;
    uint64_t packets, bytes;
    uint64_t rev_packets, rev_bytes;  /* the other direction so far */
    uint8_t flow_id[16], conversation_id[16];
    uint8_t src_addr[16], dst_addr[16];   /* IPv4: the first 4 bytes */
    struct hf_name *app;              /* TLS/QUIC server name or HTTP Host */
    struct hf_name *dns;              /* DNS-paired name */
    struct hf_name *query;            /* DNS flows: the question */
    uint32_t interface;
    uint16_t src_port, dst_port;
    uint16_t vlan;
    uint16_t icmp_type_code;
    uint8_t src_mac[6], dst_mac[6];
    uint8_t type;                     /* enum hf_event_type */
    uint8_t state;                    /* enum hf_event_state */
    uint8_t end_reason;               /* HF_EVENT_END: the record's flowEndReason */
    uint8_t ip_version, protocol, tcp_flags;
    uint8_t name_source;              /* enum hf_name_source of the hostname */
    uint8_t app_label;                /* enum hf_app_label (HF_APP_NONE: no "app") */
};

/* The text of a line that is the same for every event of a flow record
 * (ids, addresses, ports, VLAN, interface, MACs), kept for the flows whose
 * events came last: a flow's later events copy it rather than make it
 * again.  One per thread that writes lines (about 230 KB). */
struct hf_event_text_cache;
struct hf_event_text_cache *hf_event_text_cache_new(void);
void hf_event_text_cache_free(struct hf_event_text_cache *c);

/* Appends the event and a newline to out; the devices are NULL when not
 * known; cache may be NULL (each line made whole). */
void hf_event_json(GString *out, const struct hf_event *ev, const char *src_device,
                   const char *dst_device, struct hf_event_text_cache *cache);

/* {"event":"drops",...}: dropped since the last such line, and in all. */
void hf_event_json_drops(GString *out, uint64_t time_ms, uint64_t dropped, uint64_t total);

/* The end reason's name: idle, active, tcp-fin, tcp-rst, evicted, shutdown. */
const char *hf_event_end_reason(uint8_t flow_end_reason, uint8_t tcp_flags);

#endif
