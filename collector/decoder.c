/* The decoder's front: exporter sessions, counters, sequence numbers, data
 * held for templates, dispatch by version. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "decoder_int.h"

/* sFlow's version is 32 bits, its first 16 are 0: dispatched as a value
 * outside the 16-bit NetFlow range, so no NetFlow header is taken for it */
#define SFLOW_5 0x10005

static const char *malformed_names[HF_BAD_COUNT] = {
    "short", "version", "length", "set", "template", "record",
    "template_mismatch", "field",
};

const char *
hf_malformed_name(enum hf_malformed m)
{
    return m < HF_BAD_COUNT ? malformed_names[m] : "?";
}

void
hf_exporter_addr_str(const uint8_t addr[16], char *buf, size_t len)
{
    static const uint8_t mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

    if (memcmp(addr, mapped, 12) == 0)
        inet_ntop(AF_INET, addr + 12, buf, len);
    else
        inet_ntop(AF_INET6, addr, buf, len);
}

void
hf_session_str(const struct hf_exporter_id *id, char *buf, size_t len)
{
    char addr[64];

    hf_exporter_addr_str(id->addr, addr, sizeof(addr));
    snprintf(buf, len, "%s port %u domain %u", addr, id->port, id->domain);
}

struct hf_decoder *
hf_decoder_new(const struct hf_decoder_config *cfg, hf_record_fn fn, void *ctx)
{
    struct hf_decoder *d = g_new0(struct hf_decoder, 1);

    d->cfg = *cfg;
    if (!d->cfg.pending_max_bytes)
        d->cfg.pending_max_bytes = 16u << 20;
    if (!d->cfg.pending_max_age_s)
        d->cfg.pending_max_age_s = 1800;
    d->fn = fn;
    d->ctx = ctx;
    d->templates = hf_templates_table();
    d->opts = hf_templates_table();
    hf_exporters_init(d);
    d->log_quota.what = "exporter over its quota";
    d->log_full.what = "exporter table full";
    d->log_conflict.what = "template conflict";
    g_queue_init(&d->pending);
    hf_templates_load(d);
    return d;
}

void
hf_decoder_free(struct hf_decoder *d)
{
    if (!d)
        return;
    hf_templates_save(d);
    hf_exporters_free(d);
    g_hash_table_destroy(d->templates);
    g_hash_table_destroy(d->opts);
    g_queue_clear_full(&d->pending, g_free);
    g_free(d);
}

void
hf_sequence_check(struct hf_session *s, uint32_t seq, uint32_t advance)
{
    if (s->seq_valid && seq != s->seq_next) {
        uint32_t ahead = seq - s->seq_next;     /* modulo 2^32 */
        if (ahead < 0x80000000u)
            s->st.sequence_lost += ahead;
        else
            s->st.sequence_reorder++;
    }
    s->seq_next = seq + advance;
    s->seq_valid = true;
}

/* A held set of address a (may be gone) is no longer held. */
static void
held_forget(struct hf_decoder *d, struct hf_source_addr *a, uint32_t len)
{
    d->pending_bytes -= len;
    if (!a)
        return;
    a->held_bytes -= len;
    if (a->held_bytes == 0) {
        d->holders--;
        hf_source_addr_release(d, a);
    }
}

/* Counts a held data set that will never be decoded under its session
 * (or the evicted sessions' sum) and frees it. */
static void
pending_drop(struct hf_decoder *d, GList *l)
{
    struct hf_pending *h = l->data;
    struct hf_session *s = hf_session_find(d, &h->id);
    struct hf_source_addr *a = g_hash_table_lookup(d->addrs, h->id.addr);

    (s ? &s->st : &d->c.evicted)->pending_dropped++;
    held_forget(d, a, h->len);
    g_queue_delete_link(&d->pending, l);
    g_free(h);
}

/* The oldest held set of an address holding more than its fair share of
 * the bound (one exists whenever the bound is exceeded), looking at most
 * this far; else the oldest of all. */
