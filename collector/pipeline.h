/* The collector's threads after the listener: decoding (datagrams → flow
 * records, named by source) and writing (records → the slot store).  Each
 * stage hands batches to the next through a queue bounded by the one
 * memory budget (queue_memory.h), so a slow disk never stalls decoding,
 * and decoding never stalls the receiver. */
#ifndef HOSTFLOW_PIPELINE_H
#define HOSTFLOW_PIPELINE_H

#include <stdbool.h>
#include <glib.h>
#include "clickhouse_sink.h"
#include "config.h"
#include "decoder.h"
#include "listener.h"
#include "rollup.h"
#include "store.h"

struct hf_pipeline;

/* ch: the ClickHouse sink (NULL: none); the writer hands it every
 * record, and the file store only while cfg's [clickhouse] store-files
 * holds.  Stop finishes it (its counters in the last status); free it
 * after.  mem: the queues' budget (record batches take from it; a record
 * that finds none is dropped and counted in record_queue_drops). */
struct hf_pipeline *hf_pipeline_start(struct hf_collector_config *cfg,
                                      struct hf_listener *listener,
                                      struct hf_store *store,
                                      struct hf_ch_sink *ch,
                                      GAsyncQueue *rx_queue,
                                      GAsyncQueue *rx_recycle,
                                      struct hf_queue_memory *mem, GError **err);

/* SIGHUP: the new configuration's sources apply to the next records.
 * Returns the configuration it replaced, no longer used. */
struct hf_collector_config *hf_pipeline_reload(struct hf_pipeline *p,
                                               struct hf_collector_config *cfg);

/* STATE/status.json (sockets, store, hourly summaries, every exporter's
 * counters) is rewritten every second by the decoding thread and at stop.
 * The roll-up's counters appear once it is set; it must outlive the
 * pipeline (free it after hf_pipeline_stop). */
void hf_pipeline_set_rollup(struct hf_pipeline *p, struct hf_rollup *r);

/* Drains the queues, completes the open slots, saves templates, frees. */
void hf_pipeline_stop(struct hf_pipeline *p);

#endif
