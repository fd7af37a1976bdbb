#include "pipeline.h"

#include "clock.h"
#include "exporter_status.h"
#include "infomodel.h"
#include "log.h"
#include "rrd_series.h"

#include <stdio.h>
#include <string.h>

#define REC_BATCH 1024
/* the strings of a batch's records (most carry none; a probe's named
 * flows about 50 bytes): a batch takes its whole size from the queues'
 * budget, so this is not larger than the records need */
#define REC_ARENA (64 * 1024)
/* A batch of records waits up to this long to fill before the writer gets
 * it: a thread wake-up costs more than storing a record, and the store
 * writes out once a second anyway. */
#define REC_LINGER_MS 50
/* Tests only: while this file exists the writer takes nothing from its
 * queue (a stalled disk, without one). */
#define HOLD_WRITER_ENV "HOSTFLOW_TEST_HOLD_WRITER"

struct rec_batch {
    uint32_t n, used;
    struct {
        hf_flow_record_t rec;
        const char *source;     /* interned */
        uint64_t now_ms;
    } r[REC_BATCH];
    uint8_t arena[REC_ARENA];
};

struct hf_pipeline {
    struct hf_collector_config *cfg;   /* sources; swapped by reload */
    GMutex cfg_lock;
    char *state_dir;
    volatile gint cfg_generation;
    struct hf_listener *listener;
    struct hf_store *store;
    bool store_files;           /* false: ClickHouse only */
    struct hf_ch_sink *ch;      /* NULL: no ClickHouse */
    struct hf_rollup *rollup;   /* set once, atomically; may stay NULL */
    struct hf_decoder *decoder;
    GAsyncQueue *rx_queue, *rx_recycle, *rec_queue, *rec_recycle;
    struct hf_queue_memory *mem;        /* the budget of every queue */
    const char *hold_writer;            /* HOLD_WRITER_ENV */
    GThread *decode_thread, *write_thread;
    volatile gint stop_decode, stop_write;

    /* decoder thread only */
    struct rec_batch *batch;
    uint64_t batch_ms;          /* when its first record was added */
    GHashTable *names;          /* hf_exporter_id → interned name or "" (rejected) */
    struct hf_exporter_id last_id;  /* a datagram's records share one exporter */
    const char *last_name;
    gint names_generation;
    uint64_t rejected, record_queue_drops;
    unsigned status_exporters;
    /* the periodic counters line (decoder thread) */
    uint32_t log_stats_ms;
    uint64_t last_log_ms;
    struct stats_snapshot {
        uint64_t datagrams, kernel_drops, queue_drops, record_queue_drops, records, stored,
                 not_stored;
    } last_log;

    /* writer thread, read by status under stats_lock */
    GMutex stats_lock;
    struct hf_store_stats store_stats;
    uint64_t not_stored;        /* records hf_store_add refused */

    /* time series (writer thread); the profiles are the pipeline's own:
     * a reload does not change them */
    struct hf_rrd_series *rrd;
    struct hf_rrd_profile_def *profiles;
    unsigned nprofiles;
    struct hf_rrd_stats rrd_stats;
};

/* ---- decoding ------------------------------------------------------------ */

static guint
exporter_hash(gconstpointer p)
{
    const struct hf_exporter_id *id = p;
    /* names depend on address and listening port only (see exporter_equal) */
    return hf_exporter_addr_hash(id, (guint)id->local_port << 16);
}

static gboolean
exporter_equal(gconstpointer a, gconstpointer b)
{
    const struct hf_exporter_id *x = a, *y = b;
    return x->local_port == y->local_port && memcmp(x->addr, y->addr, 16) == 0;
}

static const char *lookup_source_name(struct hf_pipeline *p, const struct hf_exporter_id *id);

/* Records come in runs per exporter: most are the last one's (inline,
 * the lookup apart, so that on_record keeps to a few registers). */
static inline const char *
source_name(struct hf_pipeline *p, const struct hf_exporter_id *id)
{
    if (g_atomic_int_get(&p->cfg_generation) == p->names_generation && p->last_name
        && exporter_equal(id, &p->last_id))
        return *p->last_name ? p->last_name : NULL;
    return lookup_source_name(p, id);
}

