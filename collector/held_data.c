/* Data sets that came before their template: held (bounded per exporter
 * address and in all, oldest dropped first from whoever holds more than a
 * fair share) and decoded when the template comes, from any port of the
 * exporter, as the fallback scope allows. */
#include <string.h>

#include "decoder_int.h"

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
                struct hf_cursor set)
{
    struct hf_source_addr *a = m->sess->src;
    uint32_t len = set.len;
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
    h->len = len;
    hf_cur_copy(&set, 0, h->data, len);
    g_queue_push_tail(&d->pending, h);
    d->pending_bytes += len;
    if (a->held_bytes == 0)
        d->holders++;
    a->held_bytes += len;
    while (d->pending_bytes > d->cfg.pending_max_bytes)
        pending_drop(d, pending_victim(d));
}

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
                hf_decode_data_set(d, &m, t, hf_cur_make(h->data, h->len));
                g_free(h);
            }
        }
        l = next;
    }
}

void
hf_pending_expire(struct hf_decoder *d, uint64_t now_ms)
{
    uint64_t max_age = (uint64_t)d->cfg.pending_max_age_s * 1000;
    struct hf_pending *h;

    while ((h = g_queue_peek_head(&d->pending)) && h->received_ms + max_age < now_ms)
        pending_drop(d, d->pending.head);
}

void
hf_pending_drop_all(struct hf_decoder *d)
{
    while (d->pending.head)
        pending_drop(d, d->pending.head);
}
