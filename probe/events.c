#include "events.h"

#include <stddef.h>
#include <string.h>

#include "event_json.h"
#include "event_queue.h"
#include "filter_env.h"
#include "flow_fill.h"
#include "names.h"
#include "proto.h"
#include "uuid7.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* struct hf_flow_events.told: TCP states already told */
enum {
    TOLD_SYN = 1, TOLD_SYNACK = 2, TOLD_ESTABLISHED = 4, TOLD_FIN = 8, TOLD_RST = 16,
};

/* An event as it waits in the queue: the record and its strings copied
 * (the flow may be gone by the time the writer formats it).  The block
 * goes back to the queue as a spare and carries later events. */
struct queued {
    struct hf_event ev;
    hf_flow_record_t rec;
    uint8_t flow_id[16], conversation[16];
    size_t room;             /* bytes for strings */
    char strings[];          /* the record's names, back to back */
};

/* Room every block gets: most events' names fit without growing it. */
#define STRINGS_ROOM 256

struct hf_events {
    struct hf_flow_table *table;
    bool with_names;
    struct hf_filter *match;
    struct hf_filter_env env;
    const struct hf_names *names;
    struct hf_event_queue *queue;
    struct hf_event_sink *sink;
    struct hf_uuid7_gen ids;
    uint64_t seq;
};

/* On the writer thread: device names (the names layer is read-only, safe
 * to share) and the line. */
static void
format_queued(GString *out, const void *item, void *ctx)
{
    const struct hf_names *names = ctx;
    struct hf_event ev = ((const struct queued *)item)->ev;

    ev.src_device = hf_names_device(names, ev.rec, true);
    ev.dst_device = hf_names_device(names, ev.rec, false);
    hf_event_json(out, &ev);
}

/* The record's strings the line shows, copied with it. */
static const size_t name_fields[] = {
    offsetof(hf_flow_record_t, hostflowHostname), offsetof(hf_flow_record_t, hostflowDnsName),
    offsetof(hf_flow_record_t, dnsQueryNtop), offsetof(hf_flow_record_t, applicationName),
};

static fbVarfield_t *
name_field(hf_flow_record_t *r, size_t i)
{
    return (fbVarfield_t *)((char *)r + name_fields[i]);
}

/* Copies the event, its record and the record's strings into the block
 * the queue gave (a spare one, or none yet), replacing it by a bigger one
 * when they do not fit. */
static void
queued_fill(void **slot, const struct hf_event *ev)
{
    size_t len = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(name_fields); i++)
        len += name_field((hf_flow_record_t *)ev->rec, i)->len;
    struct queued *q = *slot;
    if (!q || q->room < len) {
        g_free(q);
        size_t room = len > STRINGS_ROOM ? len : STRINGS_ROOM;
        q = g_malloc(sizeof(*q) + room);
        q->room = room;
        *slot = q;
    }
    q->ev = *ev;
    q->rec = *ev->rec;
    /* not in the line: not copied, and pointing nowhere */
    q->rec.httpRequestHost = (fbVarfield_t){ 0 };
    q->rec.sslServerNameNtop = (fbVarfield_t){ 0 };
    memcpy(q->flow_id, ev->flow_id, 16);
    memcpy(q->conversation, ev->conversation_id, 16);
    q->ev.rec = &q->rec;
    q->ev.flow_id = q->flow_id;
    q->ev.conversation_id = q->conversation;
    char *p = q->strings;
    for (size_t i = 0; i < G_N_ELEMENTS(name_fields); i++) {
        fbVarfield_t *v = name_field(&q->rec, i);
        if (v->len)
            memcpy(p, v->buf, v->len);
        v->buf = (uint8_t *)p;
        p += v->len;
    }
}

struct hf_events *
hf_events_open(const struct hf_events_config *c, struct hf_flow_table *table, GError **err)
{
    struct hf_events *e = g_new0(struct hf_events, 1);

    e->table = table;
    e->with_names = c->with_names;
    e->names = c->names;
    hf_filter_env_names(&e->env, c->names);
    if (c->match) {
        e->match = hf_filter_parse(c->match, err);
        if (!e->match) {
            g_prefix_error(err, "--match: ");
            g_free(e);
            return NULL;
        }
    }
    e->queue = hf_event_queue_new(c->queue_size);
    struct hf_event_sink_config sc = c->sink;
    sc.format = format_queued;
    struct hf_names_stats ns;
    hf_names_stats(c->names, &ns);
    /* no devices configured: the writer looks none up */
    sc.format_ctx = ns.device_macs || ns.device_ips ? (void *)c->names : NULL;
    e->sink = hf_event_sink_start(&sc, e->queue, err);
    if (!e->sink) {
        hf_event_queue_free(e->queue);
        hf_filter_free(e->match);
        g_free(e);
        return NULL;
    }
    hf_uuid7_init(&e->ids);
    return e;
}

static struct hf_flow *
reverse_of(struct hf_events *e, const struct hf_flow *f)
{
    struct hf_flow_key rev;
    return hf_flow_key_reverse(&f->key, &rev) ? hf_flow_table_find(e->table, &rev) : NULL;
}

/* A flow and its other direction, looked up at most once for all the
 * events of a packet (the table does not change while they are told). */
struct pair {
    struct hf_flow *f;
    struct hf_flow *rev;     /* once looked */
    bool looked;
};