static __attribute__((noinline)) const char *
lookup_source_name(struct hf_pipeline *p, const struct hf_exporter_id *id)
{
    gint gen = g_atomic_int_get(&p->cfg_generation);

    if (gen != p->names_generation) {
        g_hash_table_remove_all(p->names);
        p->names_generation = gen;
        p->last_name = NULL;
    }
    const char *name = g_hash_table_lookup(p->names, id);
    if (!name) {
        g_mutex_lock(&p->cfg_lock);
        char *n = hf_source_for(p->cfg, id);
        g_mutex_unlock(&p->cfg_lock);
        name = g_intern_string(n ? n : "");
        g_free(n);
        /* a spray of forged source addresses must not grow it for ever */
        if (g_hash_table_size(p->names) >= 65536)
            g_hash_table_remove_all(p->names);
        g_hash_table_insert(p->names, g_memdup2(id, sizeof(*id)), (gpointer)name);
    }
    p->last_id = *id;
    p->last_name = name;
    return *name ? name : NULL;
}

static void
ship_records(struct hf_pipeline *p)
{
    if (!p->batch || p->batch->n == 0)
        return;
    g_async_queue_push(p->rec_queue, p->batch);
    p->batch = NULL;
}

static void
copy_string(struct rec_batch *b, fbVarfield_t *v)
{
    if (!v->len)
        return;
    memcpy(b->arena + b->used, v->buf, v->len);
    v->buf = b->arena + b->used;
    b->used += (uint32_t)v->len;
}

static size_t
strings_len(const hf_flow_record_t *r)
{
    return r->hostflowHostname.len + r->hostflowDnsName.len + r->httpRequestHost.len
         + r->sslServerNameNtop.len + r->dnsQueryNtop.len + r->applicationName.len;
}

/* A batch to add records to (NULL: the queues' memory is full). */
static struct rec_batch *
open_batch(struct hf_pipeline *p)
{
    if (!p->batch) {
        p->batch = hf_batch_get(p->rec_recycle, p->mem, sizeof(struct rec_batch));
        if (!p->batch)
            return NULL;
        p->batch->n = p->batch->used = 0;
    }
    return p->batch;
}

/* The decoder decodes the next record straight into the batch. */
static hf_flow_record_t *
record_slot(void *ctx)
{
    struct hf_pipeline *p = ctx;

    if (p->batch && p->batch->n == REC_BATCH)
        ship_records(p);
    struct rec_batch *b = open_batch(p);
    return b ? &b->r[b->n].rec : NULL;
}

/* A record that is not the usual (decoded in place, no strings): its
 * strings copied into the batch's arena, or the record copied in. */
static __attribute__((noinline)) void
add_record(struct hf_pipeline *p, const char *source, const hf_flow_record_t *rec,
           size_t slen, bool in_place, uint64_t arrival_ms)
{
    hf_flow_record_t moved;

    if (slen > REC_ARENA)
        return;                  /* cannot happen: strings of one record < 64 KiB - header */
    if (p->batch && (p->batch->n == REC_BATCH || p->batch->used + slen > REC_ARENA)) {
        if (in_place) {          /* its strings go to the next batch: it too */
            moved = *rec;
            rec = &moved;
            in_place = false;
        }
        ship_records(p);
    }
    struct rec_batch *b = open_batch(p);
    if (!b) {
        p->record_queue_drops++;    /* the queues' memory is full */
        return;
    }
    if (b->n == 0)
        p->batch_ms = arrival_ms;
    if (!in_place)
        b->r[b->n].rec = *rec;
    b->r[b->n].source = source;
    b->r[b->n].now_ms = arrival_ms;
    if (slen) {
        hf_flow_record_t *r = &b->r[b->n].rec;
        copy_string(b, &r->hostflowHostname);
        copy_string(b, &r->hostflowDnsName);
        copy_string(b, &r->httpRequestHost);
        copy_string(b, &r->sslServerNameNtop);
        copy_string(b, &r->dnsQueryNtop);
        copy_string(b, &r->applicationName);
    }
    b->n++;
}

static void
on_record(void *ctx, const struct hf_exporter_id *exp, const hf_flow_record_t *rec,
          uint64_t arrival_ms)
{
    struct hf_pipeline *p = ctx;
    const char *source = source_name(p, exp);
    size_t slen = strings_len(rec);
    struct rec_batch *b = p->batch;
    /* (a record decoded in place is in a batch with room: record_slot()
     * ships a full one before it hands out a slot) */
    bool in_place = b && rec == &b->r[b->n].rec;

    if (!source) {
        p->rejected++;
        return;
    }
    if (!in_place || slen) {
        add_record(p, source, rec, slen, in_place, arrival_ms);
        return;
    }
    /* the usual: only its source and time */
    if (b->n == 0)
        p->batch_ms = arrival_ms;
    b->r[b->n].source = source;
    b->r[b->n].now_ms = arrival_ms;
    b->n++;
}

