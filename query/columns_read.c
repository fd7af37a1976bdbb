/* Reading a slot file's columns (columns.h): per block, only the columns
 * of the groups asked for are read (pread into buffers of the reader) and
 * checked, then decoded a chunk of records at a time, column by column,
 * into records that stay in the cache while they are delivered. */
#include "columns.h"
#include "columns_format.h"
#include "store_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 256

struct hf_columns {
    int fd;
    struct hf_cols_header h;
    uint64_t *index;            /* nblocks + 1 offsets */
    GByteArray *buf[HF_C_COUNT];
    hf_flow_record_t *recs;     /* CHUNK */
    uint32_t keep[CHUNK];       /* the records a select chose */
    uint32_t all[CHUNK];        /* 0, 1, 2...: every record */
    /* columns whose value is one for a block (IPv6 addresses of IPv4
     * traffic, sampling, flow counts): set in all CHUNK records once, and
     * not again while the next blocks have the same one */
    bool constant[HF_C_COUNT];
    uint8_t constant_value[HF_C_COUNT][16];
};

static bool
read_at(int fd, void *p, size_t n, uint64_t at)
{
    uint8_t *q = p;

    while (n) {
        ssize_t r = pread(fd, q, n, (off_t)at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        q += r;
        n -= (size_t)r;
        at += (uint64_t)r;
    }
    return true;
}

static bool
header_fits(const struct hf_cols_header *h, const struct stat *ipfix, uint64_t size)
{
    return memcmp(h->magic, HF_COLS_MAGIC, sizeof(h->magic)) == 0
        && h->byte_order == HF_COLS_BYTE_ORDER && h->version == HF_COLS_VERSION
        && h->ncols == HF_C_COUNT
        && h->ipfix_size == (uint64_t)ipfix->st_size
        && h->ipfix_mtime_ns == hf_stat_mtime_ns(ipfix)
        && h->index_offset >= sizeof(*h)
        && h->nblocks <= (size - h->index_offset) / 8
        && h->index_offset + ((uint64_t)h->nblocks + 1) * 8 == size
        && h->records <= (uint64_t)h->nblocks * HF_COLS_BLOCK;
}

struct hf_columns *
hf_columns_open(const char *ipfix_path)
{
    char *path = hf_columns_path(ipfix_path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat ist, cst;
    struct hf_cols_header h;

    g_free(path);
    if (fd < 0)
        return NULL;
    if (stat(ipfix_path, &ist) != 0 || fstat(fd, &cst) != 0
        || !read_at(fd, &h, sizeof(h), 0) || !header_fits(&h, &ist, (uint64_t)cst.st_size)) {
        close(fd);
        return NULL;
    }
    struct hf_columns *c = g_new0(struct hf_columns, 1);
    c->fd = fd;
    c->h = h;
    c->index = g_new(uint64_t, (gsize)h.nblocks + 1);
    bool ok = read_at(fd, c->index, ((size_t)h.nblocks + 1) * 8, h.index_offset);
    uint64_t prev = sizeof(h);
    for (uint32_t i = 0; ok && i <= h.nblocks; i++) {
        ok = c->index[i] >= prev && (i == h.nblocks || c->index[i] < h.index_offset);
        prev = c->index[i];
    }
    if (!ok || c->index[h.nblocks] != h.index_offset) {
        hf_columns_close(c);
        return NULL;
    }
    return c;
}

void
hf_columns_close(struct hf_columns *c)
{
    if (!c)
        return;
    close(c->fd);
    g_free(c->index);
    for (unsigned i = 0; i < HF_C_COUNT; i++)
        if (c->buf[i])
            g_byte_array_unref(c->buf[i]);
    g_free(c->recs);
    g_free(c);
}

bool
hf_columns_valid(const char *ipfix_path)
{
    struct hf_columns *c = hf_columns_open(ipfix_path);

    hf_columns_close(c);
    return c != NULL;
}

uint32_t
hf_columns_blocks(const struct hf_columns *c)
{
    return c->h.nblocks;
}

uint64_t
hf_columns_records(const struct hf_columns *c)
{
    return c->h.records;
}

uint64_t
hf_columns_options_records(const struct hf_columns *c)
{
    return c->h.options_records;
}

/* ---- one block ------------------------------------------------------------ */

/* A column's bytes, checked against its block and its definition. */
struct colview {
    const uint8_t *data;
    uint8_t width;
    uint64_t base;
    /* dictionaries */
    uint32_t count;
    const uint32_t *offsets;
    const uint8_t *strings;
};

static G_GNUC_PRINTF(2, 3) bool
damaged(struct hf_store_decode_result *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_vsnprintf(res->why, sizeof(res->why), fmt, ap);
    va_end(ap);
    res->damaged = true;
    return false;
}

static bool
width_ok(uint8_t w)
{
    return w == 0 || w == 1 || w == 2 || w == 4 || w == 8;
}

/* Checks column col (cd) of a block of n records and reads it. */
static bool
load_column(struct hf_columns *c, unsigned col, const struct hf_cols_column *cd,
            uint64_t block_at, uint32_t block_len, uint32_t n, struct colview *v)
{
    const struct hf_col_def *def = &hf_col_defs[col];
    uint64_t need;

    if (cd->enc != def->enc || cd->offset < sizeof(struct hf_cols_block)
        || cd->length > block_len || cd->offset > block_len - cd->length
        || (def->enc != HF_COL_RAW && !width_ok(cd->width)))
        return false;
    if (def->enc == HF_COL_INT)
        need = (uint64_t)cd->width * n;
    else if (def->enc == HF_COL_RAW)
        need = cd->width == 0 ? def->size : (cd->width == def->size ? (uint64_t)def->size * n
                                                                    : UINT64_MAX);
    else
        need = 4;
    if (need == UINT64_MAX || cd->length < need || (def->enc != HF_COL_DICT && cd->length != need))
        return false;
    if (!c->buf[col])
        c->buf[col] = g_byte_array_new();
    g_byte_array_set_size(c->buf[col], cd->length);
    if (cd->length && !read_at(c->fd, c->buf[col]->data, cd->length, block_at + cd->offset))
        return false;
    v->data = c->buf[col]->data;
    v->width = cd->width;
    v->base = cd->base;
    if (def->enc != HF_COL_DICT)
        return true;

    /* count, offsets, strings, padding, index */
    uint32_t count;
    memcpy(&count, v->data, 4);
    uint64_t off_end = 4 + ((uint64_t)count + 1) * 4;
    if (count == 0 || off_end > cd->length || cd->width == 8
        || (cd->width == 0) != (count == 1))
        return false;
    v->count = count;
    v->offsets = (const uint32_t *)(v->data + 4);      /* 4-aligned in the buffer */
    uint64_t slen = v->offsets[count];
    for (uint32_t i = 0; i < count; i++)
        if (v->offsets[i] > v->offsets[i + 1])
            return false;
    uint64_t idx_at = (off_end + slen + 3) / 4 * 4;
    if (idx_at > cd->length || cd->length - idx_at != (uint64_t)cd->width * n)
        return false;
    v->strings = v->data + off_end;
    v->data += idx_at;
    return true;
}

static inline uint64_t
value_at(const uint8_t *p, uint8_t w, uint32_t i)
{
    switch (w) {
    case 0: return 0;
    case 1: return p[i];
    case 2: { uint16_t x; memcpy(&x, p + 2 * (size_t)i, 2); return x; }
    case 4: { uint32_t x; memcpy(&x, p + 4 * (size_t)i, 4); return x; }
    default: { uint64_t x; memcpy(&x, p + 8 * (size_t)i, 8); return x; }
    }
}

/* An integer of def->size bytes into the record field at p. */
static inline void
put_int(uint8_t *p, uint8_t size, uint64_t x)
{
    switch (size) {
    case 1: *p = (uint8_t)x; break;
    case 2: { uint16_t y = (uint16_t)x; memcpy(p, &y, 2); break; }
    case 4: { uint32_t y = (uint32_t)x; memcpy(p, &y, 4); break; }
    default: memcpy(p, &x, 8); break;
    }
}

/* Records [at, at + n) of the block: column col into recs. */
static void
fill_int(hf_flow_record_t *recs, const struct hf_col_def *def, const struct colview *v,
         uint32_t at, uint32_t n)
{
    uint64_t val[CHUNK];

    switch (v->width) {     /* one loop per width: the compiler unrolls them */
    case 0: for (uint32_t i = 0; i < n; i++) val[i] = v->base; break;
    case 1: for (uint32_t i = 0; i < n; i++) val[i] = v->base + value_at(v->data, 1, at + i); break;
    case 2: for (uint32_t i = 0; i < n; i++) val[i] = v->base + value_at(v->data, 2, at + i); break;
    case 4: for (uint32_t i = 0; i < n; i++) val[i] = v->base + value_at(v->data, 4, at + i); break;
    default: for (uint32_t i = 0; i < n; i++) val[i] = v->base + value_at(v->data, 8, at + i); break;
    }
    uint8_t *p = (uint8_t *)recs + def->off;
    switch (def->size) {    /* sizes known to the compiler: plain moves */
    case 1: for (uint32_t i = 0; i < n; i++) put_int(p + i * sizeof(*recs), 1, val[i]); break;
    case 2: for (uint32_t i = 0; i < n; i++) put_int(p + i * sizeof(*recs), 2, val[i]); break;
    case 4: for (uint32_t i = 0; i < n; i++) put_int(p + i * sizeof(*recs), 4, val[i]); break;
    default: for (uint32_t i = 0; i < n; i++) put_int(p + i * sizeof(*recs), 8, val[i]); break;
    }
}

/* The same for the records keep[0..n) of [at, at + CHUNK) alone. */
static inline __attribute__((always_inline)) void
kept_of_width(hf_flow_record_t *recs, const struct hf_col_def *def, const struct colview *v,
              uint32_t at, const uint32_t *keep, uint32_t n, uint8_t width)
{
    uint8_t *p = (uint8_t *)recs + def->off;

    for (uint32_t i = 0; i < n; i++)
        put_int(p + keep[i] * sizeof(*recs), def->size,
                v->base + value_at(v->data, width, at + keep[i]));
}

static void
fill_int_kept(hf_flow_record_t *recs, const struct hf_col_def *def, const struct colview *v,
              uint32_t at, const uint32_t *keep, uint32_t n)
{
    switch (v->width) {     /* one loop per width, as fill_int() */
    case 0: kept_of_width(recs, def, v, at, keep, n, 0); break;
    case 1: kept_of_width(recs, def, v, at, keep, n, 1); break;
    case 2: kept_of_width(recs, def, v, at, keep, n, 2); break;
    case 4: kept_of_width(recs, def, v, at, keep, n, 4); break;
    default: kept_of_width(recs, def, v, at, keep, n, 8); break;
    }
}

static void
fill_raw(hf_flow_record_t *recs, const struct hf_col_def *def, const struct colview *v,
         uint32_t at, const uint32_t *keep, uint32_t n)
{
    uint8_t *p = (uint8_t *)recs + def->off;
    size_t step = v->width ? def->size : 0;
    const uint8_t *q = v->data + (size_t)at * step;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = keep ? keep[i] : i;
        /* sizes known to the compiler: plain moves, not a call per record */
        if (def->size == 16)
            memcpy(p + r * sizeof(*recs), q + r * step, 16);
        else if (def->size == 6)
            memcpy(p + r * sizeof(*recs), q + r * step, 6);
        else
            memcpy(p + r * sizeof(*recs), q + r * step, def->size);
    }
}

static bool
fill_dict(hf_flow_record_t *recs, const struct hf_col_def *def, const struct colview *v,
          uint32_t at, const uint32_t *keep, uint32_t n)
{
    uint8_t *p = (uint8_t *)recs + def->off;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = keep ? keep[i] : i;
        uint64_t k = value_at(v->data, v->width, at + r);
        if (k >= v->count)
            return false;
        fbVarfield_t s = { .len = v->offsets[k + 1] - v->offsets[k],
                           .buf = (uint8_t *)v->strings + v->offsets[k] };
        memcpy(p + r * sizeof(*recs), &s, sizeof(s));
    }
    return true;
}

