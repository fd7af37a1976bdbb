#include "event_queue.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <time.h>
#include <glib.h>

/* One producer (capture), one consumer (the writer): a ring indexed by two
 * counters, each written by one side only, so a push takes no lock.  The
 * writer sleeps when the ring is empty; waking it for every item costs
 * capture more than the item itself, so it is woken once WAKE_ITEMS wait
 * and otherwise looks by itself every WAKE_MS (a lone event waits at most
 * that long).  A wake is a futex call and two context switches, dear in a
 * virtual machine (an interrupt between virtual CPUs): 4096 items (a few
 * ms of a busy capture, under WAKE_MS) wake it a quarter as often as 1024
 * did (big-50: some 180-450 context switches a run instead of 420-900).  The producer publishes its counter every PUBLISH_ITEMS
 * items (and when asked): each look at the writer's cache line (is it
 * asleep?) and each store to its own line the writer reads costs a
 * transfer between cores. */
#define WAKE_ITEMS 4096
#define WAKE_MS 20
#define PUBLISH_ITEMS 64
#define CACHE_LINE 64

struct hf_event_queue {
    void **ring;                      /* the items queued */
    void **spare;                     /* blocks done with, for the producer
                                         to fill again: a second ring, the
                                         other way round */
    uint32_t capacity;
    uint32_t wake_items;
    uint32_t publish_items;           /* a batch: at most a quarter of the ring */
    size_t item_size;
    /* each side's counters on its own cache line: a push does not pull the
     * line the writer is changing, and the other way round; the producer's
     * own counters apart from what it publishes */
    alignas(CACHE_LINE) _Atomic uint64_t tail;   /* published: the producer's */
    alignas(CACHE_LINE) uint64_t next;           /* producer: next to push (>= tail) */
    uint64_t published;               /* producer: tail as it last stored it */
    uint64_t head_seen;               /* producer: head when last looked */
    uint64_t spare_head;              /* producer: next spare block to take */
    uint64_t spare_tail_seen;         /* producer: spare_tail when last looked */
    void *pending;                    /* producer: the block being filled */
    alignas(CACHE_LINE) _Atomic uint64_t head;   /* next to take: the consumer's */
    _Atomic uint64_t spare_tail;      /* consumer: next spare place to fill */
    atomic_bool sleeping;             /* the consumer waits on wake */
    alignas(CACHE_LINE) atomic_bool closed;
    _Atomic uint64_t dropped;
    pthread_mutex_t lock;             /* for sleeping and waking only */
    pthread_cond_t wake;
};

struct hf_event_queue *
hf_event_queue_new(uint32_t capacity, size_t item_size)
{
    struct hf_event_queue *q = g_aligned_alloc0(1, sizeof(*q), CACHE_LINE);
    pthread_condattr_t ca;

    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->wake, &ca);
    pthread_condattr_destroy(&ca);
    q->capacity = capacity ? capacity : 1;
    q->wake_items = q->capacity / 2 < WAKE_ITEMS ? q->capacity / 2 + 1 : WAKE_ITEMS;
    q->publish_items = q->capacity / 4 < PUBLISH_ITEMS ? q->capacity / 4 + 1 : PUBLISH_ITEMS;
    q->item_size = item_size;
    q->ring = g_new0(void *, q->capacity);
    q->spare = g_new0(void *, q->capacity);
    return q;
}

static void
free_block(void *block, void (*done)(void *item))
{
    if (block && done)
        done(block);
    g_free(block);
}

/* Every block is in exactly one place: queued, spare or pending (there
 * are never more blocks than places in one ring: one is only made when no
 * spare is left, so while fewer than capacity are queued). */
void
hf_event_queue_free(struct hf_event_queue *q, void (*done)(void *item))
{
    if (!q)
        return;
    for (uint64_t i = atomic_load(&q->head); i < q->next; i++)
        free_block(q->ring[i % q->capacity], done);
    for (uint64_t i = q->spare_head; i < atomic_load(&q->spare_tail); i++)
        free_block(q->spare[i % q->capacity], done);
    free_block(q->pending, done);
    g_free(q->ring);
    g_free(q->spare);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
    g_aligned_free(q);
}