static void write_status(struct hf_pipeline *p);
static bool is_named(void *ctx, const uint8_t addr[16]);

/* One info line of what the last interval did (never a line per record):
 * a glance in the journal tells whether flows arrive and are kept. */
static void
log_stats(struct hf_pipeline *p, uint64_t now)
{
    if (!p->log_stats_ms || now - p->last_log_ms < p->log_stats_ms)
        return;
    struct hf_listener_stats ls = hf_listener_stats(p->listener);
    struct hf_exporter_stats t = hf_decoder_totals(p->decoder);
    struct hf_decoder_counters dc = hf_decoder_counters(p->decoder);
    struct hf_queue_memory_stats qm = hf_queue_memory_stats(p->mem);
    g_mutex_lock(&p->stats_lock);
    struct stats_snapshot s = {
        ls.datagrams, ls.kernel_drops, ls.queue_drops, p->record_queue_drops,
        t.records + dc.evicted.records,
        p->store_stats.records, p->not_stored + p->store_stats.records_write_failed,
    };
    g_mutex_unlock(&p->stats_lock);
    double secs = (double)(now - p->last_log_ms) / 1000.0;
    struct stats_snapshot *l = &p->last_log;
    hf_log(HF_LOG_INFO, "last %.0f s: %" G_GUINT64_FORMAT " datagrams, %" G_GUINT64_FORMAT
           " records decoded (%.0f/s), %" G_GUINT64_FORMAT " stored, %" G_GUINT64_FORMAT
           " not stored; drops: %" G_GUINT64_FORMAT " kernel, %" G_GUINT64_FORMAT
           " queue, %" G_GUINT64_FORMAT " record queue (queue memory %" G_GUINT64_FORMAT
           " of %" G_GUINT64_FORMAT " KiB, peak %" G_GUINT64_FORMAT " KiB); %" G_GUINT64_FORMAT
           " sessions, %"
           G_GUINT64_FORMAT " templates", secs, s.datagrams - l->datagrams,
           s.records - l->records, (double)(s.records - l->records) / secs,
           s.stored - l->stored, s.not_stored - l->not_stored,
           s.kernel_drops - l->kernel_drops, s.queue_drops - l->queue_drops,
           s.record_queue_drops - l->record_queue_drops, qm.used >> 10, qm.cap >> 10,
           qm.peak >> 10, dc.sessions, dc.templates);
    *l = s;
    p->last_log_ms = now;
}

static gpointer
decode_thread(gpointer data)
{
    struct hf_pipeline *p = data;
    uint64_t last_tick = hf_wall_ms();

    for (;;) {
        /* a partial record batch waits at most REC_LINGER_MS */
        guint64 wait_us = p->batch && p->batch->n ? REC_LINGER_MS * 1000 / 2 : 200000;
        struct hf_rx_batch *b = g_async_queue_timeout_pop(p->rx_queue, wait_us);
        if (b) {
            for (uint32_t i = 0; i < b->n; i++)
                hf_decoder_feed(p->decoder, &b->d[i].from, b->arena + b->d[i].off,
                                b->d[i].len, b->d[i].now_ms);
            hf_batch_recycle(p->rx_recycle, b, p->mem, sizeof(*b));
        }
        uint64_t now = hf_wall_ms();
        if (p->batch && p->batch->n && now - p->batch_ms >= REC_LINGER_MS)
            ship_records(p);
        if (now - last_tick >= 1000) {
            hf_decoder_tick(p->decoder, now);
            write_status(p);
            log_stats(p, now);
            last_tick = now;
        }
        if (!b && g_atomic_int_get(&p->stop_decode))
            break;
    }
    ship_records(p);
    return NULL;
}

/* ---- writing ------------------------------------------------------------- */

/* Every record that reaches hf_store_add ends up in exactly one counter:
 * the store's records, records_buffered or records_write_failed, or here
 * in not_stored (refused).  The store logs its faults (rate-limited); the
 * summaries due are logged from here, every second and at stop. */
