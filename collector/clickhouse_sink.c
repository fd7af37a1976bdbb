#include "clickhouse_sink.h"

#include <curl/curl.h>
#include <string.h>

#include "clickhouse_rowbinary.h"
#include "clickhouse_spool.h"
#include "clock.h"
#include "safe_text.h"

#define MEMORY_BLOCKS 8                 /* in memory before the spool takes over */
#define MAX_BLOCK_BYTES (64u << 20)     /* one INSERT's body at most */
#define FINISH_MS 10000                 /* sending at stop, at most */
#define RETRY_FIRST_MS 500
#define RETRY_MAX_MS 5000
#define ERROR_TEXT 300                  /* of ClickHouse's answer, kept */

struct exporter_counts {
    uint64_t sent, dropped;
};

struct hf_ch_sink {
    /* set at start */
    char *insert_url;
    char *user, *password;
    uint32_t batch_records;
    uint64_t batch_ms;
    char *collector;
    struct hf_ch_spool *spool;         /* NULL: spool-size 0 */
    GAsyncQueue *queue;                /* struct hf_ch_block*, oldest first */
    struct hf_queue_memory *mem;       /* what the queued blocks take */
    GThread *thread;
    volatile gint stop;

    /* writer thread */
    struct hf_ch_block *open;

    /* sending thread */
    CURL *curl;
    GString *answer;

    uint64_t records_in;               /* atomic */
    GMutex lock;                       /* what follows */
    uint64_t records_sent, blocks_sent, insert_errors, retries;
    uint64_t records_dropped, blocks_dropped;
    uint64_t pending_first_ms;         /* the block being sent: its first arrival */
    char *last_error;
    GHashTable *exporters;             /* interned source → struct exporter_counts */
};

static struct exporter_counts *
exporter(struct hf_ch_sink *s, const char *source)
{
    struct exporter_counts *c = g_hash_table_lookup(s->exporters, source);
    if (!c) {
        c = g_new0(struct exporter_counts, 1);
        g_hash_table_insert(s->exporters, (gpointer)source, c);
    }
    return c;
}

/* A block done with: its memory back to the budget. */
static void
block_done(struct hf_ch_sink *s, struct hf_ch_block *b)
{
    hf_queue_memory_give(s->mem, b->charged);
    hf_ch_block_free(b);
}

/* A block nothing can take: its records are counted, per exporter. */
static void
drop_block(struct hf_ch_sink *s, struct hf_ch_block *b)
{
    g_mutex_lock(&s->lock);
    s->records_dropped += b->records;
    s->blocks_dropped++;
    for (guint i = 0; i < b->sources->len; i++) {
        const struct hf_ch_source_count *c = &g_array_index(b->sources, struct hf_ch_source_count, i);
        exporter(s, c->source)->dropped += c->records;
    }
    g_mutex_unlock(&s->lock);
    block_done(s, b);
}

/* Memory while the spool is empty (so that the order holds) and the
 * queue and the budget have room, else the spool's back, else dropped. */
static void
hand_on(struct hf_ch_sink *s, struct hf_ch_block *b)
{
    bool spool_empty = !s->spool || hf_ch_spool_empty(s->spool);

    if (spool_empty && g_async_queue_length(s->queue) < MEMORY_BLOCKS
        && hf_queue_memory_take(s->mem, b->rows->len)) {
        b->charged = b->rows->len;
        g_async_queue_push(s->queue, b);
    } else if (s->spool && hf_ch_spool_put(s->spool, b, false)) {
        hf_ch_block_free(b);
    } else {
        drop_block(s, b);
    }
}

static void
seal(struct hf_ch_sink *s)
{
    if (s->open && s->open->records) {
        hand_on(s, s->open);
        s->open = NULL;
    }
}

void
hf_ch_sink_add(struct hf_ch_sink *s, const char *source, const hf_flow_record_t *rec,
               uint64_t now_ms)
{
    if (!s->open)
        s->open = hf_ch_block_new();
    struct hf_ch_block *b = s->open;
    if (!b->records)
        b->first_ms = now_ms;
    hf_ch_encode_row(b->rows, rec, source, s->collector);
    hf_ch_block_count(b, source);
    __atomic_add_fetch(&s->records_in, 1, __ATOMIC_RELAXED);   /* per record: no lock */
    if (b->records >= s->batch_records || b->rows->len >= MAX_BLOCK_BYTES)
        seal(s);
}

void
hf_ch_sink_tick(struct hf_ch_sink *s, uint64_t now_ms)
{
    if (s->open && s->open->records && now_ms - s->open->first_ms >= s->batch_ms)
        seal(s);
}

/* ---- sending ------------------------------------------------------------- */

static size_t
keep_answer(char *data, size_t size, size_t n, void *ctx)
{
    GString *a = ctx;
    size_t len = size * n;

    if (a->len < ERROR_TEXT)
        g_string_append_len(a, data, (gssize)MIN(len, ERROR_TEXT - a->len));
    return len;
}

