#include "events.h"

#include <stddef.h>
#include <string.h>

#include "event_json.h"
#include "event_queue.h"
#include "filter_env.h"
#include "app_label.h"
#include "flow_fill.h"
#include "flow_names.h"
#include "ip_text.h"
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

/* What the writer thread makes lines with (its own). */
struct writer {
    const struct hf_names *devices;    /* NULL: none configured */
    struct hf_event_text_cache *texts;
};

struct hf_events {
    struct hf_flow_table *table;
    struct writer writer;
    bool with_names;
    struct hf_filter *match;
    struct hf_filter_env env;
    const struct hf_names *names;
    struct hf_event_queue *queue;
    struct hf_event_sink *sink;
    struct hf_uuid7_gen ids;
    uint64_t seq;
};

static const char *
device_of(const struct hf_names *names, const struct hf_event *ev, bool src)
{
    const uint8_t *a = src ? ev->src_addr : ev->dst_addr;
    bool v6 = ev->ip_version == 6;

    return hf_names_device_of(names, src ? ev->src_mac : ev->dst_mac, v6, a,
                              v6 ? 0 : hf_ipv4_of_bytes(a));
}

/* On the writer thread: device names (the names layer is read-only, safe
 * to share) and the line. */
static void
format_queued(GString *out, const void *item, void *ctx)
{
    const struct writer *w = ctx;
    const struct hf_event *ev = item;

    if (!w->devices) {
        hf_event_json(out, ev, NULL, NULL, w->texts);
        return;
    }
    hf_event_json(out, ev, device_of(w->devices, ev, true), device_of(w->devices, ev, false),
                  w->texts);
}

/* A block's names are references it holds: given back (on the capture
 * thread, the pool's) when the block carries the next event or is freed. */
static void
set_name(struct hf_name **held, struct hf_name *n)
{
    if (*held == n)
        return;
    hf_name_unref(*held);
    *held = hf_name_ref(n);
}

static void
event_done(void *item)
{
    struct hf_event *ev = item;

    hf_name_unref(ev->app);
    hf_name_unref(ev->dns);
    hf_name_unref(ev->query);
}

/* The flow as it is now into the block the queue gave (on the capture
 * thread: copies of numbers and bytes, references to names, no text). */
