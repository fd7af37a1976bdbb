/* The bounded queue between capture and the event writer: capture never
 * waits on it.  An item (one g_malloc'd block: an event to format) that
 * finds the queue full is dropped and counted; the writer takes items in
 * batches. */
#ifndef HOSTFLOW_EVENT_QUEUE_H
#define HOSTFLOW_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One producer thread and one consumer thread. */
struct hf_event_queue;

struct hf_event_queue *hf_event_queue_new(uint32_t capacity);
/* Frees (g_free) items still queued. */
void hf_event_queue_free(struct hf_event_queue *q);

/* Producer: takes the item; false (item freed, drop counted) when full or
 * closed. */
bool hf_event_queue_push(struct hf_event_queue *q, void *item);
/* Producer: no more items; the consumer empties the queue and stops. */
void hf_event_queue_close(struct hf_event_queue *q);

/* Consumer: waits for items; moves up to max into out and returns how
 * many; 0 once the queue is closed and empty.  *now_empty: nothing is left
 * behind them. */
size_t hf_event_queue_pop(struct hf_event_queue *q, void **out, size_t max,
                          bool *now_empty);

/* Items dropped so far because the queue was full. */
uint64_t hf_event_queue_dropped(struct hf_event_queue *q);

#endif
