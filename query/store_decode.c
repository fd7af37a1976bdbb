/* See store_decode.h.  Templates compiled into copy programs, records run
 * through them; nfdump's src/netflow/ipfix.c does the same per exporter. */
#include "store_decode.h"
#include "ipfix_template.h"
#include "ipfix_tmpl_table.h"
#include "extract.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infomodel.h"

#define MSG_HDR 16
#define SET_HDR 4
#define VARLEN 0xffff

/* ---- the fields of hf_flow_record_t, as hf_ipfix_reader maps them ------- */

enum kind { K_INT, K_OCTETS, K_STRING };

struct field {
    uint32_t pen;
    uint16_t id;
    uint16_t off;               /* in hf_flow_record_t */
    uint8_t size;               /* fixed fields: bytes in the record */
    uint8_t kind;
};

static struct field fields[40];
static unsigned nfields;

/* hf_flow_spec[] through the information model: the element behind each
 * field, as fbTemplateAppendSpecArray() resolves it for the reader's
 * internal template */
static bool
fields_init(GError **err)
{
    static GMutex lock;
    static bool done;
    bool ok = true;

    g_mutex_lock(&lock);
    if (!done) {
        fbInfoModel_t *model = hf_infomodel_new(err);
        size_t off = 0;
        unsigned n = 0;

        if (!model) {
            g_mutex_unlock(&lock);
            return false;
        }
        for (const fbInfoElementSpec_t *s = hf_flow_spec; s->name; s++) {
            bool varlen = s->len_override == FB_IE_VARLEN;
            size_t size = varlen ? sizeof(fbVarfield_t) : s->len_override;
            const fbInfoElement_t *ie = fbInfoModelGetElementByName(model, s->name);

            /* padding is not copied by libfixbuf */
            if (!(s->flags & HF_TMPL_LAYOUT)) {
                if (!ie || n == G_N_ELEMENTS(fields) || (!varlen && size > 255)) {
                    g_set_error(err, FB_ERROR_DOMAIN, FB_ERROR_NOELEMENT,
                                "store decoder: no element %s", s->name);
                    ok = false;
                    break;
                }
                struct field *f = &fields[n++];
                f->pen = ie->ent;
                f->id = ie->num;
                f->off = (uint16_t)off;
                f->size = varlen ? 0 : (uint8_t)size;
                if (varlen)
                    f->kind = K_STRING;
                else if ((ie->flags & FB_IE_F_ENDIAN) && size <= 8)
                    f->kind = K_INT;
                else
                    f->kind = K_OCTETS;
            }
            off += size;
        }
        hf_infomodel_free(model);
        g_assert(!ok || off == sizeof(hf_flow_record_t));
        if (ok) {
            nfields = n;
            done = true;
        }
    }
    g_mutex_unlock(&lock);
    return ok;
}

static int
field_of(uint32_t pen, uint16_t id)
{
    for (unsigned i = 0; i < nfields; i++)
        if (fields[i].id == id && fields[i].pen == pen)
            return (int)i;
    return -1;
}

/* ---- copy programs ------------------------------------------------------- */

enum op_code {
    OP_SKIP,        /* len bytes */
    OP_U8, OP_BE16, OP_BE32, OP_BE64,   /* an integer of its field's size */
    OP_INTN,        /* an integer of another size (reduced-size encoding) */
    OP_OCTETS,      /* bytes copied, at most the field's size */
    OP_STRING,      /* a string pointed at */
};

struct op {
    uint8_t code;
    uint8_t size;               /* the field's size (OP_INTN, OP_OCTETS) */
    uint16_t len;               /* in the record; VARLEN: a length prefix */
    uint16_t off;               /* in hf_flow_record_t */
};

struct prog {
    bool options;               /* scope fields: counted, not decoded */
    bool varlen;
    size_t min_len;             /* variable fields empty */
    uint32_t nops;
    struct op ops[];
};

struct hf_store_decoder {
    struct hf_tmpl_table *tmpls;   /* struct prog by domain and id */
    uint64_t last_key;          /* the last set's template, cached */
    const struct prog *last;
    struct hf_decode_stop *stop;   /* may be NULL */
};