#define FAIR_SCAN 4096
static GList *
pending_victim(struct hf_decoder *d)
{
    uint64_t share = d->cfg.pending_max_bytes / (d->holders ? d->holders : 1);
    int n = 0;

    for (GList *l = d->pending.head; l && n < FAIR_SCAN; l = l->next, n++) {
        struct hf_pending *h = l->data;
        struct hf_source_addr *a = g_hash_table_lookup(d->addrs, h->id.addr);
        if (a && a->held_bytes > share)
            return l;
    }
    return d->pending.head;
}

void
hf_pending_hold(struct hf_decoder *d, struct hf_msg_ctx *m, uint16_t tid,
                const uint8_t *p, size_t len)
{
    struct hf_source_addr *a = m->sess->src;
    uint64_t share;

    /* over its own quota, or over its fair share of a full buffer: its
     * own new data is refused, nobody else's is dropped for it */
    share = d->cfg.pending_max_bytes / (d->holders + (a->held_bytes ? 0 : 1));
    if (a->held_bytes + len > d->cfg.limits.max_held_per_exporter
        || (d->pending_bytes + len > d->cfg.pending_max_bytes
            && a->held_bytes + len > share)) {
        char who[96];
        m->sess->st.pending_refused++;
        hf_session_str(m->id, who, sizeof(who));
        hf_rate_log(&d->log_quota, m->now_ms, "%s: data set for unknown template "
                    "%u not held (%" G_GUINT64_FORMAT " bytes held by it, %"
                    G_GUINT64_FORMAT " in all)", who, tid, a->held_bytes,
                    d->pending_bytes);
        return;
    }
    struct hf_pending *h = g_malloc(sizeof(*h) + len);

    h->id = *m->id;
    h->tid = tid;
    h->export_s = m->export_s;
    h->uptime_ms = m->uptime_ms;
    h->received_ms = m->now_ms;
    h->len = (uint32_t)len;
    memcpy(h->data, p, len);
    g_queue_push_tail(&d->pending, h);
    d->pending_bytes += len;
    if (a->held_bytes == 0)
        d->holders++;
    a->held_bytes += len;
    while (d->pending_bytes > d->cfg.pending_max_bytes)
        pending_drop(d, pending_victim(d));
}

/* A template arrived: decode what waited for it (from any port of the
 * exporter, as the fallback scope allows). */
void
hf_pending_release(struct hf_decoder *d, const struct hf_exporter_id *id,
                   uint16_t tid)
{
    GList *l = d->pending.head;

    while (l) {
        GList *next = l->next;
        struct hf_pending *h = l->data;
        if (h->tid == tid && h->id.domain == id->domain
            && h->id.version == id->version && memcmp(h->id.addr, id->addr, 16) == 0) {
            const struct hf_template *t = hf_templates_find(d, &h->id, tid);
            if (t) {
                struct hf_msg_ctx m = {
                    .sess = hf_session_get(d, &h->id, h->received_ms),
                    .id = &h->id, .export_s = h->export_s,
                    .uptime_ms = h->uptime_ms, .now_ms = h->received_ms,
                };
                if (!m.sess) {
                    pending_drop(d, l);
                    l = next;
                    continue;
                }
                held_forget(d, m.sess->src, h->len);
                g_queue_delete_link(&d->pending, l);
                m.sess->st.pending_decoded++;
                hf_decode_data_set(d, &m, t, h->data, h->len);
                g_free(h);
            }
        }
        l = next;
    }
}

