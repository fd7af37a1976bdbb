/* Receiving flow exports: UDP sockets (IPv4 and IPv6) and IPFIX over TCP,
 * in one thread that never waits on decoding or disk.  Datagrams are
 * copied into batches handed to the decoder thread through a queue; a
 * batch takes its memory from the queues' budget (queue_memory.h), and a
 * datagram no batch can take is dropped and counted, per exporter, never
 * the receiver blocked. */
#ifndef HOSTFLOW_LISTENER_H
#define HOSTFLOW_LISTENER_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "config.h"
#include "decoder.h"
#include "queue_memory.h"

#define HF_BATCH_ARENA (512 * 1024)
#define HF_BATCH_MAX 256

struct hf_datagram {
    struct hf_exporter_id from;
    uint64_t now_ms;
    uint32_t off, len;          /* in the batch's arena */
};

struct hf_rx_batch {
    uint32_t n, used;
    struct hf_datagram d[HF_BATCH_MAX];
    uint8_t arena[HF_BATCH_ARENA];
};

struct hf_listener_stats {
    uint64_t datagrams, bytes;
    uint64_t kernel_drops;      /* datagrams the sockets dropped (SO_MEMINFO) */
    uint64_t queue_drops;       /* datagrams dropped: the queues' memory full */
    uint64_t tcp_connections, tcp_messages, tcp_bad_streams;
};

/* Batches go back to a free queue instead of the allocator: a 0.5 MiB
 * malloc/free per batch costs page faults on every one.  Last in, first
 * out: the batch used last is still in the cache.  Kept batches stay in
 * the budget; one freed gives its size back.  A free queue keeps up to
 * an eighth of the budget (8 MiB of the default 64), at least
 * HF_BATCHES_KEPT: with 8 alone, the batches a burst took beyond them
 * were freed and faulted in again at the next, 3 page faults a thousand
 * records at 800 k records/s. */
#define HF_BATCHES_KEPT 8
static inline void
hf_batch_recycle(GAsyncQueue *free_queue, gpointer batch, struct hf_queue_memory *mem,
                 size_t size)
{
    gint kept = g_async_queue_length(free_queue);

    if (kept < HF_BATCHES_KEPT || (mem && (uint64_t)(kept + 1) * size <= mem->cap / 8)) {
        g_async_queue_push_front(free_queue, batch);
    } else {
        g_free(batch);
        hf_queue_memory_give(mem, size);
    }
}

/* A batch for the producer: a kept one, else a new one if the budget has
 * room for it; NULL when it has not. */
static inline gpointer
hf_batch_get(GAsyncQueue *free_queue, struct hf_queue_memory *mem, size_t size)
{
    gpointer b = g_async_queue_try_pop(free_queue);

    if (!b && hf_queue_memory_take(mem, size))
        b = g_malloc(size);
    return b;
}

/* Datagrams dropped from one exporter (address and source port, the
 * listening port): the busiest HF_DROPS_LISTED are listed in status.json,
 * the rest summed. */
#define HF_DROPS_LISTED 32
struct hf_exporter_drops {
    struct hf_exporter_id id;   /* addr, port, local_port */
    uint64_t datagrams;
};

struct hf_listener;

/* Opens every listening socket (false + err if any fails: port in use,
 * permission). */
struct hf_listener *hf_listener_open(GArray *specs, int rcvbuf, GError **err);

/* Starts the receiving thread; batches go to out (GAsyncQueue of
 * struct hf_rx_batch*), each taken from mem (must outlive the listener).
 * The consumer hands used batches back through recycle
 * (hf_batch_recycle). */
void hf_listener_start(struct hf_listener *l, GAsyncQueue *out,
                       GAsyncQueue *recycle, struct hf_queue_memory *mem);

/* Stops the thread and closes the sockets; the counters stay readable. */
void hf_listener_stop(struct hf_listener *l);
void hf_listener_free(struct hf_listener *l);

struct hf_listener_stats hf_listener_stats(struct hf_listener *l);

/* The exporters whose datagrams were dropped, busiest first: up to max
 * into out, the number written returned; *rest: the datagrams of those
 * not written. */
unsigned hf_listener_drops(struct hf_listener *l, struct hf_exporter_drops *out,
                           unsigned max, uint64_t *rest);

/* The ports actually bound, in spec order (port 0 in a spec picks one:
 * tests use that). */
uint16_t hf_listener_port(struct hf_listener *l, guint i);

#endif