/* One INSERT; true once ClickHouse answered 200. */
static bool
insert(struct hf_ch_sink *s, const struct hf_ch_block *b)
{
    g_string_truncate(s->answer, 0);
    curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, (const char *)b->rows->data);
    curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->rows->len);
    CURLcode rc = curl_easy_perform(s->curl);
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status == 200)
        return true;
    /* ClickHouse's answer may quote the rows, names from the network among
     * them: made inert (hf_escape_text) before it is logged */
    GString *w = g_string_new(NULL);
    if (rc != CURLE_OK) {
        g_string_append(w, curl_easy_strerror(rc));
    } else {
        g_string_append_printf(w, "HTTP %ld: ", status);
        g_strstrip(s->answer->str);
        hf_escape_text(w, s->answer->str, strlen(s->answer->str));
    }
    char *why = g_string_free(w, FALSE);
    g_mutex_lock(&s->lock);
    s->insert_errors++;
    bool changed = !s->last_error || strcmp(s->last_error, why) != 0;
    g_free(s->last_error);
    s->last_error = why;
    g_mutex_unlock(&s->lock);
    if (changed)
        fprintf(stderr, "hostflow-collector: ClickHouse insert failed (will retry): %s\n", why);
    return false;
}

static void
sent(struct hf_ch_sink *s, struct hf_ch_block *b, bool was_retry)
{
    if (b->spool_seq)
        hf_ch_spool_remove(s->spool, b->spool_seq);
    g_mutex_lock(&s->lock);
    s->records_sent += b->records;
    s->blocks_sent++;
    s->retries += was_retry;
    s->pending_first_ms = 0;
    for (guint i = 0; i < b->sources->len; i++) {
        const struct hf_ch_source_count *c = &g_array_index(b->sources, struct hf_ch_source_count, i);
        exporter(s, c->source)->sent += c->records;
    }
    g_mutex_unlock(&s->lock);
    block_done(s, b);
}

/* The next block in order: the memory queue, then the spool. */
static struct hf_ch_block *
next_block(struct hf_ch_sink *s, bool wait)
{
    struct hf_ch_block *b = g_async_queue_try_pop(s->queue);
    if (!b && s->spool)
        b = hf_ch_spool_oldest(s->spool);
    if (!b && wait)
        b = g_async_queue_timeout_pop(s->queue, 200000);
    if (b) {
        g_mutex_lock(&s->lock);
        s->pending_first_ms = b->first_ms;
        g_mutex_unlock(&s->lock);
    }
    return b;
}

/* Waits ms, or less once the sink is stopping. */
static void
pause_ms(struct hf_ch_sink *s, unsigned ms)
{
    for (unsigned t = 0; t < ms && !g_atomic_int_get(&s->stop); t += 100)
        g_usleep(100000);
}

/* What was not sent at stop: back to the spool's front, oldest first. */
static void
spool_rest(struct hf_ch_sink *s, struct hf_ch_block *held)
{
    GPtrArray *rest = g_ptr_array_new();
    if (held) {
        if (held->spool_seq)
            hf_ch_block_free(held);      /* it is still in the spool */
        else
            g_ptr_array_add(rest, held);
    }
    struct hf_ch_block *b;
    while ((b = g_async_queue_try_pop(s->queue)))
        g_ptr_array_add(rest, b);
    for (guint i = rest->len; i-- > 0;) {
        b = g_ptr_array_index(rest, i);
        if (s->spool && hf_ch_spool_put(s->spool, b, true))
            block_done(s, b);
        else
            drop_block(s, b);
    }
    g_ptr_array_free(rest, TRUE);
}

