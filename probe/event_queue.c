#include "event_queue.h"

#include <pthread.h>
#include <time.h>
#include <glib.h>

/* Waking the writer for every line costs capture more than the line
 * itself: a sleeping writer is woken once WAKE_LINES wait, and otherwise
 * looks by itself every WAKE_MS, so a lone event waits at most that long. */
#define WAKE_LINES 64
#define WAKE_MS 20

struct hf_event_queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    void **ring;
    uint32_t capacity, head, count;   /* head: oldest line */
    bool closed;
    bool waiting;                     /* the consumer sleeps on nonempty */
    uint32_t wake_lines;              /* lines that wake it */
    uint64_t dropped;
};

struct hf_event_queue *
hf_event_queue_new(uint32_t capacity)
{
    struct hf_event_queue *q = g_new0(struct hf_event_queue, 1);

    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->nonempty, &ca);
    pthread_condattr_destroy(&ca);
    q->capacity = capacity ? capacity : 1;
    q->wake_lines = q->capacity / 2 < WAKE_LINES ? q->capacity / 2 + 1 : WAKE_LINES;
    q->ring = g_new0(void *, q->capacity);
    return q;
}

void
hf_event_queue_free(struct hf_event_queue *q)
{
    if (!q)
        return;
    for (uint32_t i = 0; i < q->count; i++)
        g_free(q->ring[(q->head + i) % q->capacity]);
    g_free(q->ring);
    pthread_cond_destroy(&q->nonempty);
    pthread_mutex_destroy(&q->lock);
    g_free(q);
}

bool
hf_event_queue_push(struct hf_event_queue *q, void *item)
{
    bool wake = false, ok = false;

    pthread_mutex_lock(&q->lock);
    if (q->count < q->capacity && !q->closed) {
        q->ring[(q->head + q->count) % q->capacity] = item;
        q->count++;
        ok = true;
        wake = q->waiting && q->count == q->wake_lines;
    } else {
        q->dropped++;
    }
    pthread_mutex_unlock(&q->lock);
    if (wake)
        pthread_cond_signal(&q->nonempty);
    if (!ok)
        g_free(item);
    return ok;
}

void
hf_event_queue_close(struct hf_event_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_mutex_unlock(&q->lock);
    pthread_cond_broadcast(&q->nonempty);
}

size_t
hf_event_queue_pop(struct hf_event_queue *q, void **out, size_t max, bool *now_empty)
{
    size_t n = 0;

    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->closed) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WAKE_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        q->waiting = true;
        pthread_cond_timedwait(&q->nonempty, &q->lock, &until);
        q->waiting = false;
    }
    while (n < max && q->count) {
        out[n++] = q->ring[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
    }
    *now_empty = q->count == 0;
    pthread_mutex_unlock(&q->lock);
    return n;
}

uint64_t
hf_event_queue_dropped(struct hf_event_queue *q)
{
    pthread_mutex_lock(&q->lock);
    uint64_t d = q->dropped;
    pthread_mutex_unlock(&q->lock);
    return d;
}