static gpointer
write_thread(gpointer data)
{
    struct hf_pipeline *p = data;
    uint64_t last_rotate = 0, last_expire = 0, not_stored = 0;

    for (;;) {
        if (p->hold_writer && g_file_test(p->hold_writer, G_FILE_TEST_EXISTS)
            && !g_atomic_int_get(&p->stop_write)) {
            g_usleep(20000);
            continue;
        }
        struct rec_batch *b = g_async_queue_timeout_pop(p->rec_queue, 200000);
        if (b) {
            for (uint32_t i = 0; i < b->n; i++) {
                GError *err = NULL;
                if (p->ch)
                    hf_ch_sink_add(p->ch, b->r[i].source, &b->r[i].rec, b->r[i].now_ms);
                if (p->store_files && !hf_store_add(p->store, b->r[i].source, &b->r[i].rec,
                                                    b->r[i].now_ms, &err)) {
                    not_stored++;
                    g_clear_error(&err);
                } else if (p->rrd) {
                    hf_rrd_series_add(p->rrd, b->r[i].source, &b->r[i].rec,
                                      b->r[i].now_ms);
                }
            }
            hf_batch_recycle(p->rec_recycle, b, p->mem, sizeof(*b));
        }
        uint64_t now = hf_wall_ms();
        if (p->ch)
            hf_ch_sink_tick(p->ch, now);
        if (now - last_rotate >= 1000) {
            hf_store_rotate(p->store, now);
            hf_store_flush(p->store);
            hf_store_log_flush(p->store, now, false);
            if (p->rrd)
                hf_rrd_series_tick(p->rrd, now);
            last_rotate = now;
        }
        if (now - last_expire >= 60000) {
            hf_store_expire(p->store, now);
            last_expire = now;
        }
        /* one snapshot: the counters add up in every status */
        g_mutex_lock(&p->stats_lock);
        p->store_stats = hf_store_stats(p->store);
        p->not_stored = not_stored;
        if (p->rrd)
            p->rrd_stats = hf_rrd_series_stats(p->rrd);
        g_mutex_unlock(&p->stats_lock);
        if (!b && g_atomic_int_get(&p->stop_write))
            break;
    }
    if (p->rrd) {
        /* every record is in: the slots ended by now are whole */
        hf_rrd_series_finish(p->rrd, hf_wall_ms());
        g_mutex_lock(&p->stats_lock);
        p->rrd_stats = hf_rrd_series_stats(p->rrd);
        g_mutex_unlock(&p->stats_lock);
    }
    hf_store_log_flush(p->store, hf_wall_ms(), true);
    return NULL;
}

/* ---- control ------------------------------------------------------------- */

struct hf_pipeline *
hf_pipeline_start(struct hf_collector_config *cfg, struct hf_listener *listener,
                  struct hf_store *store, struct hf_ch_sink *ch, GAsyncQueue *rx_queue,
                  GAsyncQueue *rx_recycle, struct hf_queue_memory *mem, GError **err)
{
    struct hf_pipeline *p = g_new0(struct hf_pipeline, 1);
    (void)err;

    p->cfg = cfg;
    p->state_dir = g_strdup(cfg->state_dir);
    g_mutex_init(&p->cfg_lock);
    g_mutex_init(&p->stats_lock);
    p->listener = listener;
    p->store = store;
    p->ch = ch;
    p->store_files = !ch || cfg->clickhouse.store_files;
    p->rx_queue = g_async_queue_ref(rx_queue);
    p->rx_recycle = g_async_queue_ref(rx_recycle);
    p->mem = mem;
    p->hold_writer = g_getenv(HOLD_WRITER_ENV);
    p->rec_recycle = g_async_queue_new_full(g_free);
    p->rec_queue = g_async_queue_new();
    p->names = g_hash_table_new_full(exporter_hash, exporter_equal, g_free, NULL);
    struct hf_decoder_config dc = {
        .state_dir = cfg->state_dir,
        .enterprise_number = hf_enterprise_number,
        .pending_max_bytes = cfg->held_bytes,
        .limits = cfg->limits,
        .is_named = is_named,
        .named_ctx = p,
    };
    p->status_exporters = cfg->status_exporters;
    p->log_stats_ms = cfg->log_stats_seconds * 1000u;
    p->last_log_ms = hf_wall_ms();
    p->decoder = hf_decoder_new(&dc, on_record, p);
    hf_decoder_set_slot(p->decoder, record_slot);
    if (cfg->rrd) {
        p->nprofiles = 1 + cfg->profiles->len;
        p->profiles = g_new0(struct hf_rrd_profile_def, p->nprofiles);
        p->profiles[0].name = g_strdup(HF_RRD_LIVE);
        for (guint i = 0; i < cfg->profiles->len; i++) {
            const struct hf_profile *pr = g_ptr_array_index(cfg->profiles, i);
            p->profiles[i + 1].name = g_strdup(pr->name);
            p->profiles[i + 1].filter = hf_filter_parse(pr->filter_text, NULL);
        }
        p->rrd = hf_rrd_series_new(cfg->store_dir, cfg->slot_seconds, cfg->rrdcached,
                                   p->profiles, p->nprofiles, cfg->names, hf_wall_ms());
    }
    p->decode_thread = g_thread_new("hf-decode", decode_thread, p);
    p->write_thread = g_thread_new("hf-write", write_thread, p);
    return p;
}

