/* The bounded queue between capture and the event writer: capture never
 * waits on it.  An item that finds the queue full is dropped and counted;
 * the writer takes items in batches.
 *
 * Items are fixed-size blocks used again and again: the writer reads them
 * in place and releases them to a spare ring, the producer fills a spare
 * block before it makes a new one.  Capture so allocates nothing per event
 * once there are as many blocks as the writer ever lagged behind, and no
 * block is freed by the other thread.  The blocks stay until
 * hf_event_queue_free.
 *
 * The producer hands items over in batches: they become visible to the
 * writer every few dozen items and at hf_event_queue_publish (capture calls
 * it when a batch of packets is done), so the line the writer watches is
 * written once per batch, not once per event. */
#ifndef HOSTFLOW_EVENT_QUEUE_H
#define HOSTFLOW_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One producer thread and one consumer thread. */
struct hf_event_queue;

/* Items of item_size bytes (a new block is zeroed). */
struct hf_event_queue *hf_event_queue_new(uint32_t capacity, size_t item_size);
/* Frees every block (queued, spare or being filled), each handed to done
 * first when done is not NULL (what a block holds besides its bytes). */
void hf_event_queue_free(struct hf_event_queue *q, void (*done)(void *item));

/* Producer: the block the next item goes into: a spare one as an earlier
 * item left it, or a new zeroed one; NULL (a drop counted) when full or
 * closed.  hf_event_queue_commit queues it. */
void *hf_event_queue_reserve(struct hf_event_queue *q);
void hf_event_queue_commit(struct hf_event_queue *q);
/* Producer: what is committed becomes visible to the consumer (and wakes
 * it when enough waits). */
void hf_event_queue_publish(struct hf_event_queue *q);
/* Producer: no more items (what is committed is published); the consumer
 * empties the queue and stops. */
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
