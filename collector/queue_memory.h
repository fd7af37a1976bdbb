/* One memory budget ([collector] queue-memory) for everything the
 * collector holds between its threads: the listener's datagram batches,
 * the decoder's record batches (queued, being filled or kept for reuse)
 * and the ClickHouse sink's blocks in memory.  A stage that cannot take
 * from it drops what it would have queued and counts that, so a stalled
 * disk or database costs records, never reception nor an out-of-memory
 * kill.  Lock-free: taken and given from any thread. */
#ifndef HOSTFLOW_QUEUE_MEMORY_H
#define HOSTFLOW_QUEUE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HF_QUEUE_MEMORY_DEFAULT (64u << 20)
#define HF_QUEUE_MEMORY_MIN (4u << 20)     /* a few batches of each stage */

struct hf_queue_memory {
    uint64_t cap;
    uint64_t used;              /* atomic */
    uint64_t peak;              /* atomic */
    uint64_t refused;           /* atomic: takes that did not fit */
};

void hf_queue_memory_init(struct hf_queue_memory *m, uint64_t cap);

/* n more bytes, if they fit under the cap (m NULL: no cap). */
bool hf_queue_memory_take(struct hf_queue_memory *m, size_t n);
void hf_queue_memory_give(struct hf_queue_memory *m, size_t n);

struct hf_queue_memory_stats {
    uint64_t cap, used, peak, refused;
};
struct hf_queue_memory_stats hf_queue_memory_stats(const struct hf_queue_memory *m);

#endif