void
hf_pipeline_set_rollup(struct hf_pipeline *p, struct hf_rollup *r)
{
    g_atomic_pointer_set(&p->rollup, r);
}

struct hf_collector_config *
hf_pipeline_reload(struct hf_pipeline *p, struct hf_collector_config *cfg)
{
    g_mutex_lock(&p->cfg_lock);
    struct hf_collector_config *old = p->cfg;
    p->cfg = cfg;
    g_mutex_unlock(&p->cfg_lock);
    g_atomic_int_inc(&p->cfg_generation);
    return old;
}

/* A [source] names the address (the decoder never evicts its state). */
static bool
is_named(void *ctx, const uint8_t addr[16])
{
    struct hf_pipeline *p = ctx;
    bool named;

    g_mutex_lock(&p->cfg_lock);
    named = hf_config_names_exporter(p->cfg, addr);
    g_mutex_unlock(&p->cfg_lock);
    return named;
}

/* Decoder state belongs to the decoding thread: only it (or stop, after
 * the join) writes the status. */
static void
write_status(struct hf_pipeline *p)
{
    char *path = g_build_filename(p->state_dir, "status.json", NULL);
    char *tmp = g_strconcat(path, ".tmp", NULL);
    FILE *f = fopen(tmp, "w");

    if (!f) {
        g_free(tmp);
        g_free(path);
        return;
    }
    struct hf_listener_stats ls = hf_listener_stats(p->listener);
    g_mutex_lock(&p->stats_lock);
    struct hf_store_stats ss = p->store_stats;
    uint64_t not_stored = p->not_stored;
    g_mutex_unlock(&p->stats_lock);
    fprintf(f, "{\n  \"time_ms\": %" G_GUINT64_FORMAT ",\n", hf_wall_ms());
    fprintf(f, "  \"sockets\": {\"datagrams\": %" G_GUINT64_FORMAT ", \"bytes\": %" G_GUINT64_FORMAT
            ", \"kernel_drops\": %" G_GUINT64_FORMAT ", \"queue_drops\": %" G_GUINT64_FORMAT
            ", \"tcp_connections\": %" G_GUINT64_FORMAT ", \"tcp_messages\": %" G_GUINT64_FORMAT
            ", \"tcp_bad_streams\": %" G_GUINT64_FORMAT "},\n",
            ls.datagrams, ls.bytes, ls.kernel_drops, ls.queue_drops,
            ls.tcp_connections, ls.tcp_messages, ls.tcp_bad_streams);
    struct hf_exporter_drops drops[HF_DROPS_LISTED];
    uint64_t drops_rest;
    unsigned ndrops = hf_listener_drops(p->listener, drops, HF_DROPS_LISTED, &drops_rest);
    fprintf(f, "  \"queue_drops_by_exporter\": [");
    for (unsigned i = 0; i < ndrops; i++) {
        char addr[64];
        hf_exporter_addr_str(drops[i].id.addr, addr, sizeof(addr));
        fprintf(f, "%s{\"exporter\": \"%s\", \"port\": %u, \"listen_port\": %u, "
                "\"datagrams\": %" G_GUINT64_FORMAT "}", i ? ", " : "", addr,
                drops[i].id.port, drops[i].id.local_port, drops[i].datagrams);
    }
    fprintf(f, "],\n  \"queue_drops_other_exporters\": %" G_GUINT64_FORMAT ",\n", drops_rest);
    struct hf_queue_memory_stats qm = hf_queue_memory_stats(p->mem);
    fprintf(f, "  \"queue_memory\": {\"cap\": %" G_GUINT64_FORMAT ", \"used\": %"
            G_GUINT64_FORMAT ", \"peak\": %" G_GUINT64_FORMAT ", \"refused\": %"
            G_GUINT64_FORMAT "},\n", qm.cap, qm.used, qm.peak, qm.refused);
    fprintf(f, "  \"store\": {\"records\": %" G_GUINT64_FORMAT ", \"records_buffered\": %" G_GUINT64_FORMAT
            ", \"records_write_failed\": %" G_GUINT64_FORMAT ", \"files_completed\": %" G_GUINT64_FORMAT
            ", \"files_recovered\": %" G_GUINT64_FORMAT ", \"records_recovered\": %" G_GUINT64_FORMAT
            ", \"files_damaged\": %" G_GUINT64_FORMAT ", \"files_expired\": %" G_GUINT64_FORMAT
            ", \"write_errors\": %" G_GUINT64_FORMAT ", \"records_not_stored\": %" G_GUINT64_FORMAT
            ", \"rejected_records\": %" G_GUINT64_FORMAT
            ", \"record_queue_drops\": %" G_GUINT64_FORMAT "},\n",
            ss.records, ss.records_buffered, ss.records_write_failed,
            ss.files_completed, ss.files_recovered, ss.records_recovered,
            ss.files_damaged, ss.files_expired, ss.write_errors, not_stored, p->rejected,
            p->record_queue_drops);
    struct hf_rollup *r = g_atomic_pointer_get(&p->rollup);
    if (r) {
        struct hf_rollup_stats hs = hf_rollup_stats(r);
        fprintf(f, "  \"hourly\": {\"passes\": %" G_GUINT64_FORMAT ", \"hours_written\": %"
                G_GUINT64_FORMAT ", \"flows_read\": %" G_GUINT64_FORMAT ", \"summaries\": %"
                G_GUINT64_FORMAT ", \"files_unreadable\": %" G_GUINT64_FORMAT
                ", \"files_expired\": %" G_GUINT64_FORMAT ", \"write_errors\": %"
                G_GUINT64_FORMAT "},\n", hs.passes, hs.hours_written, hs.flows_read,
                hs.summaries, hs.files_unreadable, hs.files_expired, hs.write_errors);
    }
    if (p->rrd) {
        g_mutex_lock(&p->stats_lock);
        struct hf_rrd_stats rs = p->rrd_stats;
        g_mutex_unlock(&p->stats_lock);
        fprintf(f, "  \"rrd\": {\"updates\": %" G_GUINT64_FORMAT ", \"skipped_old\": %"
                G_GUINT64_FORMAT ", \"errors\": %" G_GUINT64_FORMAT ", \"late_records\": %"
                G_GUINT64_FORMAT ", \"profiles\": [", rs.updates, rs.skipped_old, rs.errors,
                rs.late_records);
        for (unsigned i = 0; i < p->nprofiles; i++)
            fprintf(f, "%s\"%s\"", i ? ", " : "", p->profiles[i].name);
        fprintf(f, "]},\n");
    }
    if (p->ch)
        hf_ch_sink_write_status(p->ch, f);
    hf_exporter_status_write(f, p->decoder, p->status_exporters, is_named, p);
    fprintf(f, "  \"end\": true\n}\n");
    if (fclose(f) == 0)
        rename(tmp, path);
    g_free(tmp);
    g_free(path);
}