static void
event_fill(struct hf_events *e, struct hf_event *ev, const struct hf_flow *f,
           const struct hf_flow *rev)
{
    const struct hf_flow_key *k = &f->key;

    ev->first_ms = f->first_us / 1000;
    ev->last_ms = f->last_us / 1000;
    ev->packets = f->packets;
    ev->bytes = f->octets;
    ev->rev_packets = rev ? rev->packets : 0;
    ev->rev_bytes = rev ? rev->octets : 0;
    memcpy(ev->flow_id, f->events.id, 16);
    memcpy(ev->conversation_id, f->events.conversation, 16);
    memcpy(ev->src_addr, k->src_addr, 16);
    memcpy(ev->dst_addr, k->dst_addr, 16);
    ev->interface = k->ifindex;
    ev->src_port = k->sport;
    ev->dst_port = k->dport;
    ev->vlan = k->vlan_id;
    ev->icmp_type_code = f->icmp_type_code;
    memcpy(ev->src_mac, f->src_mac, 6);
    memcpy(ev->dst_mac, f->dst_mac, 6);
    ev->ip_version = k->ip_version;
    ev->protocol = k->proto;
    ev->tcp_flags = f->tcp_flags;
    if (e->with_names) {
        set_name(&ev->app, f->names.app);
        set_name(&ev->dns, f->names.dns);
        set_name(&ev->query, f->names.query);
        ev->name_source = hf_namer_hostname_source(f);
        ev->app_label = f->names.label;
    } else {
        ev->name_source = HF_NAME_NONE;
        ev->app_label = HF_APP_NONE;
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
    e->queue = hf_event_queue_new(c->queue_size, sizeof(struct hf_event));
    struct hf_event_sink_config sc = c->sink;
    sc.format = format_queued;
    struct hf_names_stats ns;
    hf_names_stats(c->names, &ns);
    /* no devices configured: the writer looks none up */
    e->writer.devices = ns.device_macs || ns.device_ips ? c->names : NULL;
    e->writer.texts = hf_event_text_cache_new();
    sc.format_ctx = &e->writer;
    e->sink = hf_event_sink_start(&sc, e->queue, err);
    if (!e->sink) {
        hf_event_text_cache_free(e->writer.texts);
        hf_event_queue_free(e->queue, NULL);
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

/* Tests the event against --match (rec: the flow as a record, NULL when
 * not made yet), numbers it and queues it. */
static void
tell(struct hf_events *e, const struct hf_flow *f, const struct hf_flow *rev,
     enum hf_event_type type, uint8_t detail, uint64_t time_us, const hf_flow_record_t *rec)
{
    if (e->match) {
        hf_flow_record_t made;
        if (!rec) {
            hf_flow_fill_record(f, 0, e->with_names, &made);
            rec = &made;
        }
        if (!hf_filter_match(e->match, rec, &e->env))
            return;
    }
    e->seq++;                /* a dropped event leaves a gap */
    struct hf_event *ev = hf_event_queue_reserve(e->queue);
    if (!ev)
        return;
    ev->type = (uint8_t)type;
    ev->seq = e->seq;
    ev->time_ms = time_us / 1000;
    ev->state = type == HF_EVENT_STATE ? detail : 0;
    ev->end_reason = type == HF_EVENT_END ? detail : 0;
    event_fill(e, ev, f, rev);
    hf_event_queue_commit(e->queue);
}

static void
tell_now(struct hf_events *e, struct pair *p, enum hf_event_type type, uint8_t state,
         uint64_t time_us)
{
    tell(e, p->f, pair_rev(e, p), type, state, time_us, NULL);
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
        tell_now(e, p, HF_EVENT_NAME, 0, time_us);
    return true;
}

static void
tell_state(struct hf_events *e, struct pair *p, uint8_t bit, enum hf_event_state state,
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
        tell_state(e, p, TOLD_SYN, HF_STATE_SYN, time_us);
    if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
        tell_state(e, p, TOLD_SYNACK, HF_STATE_SYNACK, time_us);
    if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_ACK && (told & TOLD_SYN)
        && !(told & TOLD_ESTABLISHED)) {
        /* the handshake's third packet: the server answered our SYN */
        const struct hf_flow *rev = pair_rev(e, p);
        if (rev && (rev->events.told & TOLD_SYNACK))
            tell_state(e, p, TOLD_ESTABLISHED, HF_STATE_ESTABLISHED, time_us);
    }
    if (flags & TCP_FIN)
        tell_state(e, p, TOLD_FIN, HF_STATE_FIN, time_us);
    if (flags & TCP_RST)
        tell_state(e, p, TOLD_RST, HF_STATE_RST, time_us);
}

/* The events a packet tells: its flow's start, TCP states, new names. */
static G_GNUC_NO_INLINE void
tell_packet(struct hf_events *e, struct hf_flow *f, bool created, const struct hf_packet *pkt)
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
        tell_now(e, &p, HF_EVENT_START, 0, pkt->ts_us);
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

/* Whether the packet may have something to tell (all tell_packet could
 * tell, and more): most packets of a flow have not, and are let go after
 * a few compares. */
static inline bool
may_tell(const struct hf_events *e, const struct hf_flow *f, const struct hf_packet *pkt)
{
    if (f->packets == 1)
        return true;
    if (pkt->proto == HF_PROTO_TCP) {
        if (pkt->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST))
            return true;
        if ((pkt->tcp_flags & TCP_ACK)
            && (f->events.told & (TOLD_SYN | TOLD_ESTABLISHED)) == TOLD_SYN)
            return true;     /* perhaps the handshake's third packet */
    }
    return e->with_names && name_source(f) != f->events.name_source;
}

void
hf_events_packet(struct hf_events *e, struct hf_flow *f, bool created,
                 const struct hf_packet *pkt)
{
    if (may_tell(e, f, pkt))
        tell_packet(e, f, created, pkt);
}

void
hf_events_end(struct hf_events *e, const struct hf_flow *f, const hf_flow_record_t *rec)
{
    tell(e, f, reverse_of(e, f), HF_EVENT_END, rec->flowEndReason, f->last_us, rec);
}

void
hf_events_publish(struct hf_events *e)
{
    hf_event_queue_publish(e->queue);
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
    hf_event_queue_free(e->queue, event_done);
    hf_event_text_cache_free(e->writer.texts);
    hf_filter_free(e->match);
    g_free(e);
}
