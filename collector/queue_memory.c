#include "queue_memory.h"

void
hf_queue_memory_init(struct hf_queue_memory *m, uint64_t cap)
{
    m->cap = cap;
    m->used = m->peak = m->refused = 0;
}

bool
hf_queue_memory_take(struct hf_queue_memory *m, size_t n)
{
    if (!m)
        return true;
    uint64_t used = __atomic_load_n(&m->used, __ATOMIC_RELAXED);
    do {
        if (used + n > m->cap) {
            __atomic_add_fetch(&m->refused, 1, __ATOMIC_RELAXED);
            return false;
        }
    } while (!__atomic_compare_exchange_n(&m->used, &used, used + n, true,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    uint64_t peak = __atomic_load_n(&m->peak, __ATOMIC_RELAXED);
    while (used + n > peak
           && !__atomic_compare_exchange_n(&m->peak, &peak, used + n, true,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    return true;
}

void
hf_queue_memory_give(struct hf_queue_memory *m, size_t n)
{
    if (m)
        __atomic_sub_fetch(&m->used, n, __ATOMIC_RELAXED);
}

struct hf_queue_memory_stats
hf_queue_memory_stats(const struct hf_queue_memory *m)
{
    struct hf_queue_memory_stats st = {
        m->cap, __atomic_load_n(&m->used, __ATOMIC_RELAXED),
        __atomic_load_n(&m->peak, __ATOMIC_RELAXED),
        __atomic_load_n(&m->refused, __ATOMIC_RELAXED),
    };
    return st;
}