static void
wake_consumer(struct hf_event_queue *q)
{
    pthread_mutex_lock(&q->lock);
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

/* The next spare block was last read by the writer, on another core: its
 * lines are asked for now, to be ours by the next item (a store to a line
 * another core holds otherwise waits for it). */
static inline void
prefetch_for_writing(const char *block, size_t size)
{
    for (size_t at = 0; at < size; at += CACHE_LINE)
        __builtin_prefetch(block + at, 1);
}

void *
hf_event_queue_reserve(struct hf_event_queue *q)
{
    uint64_t t = q->next;

    if (t - q->head_seen >= q->capacity) {
        /* looks full: see how far the writer got, and let it see it all */
        q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
        hf_event_queue_publish(q);
    }
    if (t - q->head_seen >= q->capacity || atomic_load_explicit(&q->closed, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&q->dropped, 1, memory_order_relaxed);
        return NULL;
    }
    if (!q->pending) {
        if (q->spare_head == q->spare_tail_seen)   /* none known: look again */
            q->spare_tail_seen = atomic_load_explicit(&q->spare_tail, memory_order_acquire);
        q->pending = q->spare_head != q->spare_tail_seen
                     ? q->spare[q->spare_head++ % q->capacity] : g_malloc0(q->item_size);
        if (q->spare_head != q->spare_tail_seen)
            prefetch_for_writing(q->spare[q->spare_head % q->capacity], q->item_size);
    }
    return q->pending;
}

void
hf_event_queue_commit(struct hf_event_queue *q)
{
    q->ring[q->next++ % q->capacity] = q->pending;
    q->pending = NULL;
    if (q->next - q->published >= q->publish_items)
        hf_event_queue_publish(q);
}

void
hf_event_queue_publish(struct hf_event_queue *q)
{
    uint64_t t = q->next;

    if (t == q->published)
        return;
    q->published = t;
    atomic_store_explicit(&q->tail, t, memory_order_release);
    /* no fence: a wake missed while the writer goes to sleep costs at
     * most WAKE_MS, a fence costs every batch */
    if (atomic_load_explicit(&q->sleeping, memory_order_relaxed)) {
        q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
        if (t - q->head_seen >= q->wake_items)
            wake_consumer(q);
    }
}

void
hf_event_queue_close(struct hf_event_queue *q)
{
    hf_event_queue_publish(q);
    atomic_store(&q->closed, true);
    pthread_mutex_lock(&q->lock);
    pthread_cond_broadcast(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

size_t
hf_event_queue_take(struct hf_event_queue *q, void **out, size_t max, bool *now_empty)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed), t;

    for (;;) {
        t = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (t != h)
            break;
        if (atomic_load(&q->closed)) {
            /* the producer closes after its last push: look once more */
            t = atomic_load_explicit(&q->tail, memory_order_acquire);
            if (t == h) {
                *now_empty = true;
                return 0;
            }
            break;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WAKE_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&q->lock);
        atomic_store(&q->sleeping, true);
        if (atomic_load(&q->tail) == h && !atomic_load(&q->closed))
            pthread_cond_timedwait(&q->wake, &q->lock, &until);
        atomic_store(&q->sleeping, false);
        pthread_mutex_unlock(&q->lock);
    }
    size_t n = t - h < max ? (size_t)(t - h) : max;
    for (size_t i = 0; i < n; i++)
        out[i] = q->ring[(h + i) % q->capacity];
    *now_empty = atomic_load_explicit(&q->tail, memory_order_acquire) == h + n;
    return n;
}

void
hf_event_queue_release(struct hf_event_queue *q, size_t n)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    uint64_t st = atomic_load_explicit(&q->spare_tail, memory_order_relaxed);

    /* the blocks go back (oldest first) before their places do: the
     * spare ring never holds more than there are blocks */
    for (size_t i = 0; i < n; i++)
        q->spare[(st + i) % q->capacity] = q->ring[(h + i) % q->capacity];
    atomic_store_explicit(&q->spare_tail, st + n, memory_order_release);
    atomic_store_explicit(&q->head, h + n, memory_order_release);
}

uint64_t
hf_event_queue_dropped(struct hf_event_queue *q)
{
    return atomic_load(&q->dropped);
}