void
hf_decoder_feed(struct hf_decoder *d, const struct hf_exporter_id *from,
                const uint8_t *msg, size_t len, uint64_t now_ms)
{
    struct hf_exporter_id id = *from;
    uint32_t version = len >= 4 && rd32(msg) == 5 ? SFLOW_5
                     : len >= 2 ? rd16(msg) : 0;

    id.version = version == SFLOW_5 ? HF_VERSION_SFLOW : (uint8_t)version;
    id.domain = 0;
    if (version == 10 && len >= 16)
        id.domain = rd32(msg + 12);
    else if (version == 9 && len >= 20)
        id.domain = rd32(msg + 16);
    else if (version == 5 && len >= 24)
        id.domain = (uint32_t)msg[20] << 8 | msg[21];   /* engine type/id */
    else if (version == SFLOW_5)
        id.domain = hf_sflow_sub_agent(msg, len);
    if (version != 5 && version != 9 && version != 10 && version != SFLOW_5)
        id.version = 0;

    struct hf_msg_ctx m = { .id = &id, .now_ms = now_ms };
    m.sess = hf_session_get(d, &id, now_ms);
    if (!m.sess) {
        char who[96];
        d->c.datagrams_refused++;       /* table full of live exporters */
        hf_session_str(&id, who, sizeof(who));
        hf_rate_log(&d->log_full, now_ms, "datagram from new exporter %s refused: "
                    "%u sessions, none can be evicted", who,
                    g_hash_table_size(d->sessions));
        return;
    }
    m.sess->st.messages++;
    switch (version) {
    case 5:  hf_decode_v5(d, &m, msg, len); break;
    case 9:  hf_decode_v9(d, &m, msg, len); break;
    case 10: hf_decode_ipfix(d, &m, msg, len); break;
    case SFLOW_5: hf_decode_sflow(d, &m, msg, len); break;
    default:
        /* under 4 bytes, a leading 0 may be sFlow's version cut short */
        m.sess->st.malformed[len < 2 || (version == 0 && len < 4)
                             ? HF_BAD_SHORT : HF_BAD_VERSION]++;
        break;
    }
}

void
hf_decoder_tick(struct hf_decoder *d, uint64_t now_ms)
{
    uint64_t max_age = (uint64_t)d->cfg.pending_max_age_s * 1000;
    struct hf_pending *h;

    while ((h = g_queue_peek_head(&d->pending)) && h->received_ms + max_age < now_ms)
        pending_drop(d, d->pending.head);
    hf_rate_log_flush(&d->log_quota, now_ms, false);
    hf_rate_log_flush(&d->log_full, now_ms, false);
    hf_rate_log_flush(&d->log_conflict, now_ms, false);
    hf_templates_save(d);
}

void
hf_decoder_drop_pending(struct hf_decoder *d)
{
    while (d->pending.head)
        pending_drop(d, d->pending.head);
    hf_rate_log_flush(&d->log_quota, 0, true);
    hf_rate_log_flush(&d->log_full, 0, true);
    hf_rate_log_flush(&d->log_conflict, 0, true);
}

void
hf_decoder_foreach_stats(struct hf_decoder *d,
                         void (*fn)(const struct hf_exporter_stats *st, void *ctx),
                         void *ctx)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, d->sessions);
    while (g_hash_table_iter_next(&it, NULL, &v))
        fn(&((struct hf_session *)v)->st, ctx);
}

void
hf_exporter_stats_add(struct hf_exporter_stats *t, const struct hf_exporter_stats *s)
{
    t->messages += s->messages;
    t->records += s->records;
    t->options_records += s->options_records;
    t->templates += s->templates;
    t->template_withdrawals += s->template_withdrawals;
    t->sequence_lost += s->sequence_lost;
    t->sequence_reorder += s->sequence_reorder;
    t->pending_decoded += s->pending_decoded;
    t->pending_dropped += s->pending_dropped;
    t->pending_refused += s->pending_refused;
    t->templates_refused += s->templates_refused;
    for (int i = 0; i < HF_BAD_COUNT; i++)
        t->malformed[i] += s->malformed[i];
}

struct hf_exporter_stats
hf_decoder_totals(struct hf_decoder *d)
{
    struct hf_exporter_stats t = d->c.evicted;
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, d->sessions);
    while (g_hash_table_iter_next(&it, NULL, &v))
        hf_exporter_stats_add(&t, &((struct hf_session *)v)->st);
    return t;
}

struct hf_decoder_counters
hf_decoder_counters(struct hf_decoder *d)
{
    struct hf_decoder_counters c = d->c;

    c.sessions = g_hash_table_size(d->sessions);
    c.templates = g_hash_table_size(d->templates);
    c.held_bytes = d->pending_bytes;
    return c;
}
