/* The decoder's front: a message to its version's decoder under its
 * exporter session, the periodic tick, and the totals.  Sessions live in
 * exporters.c, sequence numbers in sequence.c, held data in held_data.c. */
#include <string.h>

#include "decoder_int.h"

/* sFlow's version is 32 bits, its first 16 are 0: dispatched as a value
 * outside the 16-bit NetFlow range, so no NetFlow header is taken for it */
#define SFLOW_5 0x10005

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
hf_decoder_set_slot(struct hf_decoder *d, hf_record_slot_fn slot)
{
    d->slot = slot;
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

/* The version field: 16 bits for NetFlow and IPFIX, 32 for sFlow. */
#define VERSION_AT 0

void
hf_decoder_feed(struct hf_decoder *d, const struct hf_exporter_id *from,
                const uint8_t *msg, size_t len, uint64_t now_ms)
{
    struct hf_exporter_id id = *from;
    struct hf_cursor c = hf_cur_make(msg, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
    uint32_t version = 0, v32;
    uint16_t v16;

    if (hf_cur_u32(&c, VERSION_AT, &v32) && v32 == 5)
        version = SFLOW_5;
    else if (hf_cur_u16(&c, VERSION_AT, &v16))
        version = v16;
    id.version = version == SFLOW_5 ? HF_VERSION_SFLOW : (uint8_t)version;
    switch (version) {
    case 5:       id.domain = hf_v5_domain(c); break;
    case 9:       id.domain = hf_v9_domain(c); break;
    case 10:      id.domain = hf_ipfix_domain(c); break;
    case SFLOW_5: id.domain = hf_sflow_sub_agent(c); break;
    default:      id.domain = 0; id.version = 0; break;
    }

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
    case 5:  hf_decode_v5(d, &m, c); break;
    case 9:  hf_decode_v9(d, &m, c); break;
    case 10: hf_decode_ipfix(d, &m, c); break;
    case SFLOW_5: hf_decode_sflow(d, &m, c); break;
    default:
        /* under 4 bytes, a leading 0 may be sFlow's version cut short */
        hf_bad(&m, len < 2 || (version == 0 && len < 4) ? HF_BAD_SHORT
                                                        : HF_BAD_VERSION);
        break;
    }
}

void
hf_decoder_tick(struct hf_decoder *d, uint64_t now_ms)
{
    hf_pending_expire(d, now_ms);
    hf_rate_log_flush(&d->log_quota, now_ms, false);
    hf_rate_log_flush(&d->log_full, now_ms, false);
    hf_rate_log_flush(&d->log_conflict, now_ms, false);
    hf_templates_save(d);
}

void
hf_decoder_drop_pending(struct hf_decoder *d)
{
    hf_pending_drop_all(d);
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
