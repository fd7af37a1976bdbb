#include "flow_table.h"
#include "proto.h"

#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "flow_record.h"
#include "hash.h"
#include "packet_record.h"

#define NONE UINT32_MAX
#define TCP_FIN 0x01
#define TCP_RST 0x04

struct hf_queue {
    uint32_t head, tail;     /* head = most recent packet */
};

struct hf_flow_table {
    struct hf_flow_config cfg;
    hf_flow_emit_fn emit;
    hf_flow_release_fn release;
    void *ctx;
    struct hf_flow *flows;   /* grows by doubling up to max_flows */
    uint32_t capacity;       /* entries allocated */
    uint32_t used;           /* entries ever handed out (free list aside) */
    uint32_t free_head;      /* freed entries, linked by hash_next */
    uint32_t *buckets;
    uint32_t bucket_mask;
    uint64_t seed;           /* hf_hash_seed(): crafted tuples cannot aim at
                              * one bucket without knowing it */
    struct hf_queue open, closing;
    uint64_t next_scan_us;   /* packet time of the next expiry scan */
    struct hf_flow_stats stats;
};

/* Scanning the queues' tails on every packet costs more than the idle flows
 * it finds; a flow hit by a packet checks its own timeout instead, so
 * records come out the same, only the scan finds idle flows up to this
 * much packet time later. */
#define SCAN_EVERY_US 100000

_Static_assert(sizeof(struct hf_flow_key) == 44, "key has no padding");

static uint32_t
key_hash(const struct hf_flow_table *t, const struct hf_flow_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ t->seed, w;

    for (int i = 0; i < 40; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ULL + (h >> 29);
    }
    uint32_t last;
    memcpy(&last, p + 40, 4);
    return (uint32_t)hf_mix64(h ^ last);
}

/* ---- queues ------------------------------------------------------------ */

static void
q_unlink(struct hf_flow_table *t, struct hf_queue *q, uint32_t i)
{
    struct hf_flow *f = &t->flows[i];

    if (f->q_prev != NONE) t->flows[f->q_prev].q_next = f->q_next;
    else q->head = f->q_next;
    if (f->q_next != NONE) t->flows[f->q_next].q_prev = f->q_prev;
    else q->tail = f->q_prev;
    f->q_prev = f->q_next = NONE;
}

static void
q_push_head(struct hf_flow_table *t, struct hf_queue *q, uint32_t i)
{
    struct hf_flow *f = &t->flows[i];

    f->q_prev = NONE;
    f->q_next = q->head;
    if (q->head != NONE) t->flows[q->head].q_prev = i;
    q->head = i;
    if (q->tail == NONE) q->tail = i;
}

static struct hf_queue *
queue_of(struct hf_flow_table *t, const struct hf_flow *f)
{
    return f->closing ? &t->closing : &t->open;
}

/* ---- storage ----------------------------------------------------------- */

static void
rehash(struct hf_flow_table *t, uint32_t nbuckets)
{
    g_free(t->buckets);
    t->buckets = g_new(uint32_t, nbuckets);
    memset(t->buckets, 0xff, sizeof(uint32_t) * nbuckets);
    t->bucket_mask = nbuckets - 1;
    /* relink every live entry: those on a queue */
    struct hf_queue *qs[2] = { &t->open, &t->closing };
    for (int q = 0; q < 2; q++) {
        for (uint32_t i = qs[q]->head; i != NONE; i = t->flows[i].q_next) {
            uint32_t b = key_hash(t, &t->flows[i].key) & t->bucket_mask;
            t->flows[i].hash_next = t->buckets[b];
            t->buckets[b] = i;
        }
    }
}

/* An unused entry, or NONE when the table holds max_flows. */
static uint32_t
entry_alloc(struct hf_flow_table *t)
{
    if (t->free_head != NONE) {
        uint32_t i = t->free_head;
        t->free_head = t->flows[i].hash_next;
        return i;
    }
    if (t->used == t->capacity) {
        if (t->capacity >= t->cfg.max_flows)
            return NONE;
        uint32_t cap = t->capacity * 2;
        if (cap > t->cfg.max_flows || cap < t->capacity)
            cap = t->cfg.max_flows;
        t->flows = g_renew(struct hf_flow, t->flows, cap);
        t->capacity = cap;
        uint32_t nb = t->bucket_mask + 1;
        if (nb < cap)
            rehash(t, nb * 2 >= cap ? nb * 2 : (uint32_t)1 << g_bit_storage(cap));
    }
    return t->used++;
}