void
hf_pipeline_stop(struct hf_pipeline *p)
{
    g_atomic_int_set(&p->stop_decode, 1);
    g_thread_join(p->decode_thread);
    g_atomic_int_set(&p->stop_write, 1);
    g_thread_join(p->write_thread);
    hf_ch_sink_finish(p->ch);                /* sent, or spooled, or counted */
    hf_decoder_drop_pending(p->decoder);     /* counted, for the last status */
    hf_store_rotate(p->store, UINT64_MAX);   /* complete every open slot */
    g_mutex_lock(&p->stats_lock);
    p->store_stats = hf_store_stats(p->store);
    g_mutex_unlock(&p->stats_lock);
    write_status(p);
    hf_decoder_free(p->decoder);
    hf_rrd_series_free(p->rrd);
    for (unsigned i = 0; i < p->nprofiles; i++) {
        g_free((char *)p->profiles[i].name);
        hf_filter_free((struct hf_filter *)p->profiles[i].filter);
    }
    g_free(p->profiles);
    g_hash_table_destroy(p->names);
    g_async_queue_unref(p->rx_queue);
    g_async_queue_unref(p->rx_recycle);
    g_async_queue_unref(p->rec_recycle);
    g_async_queue_unref(p->rec_queue);
    g_mutex_clear(&p->cfg_lock);
    g_mutex_clear(&p->stats_lock);
    g_free(p->batch);
    g_free(p->state_dir);
    g_free(p);
}