struct hf_store_decoder *
hf_store_decoder_new(GError **err)
{
    if (!fields_init(err))
        return NULL;
    struct hf_store_decoder *d = g_new0(struct hf_store_decoder, 1);
    d->tmpls = hf_tmpl_table_new(g_free);
    return d;
}

void
hf_store_decoder_free(struct hf_store_decoder *d)
{
    if (!d)
        return;
    hf_tmpl_table_free(d->tmpls);
    g_free(d);
}

void
hf_store_decoder_set_stop(struct hf_store_decoder *d, struct hf_decode_stop *stop)
{
    d->stop = stop;
}

bool
hf_decode_stop_due(struct hf_decode_stop *stop)
{
    if (!stop)
        return false;
    if (g_atomic_int_get(&stop->flag))
        return true;
    if (stop->deadline_us && g_get_monotonic_time() >= stop->deadline_us) {
        g_atomic_int_compare_and_exchange(&stop->flag, 0, HF_DECODE_STOP_TIME);
        return true;
    }
    return false;
}

static void
reset(struct hf_store_decoder *d)
{
    hf_tmpl_table_clear(d->tmpls);
    d->last = NULL;
}

static uint64_t
tmpl_key(uint32_t domain, unsigned tid)
{
    return (uint64_t)domain << 16 | tid;
}

static void
forget(struct hf_store_decoder *d)
{
    d->last = NULL;
}

static void
withdraw(struct hf_store_decoder *d, uint32_t domain, unsigned tid)
{
    forget(d);
    hf_tmpl_table_withdraw(d->tmpls, domain, tid);
}

/* Appends the operation for one template field. */
static void
compile_field(struct prog *t, uint32_t *filled, uint32_t pen, uint16_t id,
              uint16_t len)
{
    int i = t->options ? -1 : field_of(pen, id);
    struct op *prev = t->nops ? &t->ops[t->nops - 1] : NULL;
    struct op *o;

    if (i >= 0 && (*filled >> i & 1))
        i = -1;                     /* repeated: the first one fills the field */
    if (i < 0) {
        if (len != VARLEN && prev && prev->code == OP_SKIP && prev->len != VARLEN
            && (uint32_t)prev->len + len < VARLEN) {
            prev->len = (uint16_t)(prev->len + len);    /* one skip */
            return;
        }
        o = &t->ops[t->nops++];
        o->code = OP_SKIP;
        o->len = len;
        o->off = 0;
        o->size = 0;
        return;
    }
    const struct field *f = &fields[i];
    *filled |= 1u << i;
    o = &t->ops[t->nops++];
    o->len = len;
    o->off = f->off;
    o->size = f->size;
    switch (f->kind) {
    case K_STRING:
        o->code = OP_STRING;
        break;
    case K_OCTETS:
        o->code = OP_OCTETS;
        break;
    case K_INT:
        if (len != f->size)
            o->code = OP_INTN;
        else
            o->code = len == 1 ? OP_U8 : len == 2 ? OP_BE16 : len == 4 ? OP_BE32
                    : len == 8 ? OP_BE64 : OP_INTN;
        break;
    }
}

/* One template record at p (end: its set's end); returns its length, 0 if
 * it is not a valid one (the rest of the set is then ignored, as
 * common/ipfix_scan.c does); -1: too many templates. */
static long
template_record(struct hf_store_decoder *d, uint32_t domain, bool options,
                const uint8_t *p, const uint8_t *end)
{
    struct hf_ipfix_tmpl_head h;
    struct hf_ipfix_tmpl_field *f;
    size_t at = hf_ipfix_template_read(p, end, options, &h, NULL);

    if (!at)
        return 0;
    if (h.withdrawal) {
        withdraw(d, domain, h.tid);
        return (long)at;
    }
    f = g_new(struct hf_ipfix_tmpl_field, h.count);
    hf_ipfix_template_read(p, end, options, &h, f);
    struct prog *t = g_malloc(sizeof(*t) + h.count * sizeof(struct op));
    uint32_t filled = 0;
    t->options = options;
    t->varlen = h.varlen;
    t->min_len = h.min_len;
    t->nops = 0;
    for (unsigned i = 0; i < h.count; i++)
        compile_field(t, &filled, f[i].pen, f[i].id, f[i].len);
    g_free(f);
    if (t->min_len == 0) {
        g_free(t);                  /* fields of length 0 only: never ends */
        return 0;
    }
    forget(d);
    if (!hf_tmpl_table_put(d->tmpls, domain, h.tid, t))
        return -1;
    return (long)at;
}