/* Column col of the records [at, at + n), or of keep[0..n) of them. */
static bool
fill_column(hf_flow_record_t *recs, unsigned col, const struct colview *v, uint32_t at,
            const uint32_t *keep, uint32_t n)
{
    const struct hf_col_def *def = &hf_col_defs[col];

    if (def->enc == HF_COL_INT) {
        if (keep)
            fill_int_kept(recs, def, v, at, keep, n);
        else
            fill_int(recs, def, v, at, n);
        return true;
    }
    if (def->enc == HF_COL_RAW) {
        fill_raw(recs, def, v, at, keep, n);
        return true;
    }
    return fill_dict(recs, def, v, at, keep, n);
}

/* True when column col of every CHUNK record already holds the value of
 * v (a column of width 0); else remembers that it will. */
static bool
still_constant(struct hf_columns *c, unsigned col, const struct colview *v)
{
    const struct hf_col_def *def = &hf_col_defs[col];
    uint8_t value[16] = { 0 };

    if (v->width != 0 || def->enc == HF_COL_DICT) {
        c->constant[col] = false;
        return false;
    }
    if (def->enc == HF_COL_INT)
        memcpy(value, &v->base, sizeof(v->base));
    else
        memcpy(value, v->data, def->size);
    if (c->constant[col] && memcmp(value, c->constant_value[col], sizeof(value)) == 0)
        return true;
    memcpy(c->constant_value[col], value, sizeof(value));
    return false;
}