static void
bucket_remove(struct hf_flow_table *t, uint32_t i)
{
    uint32_t *pp = &t->buckets[key_hash(t, &t->flows[i].key) & t->bucket_mask];

    while (*pp != i)
        pp = &t->flows[*pp].hash_next;
    *pp = t->flows[i].hash_next;
}

/* Export a flow and give its entry back. */
static void
flow_end(struct hf_flow_table *t, uint32_t i, uint8_t reason)
{
    struct hf_flow *f = &t->flows[i];

    t->emit(f, reason, t->ctx);
    t->stats.exported++;
    if (t->release)
        t->release(f, t->ctx);
    q_unlink(t, queue_of(t, f), i);
    bucket_remove(t, i);
    f->hash_next = t->free_head;
    t->free_head = i;
    t->stats.active--;
}

/* ---- public ------------------------------------------------------------ */

struct hf_flow_table *
hf_flow_table_new(const struct hf_flow_config *cfg, hf_flow_emit_fn emit,
                  hf_flow_release_fn release, void *ctx)
{
    struct hf_flow_table *t = g_new0(struct hf_flow_table, 1);

    t->cfg = *cfg;
    if (t->cfg.max_flows < 16)
        t->cfg.max_flows = 16;
    t->emit = emit;
    t->release = release;
    t->ctx = ctx;
    t->capacity = t->cfg.max_flows < 4096 ? t->cfg.max_flows : 4096;
    t->flows = g_new(struct hf_flow, t->capacity);
    t->free_head = NONE;
    t->open.head = t->open.tail = NONE;
    t->closing.head = t->closing.tail = NONE;
    t->seed = hf_hash_seed();
    rehash(t, (uint32_t)1 << g_bit_storage(t->capacity));
    return t;
}

void
hf_flow_table_free(struct hf_flow_table *t)
{
    if (!t)
        return;
    g_free(t->buckets);
    g_free(t->flows);
    g_free(t);
}

static void
expire_queue(struct hf_flow_table *t, struct hf_queue *q, uint64_t timeout_us,
             uint64_t now_us, uint8_t reason)
{
    while (q->tail != NONE && t->flows[q->tail].last_us + timeout_us < now_us)
        flow_end(t, q->tail, reason);
}

void
hf_flow_table_expire(struct hf_flow_table *t, uint64_t now_us)
{
    expire_queue(t, &t->open, t->cfg.idle_us, now_us, HF_END_IDLE);
    expire_queue(t, &t->closing, t->cfg.linger_us, now_us, HF_END_EOF);
}

void
hf_flow_table_flush(struct hf_flow_table *t, uint8_t end_reason)
{
    while (t->closing.tail != NONE)
        flow_end(t, t->closing.tail, HF_END_EOF);
    while (t->open.tail != NONE)
        flow_end(t, t->open.tail, end_reason);
}

void
hf_flow_key_from_packet(struct hf_flow_key *k, const struct hf_packet *pkt,
                        uint32_t ifindex)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->src_addr, pkt->src_addr, pkt->ip_version == 4 ? 4 : 16);
    memcpy(k->dst_addr, pkt->dst_addr, pkt->ip_version == 4 ? 4 : 16);
    k->ifindex = ifindex;
    k->vlan_id = pkt->vlan_id;
    k->proto = pkt->proto;
    k->ip_version = pkt->ip_version;
    hf_packet_ports(pkt, &k->sport, &k->dport);
}

bool
hf_flow_key_reverse(const struct hf_flow_key *k, struct hf_flow_key *rev)
{
    *rev = *k;
    memcpy(rev->src_addr, k->dst_addr, 16);
    memcpy(rev->dst_addr, k->src_addr, 16);
    if (hf_proto_is_icmp(k->proto)) {
        /* type << 8 | code: echo request 8 / 128 answered by reply 0 / 129 */
        static const uint8_t v4[][2] = { { 8, 0 }, { 0, 8 }, { 13, 14 }, { 14, 13 } };
        static const uint8_t v6[][2] = { { 128, 129 }, { 129, 128 } };
        uint8_t type = (uint8_t)(k->dport >> 8);
        bool six = k->proto != HF_PROTO_ICMP;
        size_t n = six ? G_N_ELEMENTS(v6) : G_N_ELEMENTS(v4);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *m = six ? v6[i] : v4[i];
            if (m[0] == type) {
                rev->dport = (uint16_t)(m[1] << 8);
                return true;
            }
        }
        return false;
    }
    rev->sport = k->dport;
    rev->dport = k->sport;
    return true;
}

