/* IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) messages: the header, the
 * walk over sets, template sets (IPFIX's read by common/ipfix_template.c),
 * and data sets handed to their template, or held until it comes. */
#include <string.h>

#include "decoder_int.h"
#include "ipfix_template.h"

/* IPFIX message header (RFC 7011 3.1) */
#define IPFIX_LENGTH_AT       2
#define IPFIX_EXPORT_TIME_AT  4
#define IPFIX_SEQUENCE_AT     8     /* data records sent before this one */
#define IPFIX_DOMAIN_AT       12
#define IPFIX_HDR             16
/* NetFlow v9 packet header (RFC 3954 5.1) */
#define V9_UPTIME_AT          4     /* sysUptime, ms */
#define V9_UNIX_SECS_AT       8
#define V9_SEQUENCE_AT        12    /* packets sent before this one */
#define V9_SOURCE_ID_AT       16
#define V9_HDR                20
/* set / flowset header: id, length (header included) */
#define SET_ID_AT             0
#define SET_LENGTH_AT         2
#define SET_HDR               4
#define IPFIX_TEMPLATE_SET    2
#define IPFIX_OPTIONS_SET     3
#define V9_TEMPLATE_SET       0
#define V9_OPTIONS_SET        1
#define FIRST_DATA_SET        256
/* v9 template records (RFC 3954 5.2, 6.1) */
#define V9_TMPL_ID_AT         0
#define V9_TMPL_COUNT_AT      2
#define V9_TMPL_HDR           4
#define V9_OPTS_SCOPE_LEN_AT  2     /* bytes of scope field specifiers */
#define V9_OPTS_LEN_AT        4     /* bytes of option field specifiers */
#define V9_OPTS_HDR           6
#define V9_FIELD_SPEC         4     /* type, length */
#define V9_NTOP_BASE          57472 /* ntop's v9 numbering of its elements */

#define MAX_FIELDS 512

uint32_t
hf_ipfix_domain(struct hf_cursor msg)
{
    uint32_t domain = 0;

    hf_cur_u32(&msg, IPFIX_DOMAIN_AT, &domain);
    return domain;
}

uint32_t
hf_v9_domain(struct hf_cursor msg)
{
    uint32_t domain = 0;

    hf_cur_u32(&msg, V9_SOURCE_ID_AT, &domain);
    return domain;
}

/* A compiled template is stored; what waited for it is decoded. */
static void
template_learned(struct hf_decoder *d, struct hf_msg_ctx *m,
                 struct hf_template *t)
{
    uint16_t tid = t->tid;

    hf_template_layout(t);
    m->sess->st.templates++;
    if (hf_templates_add(d, m->sess, t))
        hf_pending_release(d, m->id, tid);
}

/* ---- templates ---------------------------------------------------------- */

/* One IPFIX template record at the start of rest; returns bytes used, 0 =
 * stop the set (padding, or a malformed record: counted). */
static uint32_t
ipfix_template_record(struct hf_decoder *d, struct hf_msg_ctx *m,
                      struct hf_cursor rest, bool options)
{
    struct hf_ipfix_tmpl_head h;
    struct hf_ipfix_tmpl_field f[MAX_FIELDS];
    const uint8_t *end = rest.p + rest.len;
    size_t used;

    if (!hf_cur_has(&rest, 4))
        return 0;                               /* set padding */
    used = hf_ipfix_template_read(rest.p, end, options, &h, NULL);
    if (used && h.withdrawal) {
        hf_templates_withdraw(d, m->id, (uint16_t)h.tid);
        m->sess->st.template_withdrawals++;
        return (uint32_t)used;
    }
    /* a field of length 0 carries nothing; a template whose records could
     * never fit a message is absurd */
    if (!used || h.count > MAX_FIELDS || h.min_len > 65535 - IPFIX_HDR - SET_HDR) {
        hf_bad(m, HF_BAD_TEMPLATE);
        return 0;
    }
    hf_ipfix_template_read(rest.p, end, options, &h, f);
    struct hf_template *t = hf_template_new((uint16_t)h.tid, (uint16_t)h.count,
                                            (uint16_t)h.scope, 10);
    for (unsigned i = 0; i < h.count; i++) {
        if (f[i].len == 0) {
            g_free(t);
            hf_bad(m, HF_BAD_TEMPLATE);
            return 0;
        }
        if (!hf_template_set_field(d, t, (uint16_t)i, f[i].pen, f[i].id, f[i].len))
            hf_bad(m, HF_BAD_FIELD);
    }
    template_learned(d, m, t);
    return (uint32_t)used;
}

/* One v9 template record (flowset 0) or options template (flowset 1). */
static uint32_t
v9_template_record(struct hf_decoder *d, struct hf_msg_ctx *m,
                   struct hf_cursor rest, bool options)
{
    uint16_t tid, nscope = 0, nopt;
    uint32_t off;