/* ---- records ------------------------------------------------------------- */

static inline void
put_int(uint8_t *dst, uint8_t size, uint64_t v)
{
    switch (size) {
    case 1: *dst = (uint8_t)v; break;
    case 2: { uint16_t x = (uint16_t)v; memcpy(dst, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(dst, &x, 4); break; }
    default: memcpy(dst, &v, 8); break;
    }
}

/* One operation on n bytes at p; it writes its field whole, whatever n
 * (data_set relies on it to zero the record once, not per record). */
static inline void
apply(const struct op *o, uint8_t *rec, const uint8_t *p, size_t n)
{
    switch (o->code) {
    case OP_SKIP:
        break;
    case OP_U8:
        rec[o->off] = *p;
        break;
    case OP_BE16: {
        uint16_t v = hf_be16(p);
        memcpy(rec + o->off, &v, 2);
        break;
    }
    case OP_BE32: {
        uint32_t v = hf_be32(p);
        memcpy(rec + o->off, &v, 4);
        break;
    }
    case OP_BE64: {
        uint64_t v = hf_be64(p);
        memcpy(rec + o->off, &v, 8);
        break;
    }
    case OP_INTN: {
        /* reduced size: right-justified; longer: its low-order bytes */
        uint64_t v = 0;
        for (size_t i = n > 8 ? n - 8 : 0; i < n; i++)
            v = v << 8 | p[i];
        put_int(rec + o->off, o->size, v);
        break;
    }
    case OP_OCTETS:
        memcpy(rec + o->off, p, n < o->size ? n : o->size);
        if (n < o->size)        /* a shorter value than the last record's */
            memset(rec + o->off + n, 0, o->size - n);
        break;
    case OP_STRING: {
        fbVarfield_t v = { .len = n, .buf = (uint8_t *)p };
        memcpy(rec + o->off, &v, sizeof(v));
        break;
    }
    }
}

/* A record of a template without variable-length fields (min_len bytes
 * present). */
static void
record_fixed(const struct prog *t, hf_flow_record_t *r, const uint8_t *p)
{
    uint8_t *rec = (uint8_t *)r;

    for (uint32_t i = 0; i < t->nops; i++) {
        const struct op *o = &t->ops[i];
        apply(o, rec, p, o->len);
        p += o->len;
    }
}

/* A record with variable-length fields: its length, 0 if it runs past
 * left. */
static size_t
record_var(const struct prog *t, hf_flow_record_t *r, const uint8_t *p, size_t left)
{
    uint8_t *rec = (uint8_t *)r;
    size_t at = 0;

    for (uint32_t i = 0; i < t->nops; i++) {
        const struct op *o = &t->ops[i];
        size_t n = o->len;
        if (n == VARLEN) {
            if (at >= left)
                return 0;
            n = p[at++];
            if (n == 255) {
                if (left - at < 2)
                    return 0;
                n = hf_be16(p + at);
                at += 2;
            }
        }
        if (left - at < n)
            return 0;
        if (r)
            apply(o, rec, p + at, n);
        at += n;
    }
    return at;
}

/* The records of a data set in [p, end).  Returns the end of the last whole
 * record; *ok false when a record runs past end. */
static const uint8_t *
data_set(const struct prog *t, const uint8_t *p, const uint8_t *end,
         hf_store_decode_fn fn, void *ctx, struct hf_store_decode_result *res,
         bool *ok)
{
    hf_flow_record_t r;

    *ok = true;
    /* zeroed once: every record of a template writes the same fields whole
     * (apply), so the fields it lacks stay zero without a memset each */
    memset(&r, 0, sizeof(r));
    if (t->options) {
        while ((size_t)(end - p) >= t->min_len) {
            size_t n = t->varlen ? record_var(t, NULL, p, (size_t)(end - p)) : t->min_len;
            if (!n) {
                *ok = false;
                break;
            }
            p += n;
            res->options_records++;
        }
        return p;
    }
    if (!t->varlen) {
        while ((size_t)(end - p) >= t->min_len) {
            record_fixed(t, &r, p);
            fn(ctx, &r);
            res->records++;
            p += t->min_len;
        }
        return p;
    }
    while ((size_t)(end - p) >= t->min_len) {
        size_t n = record_var(t, &r, p, (size_t)(end - p));
        if (!n) {
            *ok = false;
            break;
        }
        fn(ctx, &r);
        res->records++;
        p += n;
    }
    return p;
}

static bool
damage(struct hf_store_decode_result *res, size_t good, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static bool
damage(struct hf_store_decode_result *res, size_t good, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_vsnprintf(res->why, sizeof(res->why), fmt, ap);
    va_end(ap);
    res->damaged = true;
    res->good = good;
    return false;
}

static const struct prog *
find(struct hf_store_decoder *d, uint32_t domain, unsigned sid)
{
    uint64_t k = tmpl_key(domain, sid);

    if (d->last && d->last_key == k)
        return d->last;
    d->last = hf_tmpl_table_find(d->tmpls, domain, sid);
    d->last_key = k;
    return d->last;
}

/* Pages of a mapped file already decoded are given back every this many
 * bytes: a store file of hundreds of MiB then costs a few MiB of memory. */
#define RELEASE_STEP (2u << 20)

/* Decodes the messages of buf that start in [from, to); those before
 * from only teach their templates (their data sets are hopped over), so a
 * part of a file decodes alone.  release: buf is a page-aligned file
 * mapping whose decoded pages may be dropped (they are read again from the
 * file if touched). */
static bool
decode(struct hf_store_decoder *d, const uint8_t *buf, size_t len, size_t from,
       size_t to, hf_store_decode_fn fn, void *ctx, struct hf_store_decode_result *res,
       bool release)
{
    size_t pos = 0, released = 0;

    memset(res, 0, sizeof(*res));
    reset(d);
    while (pos < len && pos < to) {
        const uint8_t *msg = buf + pos;
        bool learn_only = pos < from;

        if (!learn_only && hf_decode_stop_due(d->stop)) {
            res->stopped = true;
            res->good = pos;
            return true;
        }

        if (release && pos > released && pos - released >= RELEASE_STEP) {
            size_t upto = pos & ~((size_t)sysconf(_SC_PAGESIZE) - 1);
            madvise((void *)(buf + released), upto - released, MADV_DONTNEED);
            released = upto;
        }
        size_t avail = len - pos, length, limit, at;
        uint32_t domain;

        if (avail < MSG_HDR)
            return damage(res, pos, "cut short in a message header at byte %zu", pos);
        if (hf_be16(msg) != 10)
            return damage(res, pos, "not an IPFIX message at byte %zu (version %u)",
                          pos, hf_be16(msg));
        length = hf_be16(msg + 2);
        if (length < MSG_HDR)
            return damage(res, pos, "message of length %zu at byte %zu", length, pos);
        limit = avail < length ? avail : length;
        domain = hf_be32(msg + 12);
        at = MSG_HDR;
        while (at < limit) {
            const uint8_t *set = msg + at;
            size_t set_len, set_end;
            unsigned sid;

            if (limit - at < SET_HDR)
                break;
            sid = hf_be16(set);
            set_len = hf_be16(set + 2);
            if (set_len < SET_HDR || at + set_len > length)
                return damage(res, pos + at, "set of length %zu at byte %zu runs "
                              "past its message", set_len, pos + at);
            set_end = at + set_len;
            bool cut = set_end > limit;
            const uint8_t *send = msg + (cut ? limit : set_end);
            if (cut && sid < 256)
                break;                  /* only a data set's whole records count */
            if (sid == 2 || sid == 3) {
                const uint8_t *p = set + SET_HDR;
                while (send - p >= 4) {
                    long n = template_record(d, domain, sid == 3, p, send);
                    if (n < 0)
                        return damage(res, pos + at, "more than %d templates",
                                      HF_TMPL_TABLE_MAX);
                    if (!n)
                        break;
                    p += n;
                }
            } else if (sid >= 256 && !learn_only) {
                const struct prog *t = find(d, domain, sid);
                bool ok;
                if (!t)
                    return damage(res, pos + at, "data set %u at byte %zu without "
                                  "a template", sid, pos + at);
                const uint8_t *e = data_set(t, set + SET_HDR, send, fn, ctx, res, &ok);
                if (cut)
                    return damage(res, (size_t)(e - buf), "cut short at byte %zu, "
                                  "inside a message of %zu bytes at byte %zu",
                                  len, length, pos);
                if (!ok)
                    return damage(res, (size_t)(e - buf), "a record of set %u runs "
                                  "past its set at byte %zu", sid, (size_t)(e - buf));
            }
            /* set ids 0, 1 and 4 to 255 are reserved: skipped */
            at = set_end;
        }
        if (at != length) {
            if (limit < length)
                return damage(res, pos + at, "cut short at byte %zu, inside a "
                              "message of %zu bytes at byte %zu", len, length, pos);
            return damage(res, pos + at, "%zu stray bytes at the end of the "
                          "message at byte %zu", length - at, pos);
        }
        pos += length;
    }
    res->good = pos;
    return true;
}

bool
hf_store_decode_buffer(struct hf_store_decoder *d, const uint8_t *buf, size_t len,
                       hf_store_decode_fn fn, void *ctx,
                       struct hf_store_decode_result *res)
{
    return decode(d, buf, len, 0, SIZE_MAX, fn, ctx, res, false);
}

bool
hf_store_decode_file_part(struct hf_store_decoder *d, const char *path, size_t from,
                          size_t to, hf_store_decode_fn fn, void *ctx,
                          struct hf_store_decode_result *res, uint64_t *size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool ok;

    memset(res, 0, sizeof(*res));
    if (size)
        *size = 0;
    if (fd < 0)
        return damage(res, 0, "cannot open: %s", g_strerror(errno));
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return damage(res, 0, "cannot stat: %s", g_strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return damage(res, 0, "not a regular file");
    }
    if (size)
        *size = (uint64_t)st.st_size;
    if (st.st_size == 0) {
        close(fd);
        return hf_store_decode_buffer(d, NULL, 0, fn, ctx, res);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return damage(res, 0, "cannot map: %s", g_strerror(e));
    madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
    ok = decode(d, map, (size_t)st.st_size, from, to, fn, ctx, res, true);
    munmap(map, (size_t)st.st_size);
    return ok;
}

bool
hf_store_decode_file(struct hf_store_decoder *d, const char *path,
                     hf_store_decode_fn fn, void *ctx,
                     struct hf_store_decode_result *res, uint64_t *size)
{
    return hf_store_decode_file_part(d, path, 0, SIZE_MAX, fn, ctx, res, size);
}

GArray *
hf_store_file_split(const char *path, unsigned parts)
{
    GArray *cuts = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint64_t pos = 0, next;
    unsigned k = 1;
    uint8_t h[4];

    if (fd < 0)
        return cuts;
    if (fstat(fd, &st) != 0 || parts < 2) {
        close(fd);
        return cuts;
    }
    next = (uint64_t)st.st_size / parts;
    /* hop from message header to message header; a file that is not whole
     * messages to its end is not split (its damage is told once) */
    while (pos < (uint64_t)st.st_size) {
        if (pread(fd, h, 4, (off_t)pos) != 4 || hf_be16(h) != 10 || hf_be16(h + 2) < MSG_HDR) {
            g_array_set_size(cuts, 0);
            break;
        }
        if (k < parts && pos >= next) {
            g_array_append_val(cuts, pos);
            k++;
            next = (uint64_t)st.st_size / parts * k;
        }
        pos += hf_be16(h + 2);
    }
    if (pos != (uint64_t)st.st_size)
        g_array_set_size(cuts, 0);
    close(fd);
    return cuts;
}
