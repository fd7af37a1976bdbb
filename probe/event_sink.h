/* The event writer: a thread that takes events from the event queue,
 * formats them (off the capture thread) and writes the lines to standard
 * output, a file, a Unix stream socket or the
 * standard input of a command.  A command that exits (or a socket that
 * closes) is started (connected) again with a growing pause; lines that
 * cannot be written are counted as lost, and a "drops" event follows once
 * the queue is empty again. */
#ifndef HOSTFLOW_EVENT_SINK_H
#define HOSTFLOW_EVENT_SINK_H

#include <stdint.h>
#include <glib.h>
#include "event_queue.h"

struct hf_event_sink_config {
    const char *target;      /* NULL or "-": stdout; "unix:PATH"; a file */
    const char *exec_cmd;    /* instead of target: sh -c CMD */
    /* appends a queued item's line (with its newline) to out */
    void (*format)(GString *out, const void *item, void *ctx);
    void *format_ctx;
};

struct hf_event_sink_stats {
    uint64_t delivered;      /* lines written whole */
    uint64_t lost;           /* taken from the queue but not written */
    uint64_t restarts;       /* consumer restarts / reconnections */
};

struct hf_event_sink;

/* Opens the output (an unwritable file or a socket nobody listens on fails
 * here) and starts the thread, with signals blocked in it. */
struct hf_event_sink *hf_event_sink_start(const struct hf_event_sink_config *c,
                                          struct hf_event_queue *q, GError **err);

/* Lines lost so far (any thread). */
uint64_t hf_event_sink_lost(struct hf_event_sink *s);

/* Closes the queue, lets the thread write what is left, closes the output
 * (a command gets EOF and up to 10 s to finish) and frees the sink. */
void hf_event_sink_stop(struct hf_event_sink *s, struct hf_event_sink_stats *st);

#endif