static struct hf_flow *
pair_rev(struct hf_events *e, struct pair *p)
{
    if (!p->looked) {
        p->rev = reverse_of(e, p->f);
        p->looked = true;
    }
    return p->rev;
}

/* Tests the event against --match, numbers it and queues its line. */
static void
tell(struct hf_events *e, const struct hf_flow *f, const struct hf_flow *rev,
     enum hf_event_type type, const char *state, uint64_t time_us, const hf_flow_record_t *rec)
{
    if (e->match && !hf_filter_match(e->match, rec, &e->env))
        return;
    e->seq++;                /* a dropped event leaves a gap */
    void **slot = hf_event_queue_reserve(e->queue);
    if (!slot)
        return;
    struct hf_event ev = {
        .type = type, .seq = e->seq, .time_ms = time_us / 1000, .rec = rec,
        .flow_id = f->events.id, .conversation_id = f->events.conversation, .state = state,
        .rev_packets = rev ? rev->packets : 0, .rev_bytes = rev ? rev->octets : 0,
    };
    queued_fill(slot, &ev);
    hf_event_queue_commit(e->queue);
}

static void
tell_now(struct hf_events *e, struct pair *p, enum hf_event_type type,
         const char *state, uint64_t time_us)
{
    hf_flow_record_t rec;

    hf_flow_fill_record(p->f, 0, e->with_names, &rec);
    tell(e, p->f, pair_rev(e, p), type, state, time_us, &rec);
}

static uint8_t
name_source(const struct hf_flow *f)
{
    return f->names.app ? f->names.app_source : f->names.dns ? HF_NAME_DNS : HF_NAME_NONE;
}

/* A name the flow did not have when last told about. */
static bool
tell_new_name(struct hf_events *e, struct pair *p, uint64_t time_us)
{
    uint8_t src = name_source(p->f);

    if (src == p->f->events.name_source)
        return false;
    p->f->events.name_source = src;
    if (src != HF_NAME_NONE)
        tell_now(e, p, HF_EVENT_NAME, NULL, time_us);
    return true;
}

static void
tell_state(struct hf_events *e, struct pair *p, uint8_t bit, const char *state,
           uint64_t time_us)
{
    if (p->f->events.told & bit)
        return;
    p->f->events.told |= bit;
    tell_now(e, p, HF_EVENT_STATE, state, time_us);
}

static void
tcp_states(struct hf_events *e, struct pair *p, uint8_t flags, uint64_t time_us)
{
    uint8_t told = p->f->events.told;

    if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
        tell_state(e, p, TOLD_SYN, "syn", time_us);
    if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
        tell_state(e, p, TOLD_SYNACK, "syn-ack", time_us);
    if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_ACK && (told & TOLD_SYN)
        && !(told & TOLD_ESTABLISHED)) {
        /* the handshake's third packet: the server answered our SYN */
        const struct hf_flow *rev = pair_rev(e, p);
        if (rev && (rev->events.told & TOLD_SYNACK))
            tell_state(e, p, TOLD_ESTABLISHED, "established", time_us);
    }
    if (flags & TCP_FIN)
        tell_state(e, p, TOLD_FIN, "fin", time_us);
    if (flags & TCP_RST)
        tell_state(e, p, TOLD_RST, "rst", time_us);
}

void
hf_events_packet(struct hf_events *e, struct hf_flow *f, bool created,
                 const struct hf_packet *pkt)
{
    struct pair p = { .f = f };

    if (f->packets == 1) {
        /* a new record: a new flow, or the next slice of a long one */
        if (created) {
            const struct hf_flow *rev = pair_rev(e, &p);
            if (rev)
                memcpy(f->events.conversation, rev->events.conversation, 16);
            else
                hf_uuid7_next(&e->ids, f->first_us / 1000, f->events.conversation);
        }
        hf_uuid7_next(&e->ids, f->first_us / 1000, f->events.id);
        f->events.name_source = name_source(f);
        tell_now(e, &p, HF_EVENT_START, NULL, pkt->ts_us);
    }
    if (pkt->proto == HF_PROTO_TCP && pkt->tcp_flags)
        tcp_states(e, &p, pkt->tcp_flags, pkt->ts_us);
    if (e->with_names && tell_new_name(e, &p, pkt->ts_us)) {
        /* the names layer names both directions at once */
        struct pair back = { .f = pair_rev(e, &p), .rev = f, .looked = true };
        if (back.f)
            tell_new_name(e, &back, pkt->ts_us);
    }
}

void
hf_events_end(struct hf_events *e, const struct hf_flow *f, const hf_flow_record_t *rec)
{
    tell(e, f, reverse_of(e, f), HF_EVENT_END, NULL, f->last_us, rec);
}

uint64_t
hf_events_dropped(struct hf_events *e)
{
    return hf_event_queue_dropped(e->queue) + hf_event_sink_lost(e->sink);
}

void
hf_events_close(struct hf_events *e, struct hf_events_stats *st)
{
    struct hf_events_stats s = { .events = e->seq };

    hf_event_sink_stop(e->sink, &s.sink);
    s.queue_drops = hf_event_queue_dropped(e->queue);
    if (st)
        *st = s;
    hf_event_queue_free(e->queue);
    hf_filter_free(e->match);
    g_free(e);
}
