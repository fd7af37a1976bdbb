/* The bounded queue between capture and the event writer: capture never
 * waits on it.  An item that finds the queue full is dropped and counted;
 * the writer takes items in batches.
 *
 * Items are blocks used again and again: the writer reads them in place
 * and releases them to a spare ring, the producer fills a spare block
 * (growing or replacing it as it needs) before it makes a new one.
 * Capture so allocates nothing per event once there are as many blocks as
 * the writer ever lagged behind, and no block is freed by the other
 * thread.  The blocks stay until hf_event_queue_free. */
#ifndef HOSTFLOW_EVENT_QUEUE_H
#define HOSTFLOW_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One producer thread and one consumer thread. */
struct hf_event_queue;

struct hf_event_queue *hf_event_queue_new(uint32_t capacity);
/* Frees (g_free) every block: queued, spare or being filled. */
void hf_event_queue_free(struct hf_event_queue *q);

/* Producer: where the next item goes: a spare block an earlier item left
 * (NULL when there is none) for the caller to fill, or to free and replace
 * (with a g_malloc'd one); NULL (a drop counted) when full or closed.
 * hf_event_queue_commit queues it. */
void **hf_event_queue_reserve(struct hf_event_queue *q);
void hf_event_queue_commit(struct hf_event_queue *q);
/* Producer: no more items; the consumer empties the queue and stops. */
void hf_event_queue_close(struct hf_event_queue *q);

/* Consumer: waits for items; puts up to max of them into out and returns
 * how many; 0 once the queue is closed and empty.  *now_empty: nothing is
 * left behind them.  They stay the queue's: read them, then release. */
size_t hf_event_queue_take(struct hf_event_queue *q, void **out, size_t max,
                           bool *now_empty);
/* Consumer: done with the n items taken; their blocks are spare again. */
void hf_event_queue_release(struct hf_event_queue *q, size_t n);

/* Items dropped so far because the queue was full. */
uint64_t hf_event_queue_dropped(struct hf_event_queue *q);

#endif
