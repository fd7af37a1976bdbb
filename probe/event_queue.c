#include "event_queue.h"

#include <pthread.h>
#include <glib.h>

struct hf_event_queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    struct hf_event_line *ring;
    uint32_t capacity, head, count;   /* head: oldest line */
    bool closed;
    bool waiting;                     /* the consumer sleeps on nonempty */
    uint64_t dropped;
};

struct hf_event_queue *
hf_event_queue_new(uint32_t capacity)
{
    struct hf_event_queue *q = g_new0(struct hf_event_queue, 1);

    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    q->capacity = capacity ? capacity : 1;
    q->ring = g_new0(struct hf_event_line, q->capacity);
    return q;
}

void
hf_event_queue_free(struct hf_event_queue *q)
{
    if (!q)
        return;
    for (uint32_t i = 0; i < q->count; i++)
        g_free(q->ring[(q->head + i) % q->capacity].text);
    g_free(q->ring);
    pthread_cond_destroy(&q->nonempty);
    pthread_mutex_destroy(&q->lock);
    g_free(q);
}

bool
hf_event_queue_push(struct hf_event_queue *q, char *text, size_t len)
{
    bool wake = false, ok = false;

    pthread_mutex_lock(&q->lock);
    if (q->count < q->capacity && !q->closed) {
        struct hf_event_line *l = &q->ring[(q->head + q->count) % q->capacity];
        l->text = text;
        l->len = len;
        q->count++;
        ok = true;
        wake = q->waiting;     /* signal only a sleeping consumer: cheap path */
    } else {
        q->dropped++;
    }
    pthread_mutex_unlock(&q->lock);
    if (wake)
        pthread_cond_signal(&q->nonempty);
    if (!ok)
        g_free(text);
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
hf_event_queue_pop(struct hf_event_queue *q, struct hf_event_line *out, size_t max,
                   bool *now_empty)
{
    size_t n = 0;

    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->closed) {
        q->waiting = true;
        pthread_cond_wait(&q->nonempty, &q->lock);
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