/* What a read is asked for (hf_columns_read). */
struct want {
    uint32_t groups, first;
    hf_columns_select_fn select;
    hf_columns_batch_fn fn;
    void *ctx;
};

/* The columns of groups of records [at, at + n) (or of keep[0..n)) that
 * are not one value set once for the block; false when one is damaged. */
static bool
fill_groups(struct hf_columns *c, uint32_t groups, const bool *skip, const struct colview *v,
            uint32_t at, const uint32_t *keep, uint32_t n)
{
    for (unsigned col = 0; col < HF_C_COUNT; col++)
        if ((hf_col_defs[col].group & groups) && !skip[col]
            && !fill_column(c->recs, col, &v[col], at, keep, n))
            return false;
    return true;
}

static bool
read_block(struct hf_columns *c, uint32_t b, const struct want *w,
           struct hf_store_decode_result *res)
{
    bool skip[HF_C_COUNT];
    struct hf_cols_block head;
    struct colview v[HF_C_COUNT];
    uint64_t at = c->index[b], len = c->index[b + 1] - at;

    if (len < sizeof(head) || !read_at(c->fd, &head, sizeof(head), at))
        return damaged(res, "columns: block %u cut short", b);
    if (head.length != len || head.records == 0 || head.records > HF_COLS_BLOCK)
        return damaged(res, "columns: block %u has a bad header", b);
    for (unsigned col = 0; col < HF_C_COUNT; col++) {
        if (!(hf_col_defs[col].group & w->groups))
            continue;
        if (!load_column(c, col, &head.col[col], at, head.length, head.records, &v[col]))
            return damaged(res, "columns: block %u, column %u is damaged", b, col);
        skip[col] = still_constant(c, col, &v[col]);
        if (v[col].width == 0 && hf_col_defs[col].enc != HF_COL_DICT && !skip[col]) {
            /* the block's one value into every record, then left alone */
            fill_column(c->recs, col, &v[col], 0, NULL, CHUNK);
            c->constant[col] = true;
            skip[col] = true;
        }
    }
    uint32_t first = w->select ? w->first & w->groups : 0;
    for (uint32_t k = 0; k < head.records; k += CHUNK) {
        uint32_t n = MIN(CHUNK, head.records - k), m = n;
        const uint32_t *keep = NULL;
        if (first && !fill_groups(c, first, skip, v, k, NULL, n))
            return damaged(res, "columns: block %u: a string out of range", b);
        if (w->select) {
            m = w->select(w->ctx, c->recs, n, c->keep);
            keep = m < n ? c->keep : NULL;      /* all chosen: filled in a row */
        }
        if (m && !fill_groups(c, w->groups & ~first, skip, v, k, keep, m))
            return damaged(res, "columns: block %u: a string out of range", b);
        if (m)
            w->fn(w->ctx, c->recs, keep ? keep : c->all, m);
        res->records += n;
    }
    return true;
}

bool
hf_columns_read(struct hf_columns *c, uint32_t from, uint32_t to, uint32_t groups,
                uint32_t first, hf_columns_select_fn select, hf_columns_batch_fn fn,
                void *ctx, struct hf_decode_stop *stop, struct hf_store_decode_result *res)
{
    const struct want w = { groups, first, select, fn, ctx };

    memset(res, 0, sizeof(*res));
    if (!c->recs) {
        c->recs = g_new0(hf_flow_record_t, CHUNK);
        for (uint32_t i = 0; i < CHUNK; i++)
            c->all[i] = i;
    } else {
        memset(c->recs, 0, CHUNK * sizeof(*c->recs));   /* fields not asked for: zero */
    }
    memset(c->constant, 0, sizeof(c->constant));
    to = MIN(to, c->h.nblocks);
    for (uint32_t b = from; b < to; b++) {
        if (hf_decode_stop_due(stop)) {
            res->stopped = true;
            return true;
        }
        if (!read_block(c, b, &w, res))
            return false;
    }
    return true;
}
