/* The collector's ClickHouse sink: records → RowBinary blocks → INSERTs
 * over ClickHouse's HTTP interface (libcurl), on a thread of its own.
 *
 * The writer thread encodes each record into the open block (cheap: a
 * copy) and hands a block on once it holds batch-records records or its
 * first waited batch-seconds.  A handed-on block goes to a short memory
 * queue while the spool is empty and the queue has room, else to the back
 * of the on-disk spool (clickhouse_spool.h), else it is dropped and its
 * records counted per exporter: nothing the sink does ever waits on
 * ClickHouse.  The sending thread takes the memory queue first, then the
 * spool's oldest block, so blocks arrive in the order they were made; a
 * block is forgotten (freed, its spool file removed) only once ClickHouse
 * answered 200 to its INSERT, and retried (0.5 s doubling to 5 s) until
 * then.  At stop, what could not be sent goes back to the spool's front. */
#ifndef HOSTFLOW_CLICKHOUSE_SINK_H
#define HOSTFLOW_CLICKHOUSE_SINK_H

#include <stdio.h>
#include <glib.h>
#include "clickhouse_config.h"
#include "flow_record.h"
#include "queue_memory.h"

struct hf_ch_sink;

/* Opens the spool (default STATE/clickhouse-spool) and starts sending;
 * NULL + err when the spool cannot be made.  Blocks in the memory queue
 * take their size from mem (the collector's queue budget; NULL: none): a
 * block that does not fit goes to the spool, as when the queue is full. */
struct hf_ch_sink *hf_ch_sink_start(const struct hf_clickhouse_config *c,
                                    const char *state_dir, struct hf_queue_memory *mem,
                                    GError **err);

/* Writer thread: one record from SOURCE (interned) that arrived at now_ms. */
void hf_ch_sink_add(struct hf_ch_sink *s, const char *source,
                    const hf_flow_record_t *rec, uint64_t now_ms);
/* Writer thread: hands on the open block once it is batch-seconds old. */
void hf_ch_sink_tick(struct hf_ch_sink *s, uint64_t now_ms);

/* After the writer's last record: hands on the open block, sends what is
 * in memory while ClickHouse takes it (at most ~10 s), spools the rest
 * and stops the thread.  The counters stay readable until free. */
void hf_ch_sink_finish(struct hf_ch_sink *s);
void hf_ch_sink_free(struct hf_ch_sink *s);

/* status.json's "clickhouse": {...}, line (any thread). */
void hf_ch_sink_write_status(struct hf_ch_sink *s, FILE *f);

#endif
