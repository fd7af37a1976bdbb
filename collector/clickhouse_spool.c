#include "clickhouse_spool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPOOL_MAGIC "HFCHSP01"
#define FIRST_SEQ (UINT64_C(1) << 40)   /* room to put blocks in front */

struct entry {
    uint64_t seq, bytes, records;
};

/* The lock is never held while a block is read or written: the writer
 * thread (put, empty) and the status (stats) must not wait for the
 * sending thread's reads.  Only the writer puts at the back; only the
 * sending thread reads, removes, and puts in front (at stop). */
struct hf_ch_spool {
    GMutex lock;
    char *dir;
    uint64_t max_bytes;
    GQueue entries;             /* struct entry*, oldest first */
    uint64_t back_seq, front_seq;   /* the next file at either end */
    struct hf_ch_spool_stats st;
};

struct hf_ch_block *
hf_ch_block_new(void)
{
    struct hf_ch_block *b = g_new0(struct hf_ch_block, 1);

    b->rows = g_byte_array_new();
    b->sources = g_array_new(FALSE, FALSE, sizeof(struct hf_ch_source_count));
    return b;
}

/* A block holds the records of a few exporters: a short list does. */
void
hf_ch_block_count(struct hf_ch_block *b, const char *source)
{
    b->records++;
    for (guint i = 0; i < b->sources->len; i++) {
        struct hf_ch_source_count *c = &g_array_index(b->sources, struct hf_ch_source_count, i);
        if (c->source == source) {
            c->records++;
            return;
        }
    }
    struct hf_ch_source_count c = { source, 1 };
    g_array_append_val(b->sources, c);
}

void
hf_ch_block_free(struct hf_ch_block *b)
{
    if (!b)
        return;
    g_byte_array_free(b->rows, TRUE);
    g_array_free(b->sources, TRUE);
    g_free(b);
}

static char *
block_path(const struct hf_ch_spool *s, uint64_t seq, const char *ext)
{
    char name[48];

    snprintf(name, sizeof(name), "%020" PRIu64 "%s", seq, ext);
    return g_build_filename(s->dir, name, NULL);
}

static void
put_u64(GByteArray *a, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    g_byte_array_append(a, b, 8);
}

/* A bounded reader over a file's bytes. */
struct cursor {
    const uint8_t *p, *end;
    bool ok;
};

static uint64_t
get_u64(struct cursor *c)
{
    uint64_t v = 0;
    if (c->end - c->p < 8) {
        c->ok = false;
        return 0;
    }
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += 8;
    return v;
}

static GByteArray *
serialise(const struct hf_ch_block *b)
{
    GByteArray *a = g_byte_array_sized_new(b->rows->len + 64);

    g_byte_array_append(a, (const guint8 *)SPOOL_MAGIC, 8);
    put_u64(a, b->records);
    put_u64(a, b->first_ms);
    put_u64(a, b->sources->len);
    for (guint i = 0; i < b->sources->len; i++) {
        const struct hf_ch_source_count *c = &g_array_index(b->sources, struct hf_ch_source_count, i);
        size_t len = strlen(c->source);
        put_u64(a, len);
        g_byte_array_append(a, (const guint8 *)c->source, (guint)len);
        put_u64(a, c->records);
    }
    put_u64(a, b->rows->len);
    g_byte_array_append(a, b->rows->data, b->rows->len);
    return a;
}

static struct hf_ch_block *
parse(const uint8_t *data, size_t len)
{
    struct cursor c = { data + 8, data + len, len >= 8 && memcmp(data, SPOOL_MAGIC, 8) == 0 };
    struct hf_ch_block *b = hf_ch_block_new();

    b->records = get_u64(&c);
    b->first_ms = get_u64(&c);
    uint64_t n = get_u64(&c);
    for (uint64_t i = 0; c.ok && i < n; i++) {
        uint64_t slen = get_u64(&c);
        if (!c.ok || slen > (uint64_t)(c.end - c.p) || slen > 4096) {
            c.ok = false;
            break;
        }
        char *name = g_strndup((const char *)c.p, slen);
        c.p += slen;
        struct hf_ch_source_count sc = { g_intern_string(name), get_u64(&c) };
        g_free(name);
        g_array_append_val(b->sources, sc);
    }
    uint64_t rows = get_u64(&c);
    if (!c.ok || rows != (uint64_t)(c.end - c.p)) {
        hf_ch_block_free(b);
        return NULL;
    }
    g_byte_array_append(b->rows, c.p, (guint)rows);
    return b;
}

static gint
entry_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    const struct entry *x = a, *y = b;
    (void)unused;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A file that does not read back is renamed .bad: kept for a look, never
 * sent, never counted against the spool's size. */
static void
set_aside(struct hf_ch_spool *s, uint64_t seq)
{
    char *from = block_path(s, seq, ".rb"), *to = block_path(s, seq, ".bad");
    if (rename(from, to) != 0)
        unlink(from);
    g_free(from);
    g_free(to);
    s->st.damaged++;
}

static struct hf_ch_block *
read_block(struct hf_ch_spool *s, uint64_t seq)
{
    char *path = block_path(s, seq, ".rb"), *data = NULL;
    gsize len = 0;
    struct hf_ch_block *b = NULL;

    if (g_file_get_contents(path, &data, &len, NULL))
        b = parse((const uint8_t *)data, len);
    g_free(data);
    g_free(path);
    if (b)
        b->spool_seq = seq;
    return b;
}

