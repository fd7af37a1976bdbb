/* The bounded queue between capture and the event writer: capture never
 * waits on it.  An item that finds the queue full is dropped and counted;
 * the writer takes items in batches.
 *
 * Items live in the queue's slots and are used again: the producer fills
 * the block a slot kept from an earlier round (growing or replacing it as
 * it needs), the consumer reads blocks in place and releases them when
 * done.  Capture so allocates nothing per event once the slots in use have
 * their blocks, and no block is freed by the other thread.  The blocks
 * stay until hf_event_queue_free (at most one per slot ever used). */
#ifndef HOSTFLOW_EVENT_QUEUE_H
#define HOSTFLOW_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One producer thread and one consumer thread. */
struct hf_event_queue;

struct hf_event_queue *hf_event_queue_new(uint32_t capacity);
/* Frees (g_free) the blocks of every slot. */
void hf_event_queue_free(struct hf_event_queue *q);

/* Producer: the tail slot, holding the block an earlier item left there
 * (NULL the first time) for the caller to fill, or to free and replace
 * (with a g_malloc'd one); NULL (a drop counted) when full or closed.
 * The item is queued by hf_event_queue_commit. */
void **hf_event_queue_reserve(struct hf_event_queue *q);
void hf_event_queue_commit(struct hf_event_queue *q);
/* Producer: no more items; the consumer empties the queue and stops. */
void hf_event_queue_close(struct hf_event_queue *q);

/* Consumer: waits for items; puts up to max of them into out and returns
 * how many; 0 once the queue is closed and empty.  *now_empty: nothing is
 * left behind them.  They stay the queue's: read them, then release. */
size_t hf_event_queue_take(struct hf_event_queue *q, void **out, size_t max,
                           bool *now_empty);
/* Consumer: done with the n items taken; their slots are free again. */
void hf_event_queue_release(struct hf_event_queue *q, size_t n);

/* Items dropped so far because the queue was full. */
uint64_t hf_event_queue_dropped(struct hf_event_queue *q);

#endif