static gpointer
send_thread(gpointer data)
{
    struct hf_ch_sink *s = data;
    struct hf_ch_block *held = NULL;
    unsigned backoff = 0;
    bool was_retry = false;
    uint64_t stop_at = 0;

    for (;;) {
        bool stopping = g_atomic_int_get(&s->stop);
        if (stopping && !stop_at)
            stop_at = hf_wall_ms() + FINISH_MS;
        if (stopping && (backoff || hf_wall_ms() > stop_at))
            break;                   /* ClickHouse is not taking it now */
        if (!held)
            held = stopping ? g_async_queue_try_pop(s->queue) : next_block(s, true);
        if (!held) {
            if (stopping)
                break;               /* memory is empty; the spool keeps its blocks */
            continue;
        }
        if (insert(s, held)) {
            sent(s, held, was_retry);
            held = NULL;
            backoff = 0;
            was_retry = false;
            continue;
        }
        was_retry = true;
        backoff = backoff ? MIN(backoff * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
        pause_ms(s, backoff);
    }
    spool_rest(s, held);
    return NULL;
}

/* BASE?database=D&query=INSERT INTO D.T (columns) FORMAT RowBinary; BASE
 * may carry settings of its own (?insert_distributed_sync=1). */
static char *
insert_url(CURL *curl, const struct hf_clickhouse_config *c)
{
    char *cols = hf_ch_column_list();
    char *sql = g_strdup_printf("INSERT INTO %s.%s %s FORMAT RowBinary", c->database,
                                c->table, cols);
    char *q = curl_easy_escape(curl, sql, 0);
    char *url = g_strdup_printf("%s%sdatabase=%s&query=%s", c->url,
                                strchr(c->url, '?') ? "&" : "?", c->database, q);
    curl_free(q);
    g_free(sql);
    g_free(cols);
    return url;
}

struct hf_ch_sink *
hf_ch_sink_start(const struct hf_clickhouse_config *c, const char *state_dir,
                 struct hf_queue_memory *mem, GError **err)
{
    char *dir = c->spool_dir ? g_strdup(c->spool_dir)
                             : g_build_filename(state_dir, "clickhouse-spool", NULL);
    struct hf_ch_spool *spool = NULL;

    if (c->spool_bytes) {
        spool = hf_ch_spool_open(dir, c->spool_bytes, err);
        if (!spool) {
            g_free(dir);
            return NULL;
        }
    }
    g_free(dir);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct hf_ch_sink *s = g_new0(struct hf_ch_sink, 1);
    s->spool = spool;
    s->batch_records = c->batch_records;
    s->batch_ms = (uint64_t)c->batch_seconds * 1000;
    s->collector = g_strdup(c->collector_name);
    s->queue = g_async_queue_new();
    s->mem = mem;
    s->answer = g_string_new(NULL);
    s->exporters = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    g_mutex_init(&s->lock);
    s->curl = curl_easy_init();
    s->insert_url = insert_url(s->curl, c);
    curl_easy_setopt(s->curl, CURLOPT_URL, s->insert_url);
    curl_easy_setopt(s->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s->answer);
    curl_easy_setopt(s->curl, CURLOPT_USERNAME, c->user);
    curl_easy_setopt(s->curl, CURLOPT_PASSWORD, c->password ? c->password : "");
    s->thread = g_thread_new("hf-clickhouse", send_thread, s);
    return s;
}

void
hf_ch_sink_finish(struct hf_ch_sink *s)
{
    if (!s || !s->thread)
        return;
    seal(s);
    g_atomic_int_set(&s->stop, 1);
    g_thread_join(s->thread);
    s->thread = NULL;
}

void
hf_ch_sink_free(struct hf_ch_sink *s)
{
    if (!s)
        return;
    hf_ch_sink_finish(s);
    hf_ch_block_free(s->open);
    curl_easy_cleanup(s->curl);
    curl_global_cleanup();
    hf_ch_spool_close(s->spool);
    g_async_queue_unref(s->queue);
    g_string_free(s->answer, TRUE);
    g_hash_table_destroy(s->exporters);
    g_mutex_clear(&s->lock);
    g_free(s->last_error);
    g_free(s->insert_url);
    g_free(s->collector);
    g_free(s);
}

void
hf_ch_sink_write_status(struct hf_ch_sink *s, FILE *f)
{
    struct hf_ch_spool_stats sp = {0};
    if (s->spool)
        sp = hf_ch_spool_stats(s->spool);
    GString *out = g_string_new(NULL);
    uint64_t now = hf_wall_ms();

    g_mutex_lock(&s->lock);
    g_string_append_printf(out, "  \"clickhouse\": {\"records_in\": %" G_GUINT64_FORMAT
        ", \"records_sent\": %" G_GUINT64_FORMAT ", \"batches_sent\": %" G_GUINT64_FORMAT
        ", \"insert_errors\": %" G_GUINT64_FORMAT ", \"retries\": %" G_GUINT64_FORMAT
        ", \"records_dropped\": %" G_GUINT64_FORMAT ", \"batches_dropped\": %" G_GUINT64_FORMAT
        ", \"queue_batches\": %d, \"spool_batches\": %" G_GUINT64_FORMAT
        ", \"spool_bytes\": %" G_GUINT64_FORMAT ", \"spool_records\": %" G_GUINT64_FORMAT
        ", \"spool_damaged\": %" G_GUINT64_FORMAT ", \"spool_write_errors\": %" G_GUINT64_FORMAT
        ", \"lag_ms\": %" G_GUINT64_FORMAT ", \"last_error\": ",
        __atomic_load_n(&s->records_in, __ATOMIC_RELAXED), s->records_sent, s->blocks_sent,
        s->insert_errors, s->retries,
        s->records_dropped, s->blocks_dropped, g_async_queue_length(s->queue),
        sp.blocks, sp.bytes, sp.records, sp.damaged, sp.write_errors,
        s->pending_first_ms && now > s->pending_first_ms ? now - s->pending_first_ms : 0);
    if (s->last_error)
        hf_escape_json_string(out, s->last_error, strlen(s->last_error));
    else
        g_string_append(out, "null");
    g_string_append(out, ", \"exporters\": {");
    GHashTableIter it;
    gpointer k, v;
    bool first = true;
    g_hash_table_iter_init(&it, s->exporters);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const struct exporter_counts *c = v;
        g_string_append(out, first ? "" : ", ");
        hf_escape_json_string(out, k, strlen(k));
        g_string_append_printf(out, ": {\"sent\": %" G_GUINT64_FORMAT ", \"dropped\": %"
                               G_GUINT64_FORMAT "}", c->sent, c->dropped);
        first = false;
    }
    g_mutex_unlock(&s->lock);
    g_string_append(out, "}},\n");
    fputs(out->str, f);
    g_string_free(out, TRUE);
}
