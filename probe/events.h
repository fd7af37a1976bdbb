/* Live flow events (hostflow-probe --events): start, TCP state, name and
 * end of every flow, each tested with --match and handed, as numbers and
 * name references (struct hf_event), to the bounded queue the event writer
 * (event_sink.c) empties and makes JSON lines of. */
#ifndef HOSTFLOW_EVENTS_H
#define HOSTFLOW_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "event_sink.h"
#include "flow_record.h"
#include "flow_table.h"
#include "packet.h"

struct hf_names;             /* query/names.h: domains and device names */

struct hf_events_config {
    struct hf_event_sink_config sink;
    uint32_t queue_size;     /* lines between capture and the writer */
    const char *match;       /* filter expression (hostflow-filter(7)); NULL: all */
    bool with_names;         /* the probe looks for hostnames */
    const struct hf_names *names;   /* may be NULL: no domains, no devices */
};

struct hf_events_stats {
    uint64_t events;         /* selected by --match and numbered */
    uint64_t queue_drops;    /* the queue was full */
    struct hf_event_sink_stats sink;
};

struct hf_events;

/* NULL with err on a bad --match or an output that cannot be opened. */
struct hf_events *hf_events_open(const struct hf_events_config *c,
                                 struct hf_flow_table *table, GError **err);

/* After the flow table (and the names layer) took pkt into flow f. */
void hf_events_packet(struct hf_events *e, struct hf_flow *f, bool created,
                      const struct hf_packet *pkt);

/* The flow's record is exported (rec: as the exporter gets it). */
void hf_events_end(struct hf_events *e, const struct hf_flow *f, const hf_flow_record_t *rec);

/* Hands what was told so far to the writer (capture calls it after each
 * batch of packets; events are otherwise handed over a few dozen at a
 * time). */
void hf_events_publish(struct hf_events *e);

/* Events lost so far: the queue was full, or a write to the reader failed. */
uint64_t hf_events_dropped(struct hf_events *e);

/* Delivers what is queued, stops the writer and frees e. */
void hf_events_close(struct hf_events *e, struct hf_events_stats *st);

#endif
