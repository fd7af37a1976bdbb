#include "ipfix_scan.h"
#include "ipfix_template.h"
#include "ipfix_tmpl_table.h"

#include <string.h>
#include <glib.h>

#define MSG_HDR 16
#define SET_HDR 4
#define VARLEN 0xffff

struct tmpl {
    bool options;               /* has scope fields */
    bool varlen;                /* has variable-length fields */
    size_t min_len;             /* a record with empty variable fields */
    uint16_t n;
    uint16_t len[];             /* field lengths; VARLEN: variable */
};

struct hf_ipfix_scan {
    struct hf_tmpl_table *tmpls;   /* struct tmpl by domain and id */
};

static unsigned
get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void
put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

struct hf_ipfix_scan *
hf_ipfix_scan_new(void)
{
    struct hf_ipfix_scan *s = g_new0(struct hf_ipfix_scan, 1);

    s->tmpls = hf_tmpl_table_new(g_free);
    return s;
}

void
hf_ipfix_scan_free(struct hf_ipfix_scan *s)
{
    if (!s)
        return;
    hf_tmpl_table_free(s->tmpls);
    g_free(s);
}

/* One template record at p (end: its set's end); returns its length, 0 if
 * it is not a valid one (the rest of the set is then ignored). */
static size_t
template_record(struct hf_ipfix_scan *s, uint32_t domain, bool options,
                const uint8_t *p, const uint8_t *end)
{
    struct hf_ipfix_tmpl_head h;
    struct hf_ipfix_tmpl_field *f;
    size_t at = hf_ipfix_template_read(p, end, options, &h, NULL);

    if (!at)
        return 0;
    if (h.withdrawal) {
        hf_tmpl_table_withdraw(s->tmpls, domain, h.tid);
        return at;
    }
    f = g_new(struct hf_ipfix_tmpl_field, h.count);
    hf_ipfix_template_read(p, end, options, &h, f);
    struct tmpl *t = g_malloc(sizeof(*t) + h.count * sizeof(uint16_t));
    t->options = options;
    t->varlen = h.varlen;
    t->min_len = h.min_len;
    t->n = (uint16_t)h.count;
    for (unsigned i = 0; i < h.count; i++)
        t->len[i] = f[i].len;
    g_free(f);
    if (t->min_len == 0) {
        g_free(t);              /* fields of length 0 only: never ends */
        return 0;
    }
    /* beyond the bound new ones are not learnt: their sets skip as unknown */
    hf_tmpl_table_put(s->tmpls, domain, h.tid, t);
    return at;
}

static void
template_set(struct hf_ipfix_scan *s, uint32_t domain, bool options,
             const uint8_t *p, const uint8_t *end)
{
    while (end - p >= 4) {
        size_t n = template_record(s, domain, options, p, end);
        if (!n)
            break;              /* padding, or not a template */
        p += n;
    }
}

/* Length of the data record at p, 0 if it does not end by end. */
static size_t
data_record(const struct tmpl *t, const uint8_t *p, const uint8_t *end)
{
    size_t left = (size_t)(end - p), at = 0;

    if (!t->varlen)
        return left >= t->min_len ? t->min_len : 0;
    for (unsigned i = 0; i < t->n; i++) {
        size_t len = t->len[i];
        if (len == VARLEN) {
            if (at >= left)
                return 0;
            len = p[at++];
            if (len == 255) {
                if (left - at < 2)
                    return 0;
                len = get16(p + at);
                at += 2;
            }
        }
        if (left - at < len)
            return 0;
        at += len;
    }
    return at;
}

/* Walks the data records of a set in [p, end); complete: end is the set's
 * own end (else the bytes stop there).  Returns the end of its last whole
 * record; *ok: no more records could follow (the rest is padding). */
static const uint8_t *
data_set(const struct tmpl *t, const uint8_t *p, const uint8_t *end,
         struct hf_ipfix_extent *x, bool *ok)
{
    while ((size_t)(end - p) >= t->min_len) {
        size_t n = data_record(t, p, end);
        if (!n)
            break;
        p += n;
        if (t->options)
            x->options_records++;
        else
            x->records++;
    }
    *ok = (size_t)(end - p) < t->min_len;
    return p;
}

void
hf_ipfix_scan_message(struct hf_ipfix_scan *s, const uint8_t *msg,
                      size_t avail, struct hf_ipfix_extent *x)
{
    size_t length, limit, at;
    uint32_t domain;

    memset(x, 0, sizeof(*x));
    if (avail < MSG_HDR || get16(msg) != 10 || get16(msg + 2) < MSG_HDR)
        return;
    length = get16(msg + 2);
    limit = avail < length ? avail : length;
    domain = get32(msg + 12);
    x->length = length;
    at = MSG_HDR;
    while (at < limit) {
        const uint8_t *set = msg + at;
        size_t set_len, set_end;
        unsigned sid;

        if (limit - at < SET_HDR)
            break;
        sid = get16(set);
        set_len = get16(set + 2);
        if (set_len < SET_HDR || at + set_len > length)
            break;              /* malformed: the message reads to here */
        set_end = at + set_len;
        if (set_end > limit) {
            /* cut short: keep its whole data records */
            const struct tmpl *t = sid >= 256 ? hf_tmpl_table_find(s->tmpls, domain, sid)
                                              : NULL;
            bool ok;
            if (t) {
                const uint8_t *e = data_set(t, set + SET_HDR, msg + limit, x, &ok);
                if (e > set + SET_HDR) {
                    x->cut_set = at;
                    x->good = (size_t)(e - msg);
                    return;
                }
            }
            break;
        }
        if (sid == 2 || sid == 3) {
            template_set(s, domain, sid == 3, set + SET_HDR, msg + set_end);
        } else if (sid >= 256) {
            const struct tmpl *t = hf_tmpl_table_find(s->tmpls, domain, sid);
            bool ok = true;
            /* a set without its template is skipped whole, as readers do */
            if (t) {
                const uint8_t *e = data_set(t, set + SET_HDR, msg + set_end, x, &ok);
                if (!ok) {
                    /* a record runs past its set: whole up to it */
                    if (e > set + SET_HDR) {
                        x->cut_set = at;
                        x->good = (size_t)(e - msg);
                    } else {
                        x->good = at;
                    }
                    return;
                }
            }
        }
        /* set ids 0, 1 and 4 to 255 are reserved: skipped */
        at = set_end;
    }
    x->good = at;
    x->whole = at == length;
}

size_t
hf_ipfix_scan_stream(struct hf_ipfix_scan *s, const uint8_t *buf, size_t len,
                     struct hf_ipfix_extent *tail, uint64_t *records,
                     uint64_t *options_records)
{
    size_t pos = 0;

    memset(tail, 0, sizeof(*tail));
    while (pos < len) {
        struct hf_ipfix_extent x;

        hf_ipfix_scan_message(s, buf + pos, len - pos, &x);
        if (!x.whole) {
            *tail = x;
            break;
        }
        *records += x.records;
        *options_records += x.options_records;
        pos += x.length;
    }
    return pos;
}

size_t
hf_ipfix_scan_repair(const uint8_t *msg, const struct hf_ipfix_extent *x,
                     uint8_t *out)
{
    size_t good = x->good;

    if (good <= MSG_HDR || good > HF_IPFIX_MSG_MAX
        || (x->cut_set && (x->cut_set < MSG_HDR || x->cut_set + SET_HDR >= good)))
        return 0;
    memcpy(out, msg, good);
    put16(out + 2, good);
    if (x->cut_set)
        put16(out + x->cut_set + 2, good - x->cut_set);
    return good;
}
