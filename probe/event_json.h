/* One live event as a JSON line (the schema: flow-events.schema.json,
 * described in hostflow-probe(8) "EVENTS"). */
#ifndef HOSTFLOW_EVENT_JSON_H
#define HOSTFLOW_EVENT_JSON_H

#include <stdint.h>
#include <glib.h>
#include "flow_record.h"

enum hf_event_type { HF_EVENT_START, HF_EVENT_STATE, HF_EVENT_NAME, HF_EVENT_END };

struct hf_event {
    enum hf_event_type type;
    uint64_t seq;                     /* 1, 2, ... per run: gaps are drops */
    uint64_t time_ms;
    const hf_flow_record_t *rec;      /* the flow as it is now */
    const uint8_t *flow_id, *conversation_id;
    const char *state;                /* HF_EVENT_STATE: syn, syn-ack, ... */
    uint64_t rev_packets, rev_bytes;  /* the other direction so far */
    const char *src_device, *dst_device;   /* NULL: not known (set by the
                                              writer, off the capture thread) */
};

/* Appends the event and a newline to out. */
void hf_event_json(GString *out, const struct hf_event *ev);

/* {"event":"drops",...}: dropped since the last such line, and in all. */
void hf_event_json_drops(GString *out, uint64_t time_ms, uint64_t dropped, uint64_t total);

/* The end reason's name: idle, active, tcp-fin, tcp-rst, evicted, shutdown. */
const char *hf_event_end_reason(const hf_flow_record_t *r);

#endif