struct hf_ch_spool *
hf_ch_spool_open(const char *dir, uint64_t max_bytes, GError **err)
{
    if (max_bytes && g_mkdir_with_parents(dir, 0750) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "ClickHouse spool %s: %s", dir, g_strerror(errno));
        return NULL;
    }
    struct hf_ch_spool *s = g_new0(struct hf_ch_spool, 1);
    g_mutex_init(&s->lock);
    s->dir = g_strdup(dir);
    s->max_bytes = max_bytes;
    g_queue_init(&s->entries);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *end = NULL;
        uint64_t seq = g_ascii_strtoull(name, &end, 10);
        if (!end || strcmp(end, ".rb") != 0 || seq == 0)
            continue;
        struct hf_ch_block *b = read_block(s, seq);
        if (!b) {
            set_aside(s, seq);
            continue;
        }
        struct entry *e = g_new(struct entry, 1);
        *e = (struct entry){ seq, b->rows->len, b->records };
        g_queue_insert_sorted(&s->entries, e, entry_cmp, NULL);
        s->st.blocks++;
        s->st.bytes += e->bytes;
        s->st.records += e->records;
        hf_ch_block_free(b);
    }
    if (d)
        g_dir_close(d);
    struct entry *head = g_queue_peek_head(&s->entries), *tail = g_queue_peek_tail(&s->entries);
    s->front_seq = head ? head->seq - 1 : FIRST_SEQ - 1;
    s->back_seq = tail ? tail->seq + 1 : FIRST_SEQ;
    return s;
}

void
hf_ch_spool_close(struct hf_ch_spool *s)
{
    if (!s)
        return;
    g_queue_clear_full(&s->entries, g_free);
    g_mutex_clear(&s->lock);
    g_free(s->dir);
    g_free(s);
}

bool
hf_ch_spool_put(struct hf_ch_spool *s, struct hf_ch_block *b, bool front)
{
    uint64_t len = b->rows->len, seq;

    g_mutex_lock(&s->lock);
    if (s->st.bytes + len > s->max_bytes) {
        g_mutex_unlock(&s->lock);
        return false;
    }
    seq = front ? s->front_seq-- : s->back_seq++;
    s->st.bytes += len;         /* reserved while it is written */
    g_mutex_unlock(&s->lock);

    GByteArray *a = serialise(b);
    char *path = block_path(s, seq, ".rb"), *tmp = block_path(s, seq, ".tmp");
    GError *e = NULL;
    bool ok = g_file_set_contents(tmp, (const char *)a->data, a->len, &e)
              && rename(tmp, path) == 0;
    if (!ok) {
        unlink(tmp);
        g_clear_error(&e);
    }
    g_byte_array_free(a, TRUE);
    g_free(path);
    g_free(tmp);

    g_mutex_lock(&s->lock);
    if (ok) {
        struct entry *n = g_new(struct entry, 1);
        *n = (struct entry){ seq, len, b->records };
        if (front)
            g_queue_push_head(&s->entries, n);
        else
            g_queue_push_tail(&s->entries, n);
        s->st.blocks++;
        s->st.records += n->records;
    } else {
        s->st.bytes -= len;
        s->st.write_errors++;
    }
    g_mutex_unlock(&s->lock);
    return ok;
}

bool
hf_ch_spool_empty(struct hf_ch_spool *s)
{
    g_mutex_lock(&s->lock);
    bool empty = g_queue_is_empty(&s->entries);
    g_mutex_unlock(&s->lock);
    return empty;
}

static void
drop_entry(struct hf_ch_spool *s, struct entry *e)
{
    g_queue_remove(&s->entries, e);
    s->st.blocks--;
    s->st.bytes -= e->bytes;
    s->st.records -= e->records;
    g_free(e);
}

struct hf_ch_block *
hf_ch_spool_oldest(struct hf_ch_spool *s)
{
    for (;;) {
        g_mutex_lock(&s->lock);
        struct entry *e = g_queue_peek_head(&s->entries);
        uint64_t seq = e ? e->seq : 0;
        g_mutex_unlock(&s->lock);
        if (!e)
            return NULL;
        struct hf_ch_block *b = read_block(s, seq);   /* e stays: only we remove */
        if (b)
            return b;
        g_mutex_lock(&s->lock);
        set_aside(s, seq);
        drop_entry(s, e);
        g_mutex_unlock(&s->lock);
    }
}

void
hf_ch_spool_remove(struct hf_ch_spool *s, uint64_t seq)
{
    g_mutex_lock(&s->lock);
    for (GList *l = s->entries.head; l; l = l->next) {
        struct entry *e = l->data;
        if (e->seq == seq) {
            char *path = block_path(s, seq, ".rb");
            unlink(path);
            g_free(path);
            drop_entry(s, e);
            break;
        }
    }
    g_mutex_unlock(&s->lock);
}

struct hf_ch_spool_stats
hf_ch_spool_stats(struct hf_ch_spool *s)
{
    g_mutex_lock(&s->lock);
    struct hf_ch_spool_stats st = s->st;
    g_mutex_unlock(&s->lock);
    return st;
}