    if (!hf_cur_u16(&rest, V9_TMPL_ID_AT, &tid))
        return 0;                               /* flowset padding */
    if (options) {
        uint16_t scope_len, opt_len;
        if (!hf_cur_u16(&rest, V9_OPTS_SCOPE_LEN_AT, &scope_len)
            || !hf_cur_u16(&rest, V9_OPTS_LEN_AT, &opt_len))
            return 0;
        if (scope_len % V9_FIELD_SPEC || opt_len % V9_FIELD_SPEC || scope_len == 0) {
            hf_bad(m, HF_BAD_TEMPLATE);
            return 0;
        }
        nscope = scope_len / V9_FIELD_SPEC;
        nopt = opt_len / V9_FIELD_SPEC;
        off = V9_OPTS_HDR;
    } else {
        if (!hf_cur_u16(&rest, V9_TMPL_COUNT_AT, &nopt))
            return 0;
        off = V9_TMPL_HDR;
    }
    uint32_t count = (uint32_t)nscope + nopt;
    if (tid < FIRST_DATA_SET || count == 0 || count > MAX_FIELDS
        || !hf_cur_has_at(&rest, off, count * V9_FIELD_SPEC)) {
        hf_bad(m, HF_BAD_TEMPLATE);
        return 0;
    }
    struct hf_template *t = hf_template_new(tid, (uint16_t)count, nscope, 9);
    for (uint32_t i = 0; i < count; i++, off += V9_FIELD_SPEC) {
        uint16_t id = 0, flen = 0;
        uint32_t pen = 0;
        hf_cur_u16(&rest, off, &id);            /* within the checked span */
        hf_cur_u16(&rest, off + 2, &flen);
        if (i < nscope) {
            id = 0;                              /* scope types are their own registry */
        } else if (id >= V9_NTOP_BASE) {
            pen = HF_PEN_NTOP;
            id -= V9_NTOP_BASE;
        }
        if (flen == 0 || flen == HF_VARLEN) {
            g_free(t);
            hf_bad(m, HF_BAD_TEMPLATE);
            return 0;
        }
        if (!hf_template_set_field(d, t, (uint16_t)i, pen, id, flen))
            hf_bad(m, HF_BAD_FIELD);
    }
    template_learned(d, m, t);
    return off;
}

typedef uint32_t (*template_fn)(struct hf_decoder *, struct hf_msg_ctx *,
                                struct hf_cursor, bool);

static void
template_set(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor set,
             bool options, template_fn fn)
{
    uint32_t used;

    while (set.len > 0 && (used = fn(d, m, set, options)) > 0)
        hf_cur_skip(&set, used);
}

/* ---- data ---------------------------------------------------------------- */

static void
data_set(struct hf_decoder *d, struct hf_msg_ctx *m, uint16_t tid,
         struct hf_cursor set)
{
    const struct hf_template *t = hf_templates_find(d, m->id, tid);

    if (!t) {
        hf_pending_hold(d, m, tid, set);
        m->held = true;
        return;
    }
    hf_decode_data_set(d, m, t, set);
}

/* Walks the sets of a message body; a malformed set ends the walk. */
static void
walk_sets(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor body,
          bool v9)
{
    uint32_t off = 0;
    uint16_t id, slen;

    while (hf_cur_u16(&body, off + SET_ID_AT, &id)
           && hf_cur_u16(&body, off + SET_LENGTH_AT, &slen)) {
        struct hf_cursor set;
        if (slen < SET_HDR || !hf_cur_sub(&body, off + SET_HDR, slen - SET_HDR, &set)) {
            hf_bad(m, HF_BAD_SET);
            return;
        }
        if (v9 && (id == V9_TEMPLATE_SET || id == V9_OPTIONS_SET))
            template_set(d, m, set, id == V9_OPTIONS_SET, v9_template_record);
        else if (!v9 && (id == IPFIX_TEMPLATE_SET || id == IPFIX_OPTIONS_SET))
            template_set(d, m, set, id == IPFIX_OPTIONS_SET, ipfix_template_record);
        else if (id >= FIRST_DATA_SET)
            data_set(d, m, id, set);
        /* other set ids are reserved: skipped by length */
        off += slen;
    }
    /* v9 exporters may pad the datagram; IPFIX must not leave bytes */
    if (!v9 && off != body.len)
        hf_bad(m, HF_BAD_SET);
}

void
hf_decode_ipfix(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor msg)
{
    uint16_t mlen = 0;
    uint32_t seq = 0;

    if (!hf_cur_has(&msg, IPFIX_HDR)) {
        hf_bad(m, HF_BAD_SHORT);
        return;
    }
    hf_cur_u16(&msg, IPFIX_LENGTH_AT, &mlen);
    if (mlen < IPFIX_HDR || mlen > msg.len) {
        hf_bad(m, HF_BAD_LENGTH);
        return;
    }
    hf_cur_u32(&msg, IPFIX_EXPORT_TIME_AT, &m->export_s);
    hf_cur_u32(&msg, IPFIX_SEQUENCE_AT, &seq);
    hf_cur_limit(&msg, mlen);
    hf_cur_skip(&msg, IPFIX_HDR);
    walk_sets(d, m, msg, false);
    /* IPFIX counts data records; a message with held sets cannot be
     * counted yet, so the next one re-synchronises */
    if (m->held)
        m->sess->seq_valid = false;
    else
        hf_sequence_check(m->sess, seq, m->data_records);
}

void
hf_decode_v9(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor msg)
{
    uint32_t seq = 0;

    if (!hf_cur_has(&msg, V9_HDR)) {
        hf_bad(m, HF_BAD_SHORT);
        return;
    }
    hf_cur_u32(&msg, V9_UPTIME_AT, &m->uptime_ms);
    hf_cur_u32(&msg, V9_UNIX_SECS_AT, &m->export_s);
    hf_cur_u32(&msg, V9_SEQUENCE_AT, &seq);
    hf_cur_skip(&msg, V9_HDR);
    walk_sets(d, m, msg, true);
    hf_sequence_check(m->sess, seq, 1);          /* v9 counts packets */
}
