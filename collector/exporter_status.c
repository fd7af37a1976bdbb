#include "exporter_status.h"

#include <inttypes.h>

struct collect {
    GPtrArray *all;             /* const struct hf_exporter_stats * */
};

static void
collect_one(const struct hf_exporter_stats *st, void *data)
{
    g_ptr_array_add(((struct collect *)data)->all, (gpointer)st);
}

/* busiest first: by records, then messages */
static gint
busier(gconstpointer a, gconstpointer b)
{
    const struct hf_exporter_stats *x = *(const struct hf_exporter_stats *const *)a;
    const struct hf_exporter_stats *y = *(const struct hf_exporter_stats *const *)b;

    if (x->records != y->records)
        return x->records > y->records ? -1 : 1;
    if (x->messages != y->messages)
        return x->messages > y->messages ? -1 : 1;
    return 0;
}

/* The counters every entry has, as JSON members. */
static void
counters(FILE *f, const struct hf_exporter_stats *s)
{
    uint64_t bad = 0;

    for (int i = 0; i < HF_BAD_COUNT; i++)
        bad += s->malformed[i];
    fprintf(f, "\"messages\": %" PRIu64 ", \"records\": %" PRIu64
            ", \"options_records\": %" PRIu64 ", \"templates\": %" PRIu64
            ", \"template_withdrawals\": %" PRIu64 ", \"templates_refused\": %" PRIu64
            ", \"sequence_lost\": %" PRIu64 ", \"sequence_reorder\": %" PRIu64
            ", \"pending_decoded\": %" PRIu64 ", \"pending_dropped\": %" PRIu64
            ", \"pending_refused\": %" PRIu64 ", \"malformed\": %" PRIu64
            ", \"malformed_by_reason\": {",
            s->messages, s->records, s->options_records, s->templates,
            s->template_withdrawals, s->templates_refused, s->sequence_lost,
            s->sequence_reorder, s->pending_decoded, s->pending_dropped,
            s->pending_refused, bad);
    for (int i = 0; i < HF_BAD_COUNT; i++)
        fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", hf_malformed_name(i),
                s->malformed[i]);
    fputc('}', f);
}

static void
exporter(FILE *f, const struct hf_exporter_stats *s, bool first)
{
    char addr[64];

    hf_exporter_addr_str(s->id.addr, addr, sizeof(addr));
    fprintf(f, "%s\n    {\"exporter\": \"%s\", \"port\": %u, \"listen_port\": %u, "
            "\"version\": %u, \"domain\": %u, \"sampling_interval\": %u, "
            "\"last_seen_ms\": %" PRIu64 ", ", first ? "" : ",", addr, s->id.port,
            s->id.local_port, s->id.version, s->id.domain, s->sampling_interval,
            s->last_seen_ms);
    counters(f, s);
    fputc('}', f);
}

void
hf_exporter_status_write(FILE *f, struct hf_decoder *d, unsigned top,
                         bool (*is_named)(void *ctx, const uint8_t addr[16]),
                         void *ctx)
{
    struct hf_decoder_counters c = hf_decoder_counters(d);
    struct collect col = { g_ptr_array_new() };
    struct hf_exporter_stats rest = { 0 };
    unsigned listed = 0, others = 0;

    fprintf(f, "  \"decoder\": {\"sessions\": %" PRIu64 ", \"templates\": %" PRIu64
            ", \"held_bytes\": %" PRIu64 ", \"datagrams_refused\": %" PRIu64
            ", \"sessions_evicted\": %" PRIu64 ", \"templates_evicted\": %" PRIu64
            ", \"evicted_exporters\": {", c.sessions, c.templates, c.held_bytes,
            c.datagrams_refused, c.sessions_evicted, c.templates_evicted);
    counters(f, &c.evicted);
    fputs("}},\n  \"exporters\": [", f);

    hf_decoder_foreach_stats(d, collect_one, &col);
    g_ptr_array_sort(col.all, busier);
    for (guint i = 0; i < col.all->len; i++) {
        const struct hf_exporter_stats *s = g_ptr_array_index(col.all, i);
        if (listed < top || (is_named && is_named(ctx, s->id.addr))) {
            exporter(f, s, listed == 0);
            listed++;
        } else {
            hf_exporter_stats_add(&rest, s);
            others++;
        }
    }
    fprintf(f, "\n  ],\n  \"other_exporters\": {\"sessions\": %u, ", others);
    counters(f, &rest);
    fputs("},\n", f);
    g_ptr_array_unref(col.all);
}
