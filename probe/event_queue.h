/* The bounded queue between capture and the event writer: capture never
 * waits on it.  A line that finds the queue full is dropped and counted;
 * the writer takes lines in batches. */
#ifndef HOSTFLOW_EVENT_QUEUE_H
#define HOSTFLOW_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hf_event_line {
    char *text;              /* g_malloc'd, ends in '\n' */
    size_t len;
};

struct hf_event_queue;

struct hf_event_queue *hf_event_queue_new(uint32_t capacity);
/* Frees lines still queued. */
void hf_event_queue_free(struct hf_event_queue *q);

/* Producer: takes the line; false (line freed, drop counted) when full or
 * closed. */
bool hf_event_queue_push(struct hf_event_queue *q, char *text, size_t len);
/* Producer: no more lines; the consumer empties the queue and stops. */
void hf_event_queue_close(struct hf_event_queue *q);

/* Consumer: waits for lines; moves up to max into out and returns how many;
 * 0 once the queue is closed and empty.  *now_empty: nothing is left
 * behind them. */
size_t hf_event_queue_pop(struct hf_event_queue *q, struct hf_event_line *out,
                          size_t max, bool *now_empty);

/* Lines dropped so far because the queue was full. */
uint64_t hf_event_queue_dropped(struct hf_event_queue *q);

#endif