static void
flow_start(struct hf_flow *f, const struct hf_packet *pkt)
{
    f->first_us = pkt->ts_us;
    f->packets = 0;
    f->octets = 0;
    f->tcp_flags = 0;
    f->tos = pkt->tos;
    f->icmp_type_code = pkt->icmp_type_code;
    if (pkt->has_mac) {
        memcpy(f->src_mac, pkt->src_mac, 6);
        memcpy(f->dst_mac, pkt->dst_mac, 6);
    } else {
        memset(f->src_mac, 0, 6);
        memset(f->dst_mac, 0, 6);
    }
}

static uint32_t
lookup(struct hf_flow_table *t, const struct hf_flow_key *key, uint32_t *bucket)
{
    uint32_t i;

    *bucket = key_hash(t, key) & t->bucket_mask;
    for (i = t->buckets[*bucket]; i != NONE; i = t->flows[i].hash_next)
        if (memcmp(&t->flows[i].key, key, sizeof(*key)) == 0)
            break;
    return i;
}

struct hf_flow *
hf_flow_table_find(struct hf_flow_table *t, const struct hf_flow_key *key)
{
    uint32_t b, i = lookup(t, key, &b);
    return i == NONE ? NULL : &t->flows[i];
}

struct hf_flow *
hf_flow_table_add(struct hf_flow_table *t, const struct hf_packet *pkt,
                  uint32_t ifindex, bool *created)
{
    struct hf_flow_key key;
    uint32_t b;

    if (pkt->ts_us >= t->next_scan_us) {
        hf_flow_table_expire(t, pkt->ts_us);
        t->next_scan_us = pkt->ts_us + SCAN_EVERY_US;
    }
    hf_flow_key_from_packet(&key, pkt, ifindex);
    uint32_t i = lookup(t, &key, &b);
    if (i != NONE) {
        /* timed out since the last scan: it ends as the scan would have */
        const struct hf_flow *old = &t->flows[i];
        uint64_t timeout = old->closing ? t->cfg.linger_us : t->cfg.idle_us;
        if (old->last_us + timeout < pkt->ts_us) {
            flow_end(t, i, old->closing ? HF_END_EOF : HF_END_IDLE);
            i = NONE;
        }
    }
    *created = i == NONE;

    struct hf_flow *f;
    bool linked = false;     /* still on its queue: it was the head already */
    if (i != NONE) {
        f = &t->flows[i];
        if (queue_of(t, f)->head == i)
            linked = true;
        else
            q_unlink(t, queue_of(t, f), i);
        if (pkt->ts_us >= f->first_us + t->cfg.active_us) {
            /* report the slice so far; the flow goes on as a new record */
            t->emit(f, HF_END_ACTIVE, t->ctx);
            t->stats.exported++;
            flow_start(f, pkt);
            if (linked && f->closing) {
                q_unlink(t, &t->closing, i);
                linked = false;
            }
            f->closing = 0;
        }
    } else {
        i = entry_alloc(t);
        if (i == NONE) {
            /* full: first what has timed out since the last scan */
            hf_flow_table_expire(t, pkt->ts_us);
            i = entry_alloc(t);
        }
        if (i == NONE) {
            /* still full: the flow idle the longest makes room */
            uint32_t victim = t->open.tail, c = t->closing.tail;
            if (victim == NONE || (c != NONE && t->flows[c].last_us < t->flows[victim].last_us))
                victim = c;
            t->stats.evicted++;
            flow_end(t, victim, HF_END_RESOURCES);
            i = entry_alloc(t);
        }
        b = key_hash(t, &key) & t->bucket_mask; /* entry_alloc may have rehashed */
        f = &t->flows[i];
        f->key = key;
        f->closing = 0;
        memset(&f->names, 0, sizeof(f->names));
        memset(&f->events, 0, sizeof(f->events));
        flow_start(f, pkt);
        f->hash_next = t->buckets[b];
        t->buckets[b] = i;
        t->stats.created++;
        if (++t->stats.active > t->stats.peak)
            t->stats.peak = t->stats.active;
    }

    f->packets++;
    f->octets += pkt->ip_octets;
    f->last_us = pkt->ts_us;
    f->tcp_flags |= pkt->tcp_flags;
    if (pkt->proto == HF_PROTO_TCP && (pkt->tcp_flags & (TCP_FIN | TCP_RST)) && !f->closing) {
        if (linked)
            q_unlink(t, &t->open, i);   /* moves to the closing queue */
        linked = false;
        f->closing = 1;
    }
    if (!linked)
        q_push_head(t, queue_of(t, f), i);
    return f;
}

struct hf_flow_stats
hf_flow_table_stats(const struct hf_flow_table *t)
{
    return t->stats;
}
