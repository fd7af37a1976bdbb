/* Receiving flow exports: UDP sockets (IPv4 and IPv6) and IPFIX over TCP,
 * in one thread that never waits on decoding or disk.  Datagrams are
 * copied into batches handed to the decoder thread through a queue; when
 * the queue is full the batch is dropped and counted, never the receiver
 * blocked. */
#ifndef HOSTFLOW_LISTENER_H
#define HOSTFLOW_LISTENER_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "config.h"
#include "decoder.h"

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
    uint64_t kernel_drops;      /* SO_RXQ_OVFL: datagrams the socket dropped */
    uint64_t queue_drops;       /* datagrams dropped because decoding lagged */
    uint64_t tcp_connections, tcp_messages, tcp_bad_streams;
};

/* Batches go back to a free queue instead of the allocator: a 0.5 MiB
 * malloc/free per batch costs page faults on every one.  Last in, first
 * out: the batch used last is still in the cache. */
#define HF_BATCHES_KEPT 64
static inline void
hf_batch_recycle(GAsyncQueue *free_queue, gpointer batch)
{
    if (g_async_queue_length(free_queue) < HF_BATCHES_KEPT)
        g_async_queue_push_front(free_queue, batch);
    else
        g_free(batch);
}

struct hf_listener;

/* Opens every listening socket (false + err if any fails: port in use,
 * permission). */
struct hf_listener *hf_listener_open(GArray *specs, int rcvbuf, GError **err);

/* Starts the receiving thread; batches go to out (GAsyncQueue of
 * struct hf_rx_batch*); max_queued bounds it.  The consumer hands used
 * batches back through recycle (hf_batch_recycle). */
void hf_listener_start(struct hf_listener *l, GAsyncQueue *out,
                       GAsyncQueue *recycle, guint max_queued);

/* Stops the thread and closes the sockets; the counters stay readable. */
void hf_listener_stop(struct hf_listener *l);
void hf_listener_free(struct hf_listener *l);

struct hf_listener_stats hf_listener_stats(struct hf_listener *l);

/* The ports actually bound, in spec order (port 0 in a spec picks one:
 * tests use that). */
uint16_t hf_listener_port(struct hf_listener *l, guint i);

#endif
