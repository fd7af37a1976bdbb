/* IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) messages: walking sets,
 * reading template sets, and handing data sets to their template. */
#include <string.h>

#include "decoder_int.h"

#define IPFIX_HDR 16
#define V9_HDR 20
#define MAX_FIELDS 512

static void
bad(struct hf_msg_ctx *m, enum hf_malformed why)
{
    m->sess->st.malformed[why]++;
}

/* ---- templates ---------------------------------------------------------- */

/* One IPFIX template record at p; returns bytes used, 0 = stop the set. */
static size_t
ipfix_template_record(struct hf_decoder *d, struct hf_msg_ctx *m,
                      const uint8_t *p, size_t len, bool options)
{
    size_t hdr = options ? 6 : 4;

    if (len < 4)
        return 0;                               /* set padding */
    uint16_t tid = rd16(p), count = rd16(p + 2);
    if (count == 0) {                           /* withdrawal */
        if (tid != 2 && tid != 3 && tid < 256) {
            bad(m, HF_BAD_TEMPLATE);
            return 0;
        }
        hf_templates_withdraw(d, m->id, tid);
        m->sess->st.template_withdrawals++;
        return 4;
    }
    if (len < hdr || tid < 256 || count > MAX_FIELDS) {
        bad(m, HF_BAD_TEMPLATE);
        return 0;
    }
    uint16_t scope = options ? rd16(p + 4) : 0;
    if (options && (scope == 0 || scope > count)) {
        bad(m, HF_BAD_TEMPLATE);
        return 0;
    }
    struct hf_template *t = hf_template_new(tid, count, scope, 10);
    size_t off = hdr;
    uint32_t total = 0;
    for (uint16_t i = 0; i < count; i++) {
        if (off + 4 > len)
            goto broken;
        uint16_t id = rd16(p + off), flen = rd16(p + off + 2);
        uint32_t pen = 0;
        off += 4;
        if (id & 0x8000) {
            if (off + 4 > len)
                goto broken;
            pen = rd32(p + off);
            id &= 0x7fff;
            off += 4;
        }
        if (flen == 0)
            goto broken;
        if (!hf_template_set_field(d, t, i, pen, id, flen))
            bad(m, HF_BAD_FIELD);
        total += flen == HF_VARLEN ? 1 : flen;
    }
    if (total > 65535 - IPFIX_HDR - 4)
        goto broken;                            /* could never fit a message */
    m->sess->st.templates++;
    if (hf_templates_add(d, m->sess, t))
        hf_pending_release(d, m->id, tid);
    return off;

broken:
    g_free(t);
    bad(m, HF_BAD_TEMPLATE);
    return 0;
}

/* One v9 template record (flowset 0) or options template (flowset 1). */
static size_t
v9_template_record(struct hf_decoder *d, struct hf_msg_ctx *m,
                   const uint8_t *p, size_t len, bool options)
{
    uint16_t tid, nscope = 0, nopt;
    size_t off;

    if (len < 4)
        return 0;
    tid = rd16(p);
    if (options) {
        if (len < 6)
            return 0;
        uint16_t scope_len = rd16(p + 2), opt_len = rd16(p + 4);
        if (scope_len % 4 || opt_len % 4 || scope_len == 0) {
            bad(m, HF_BAD_TEMPLATE);
            return 0;
        }
        nscope = scope_len / 4;
        nopt = opt_len / 4;
        off = 6;
    } else {
        nopt = rd16(p + 2);
        off = 4;
    }
    uint32_t count = (uint32_t)nscope + nopt;
    if (tid < 256 || count == 0 || count > MAX_FIELDS || off + count * 4 > len) {
        bad(m, HF_BAD_TEMPLATE);
        return 0;
    }
    struct hf_template *t = hf_template_new(tid, (uint16_t)count, nscope, 9);
    for (uint32_t i = 0; i < count; i++, off += 4) {
        uint16_t id = rd16(p + off), flen = rd16(p + off + 2);
        uint32_t pen = 0;
        if (i < nscope) {
            id = 0;                              /* scope types are their own registry */
        } else if (id >= 57472) {
            pen = HF_PEN_NTOP;                  /* ntop's v9 numbering */
            id -= 57472;
        }
        if (flen == 0 || flen == HF_VARLEN) {
            g_free(t);
            bad(m, HF_BAD_TEMPLATE);
            return 0;
        }
        if (!hf_template_set_field(d, t, (uint16_t)i, pen, id, flen))
            bad(m, HF_BAD_FIELD);
    }
    m->sess->st.templates++;
    if (hf_templates_add(d, m->sess, t))
        hf_pending_release(d, m->id, tid);
    return off;
}

typedef size_t (*template_fn)(struct hf_decoder *, struct hf_msg_ctx *,
                              const uint8_t *, size_t, bool);

static void
template_set(struct hf_decoder *d, struct hf_msg_ctx *m, const uint8_t *p,
             size_t len, bool options, template_fn fn)
{
    size_t off = 0, used;

    while (off < len && (used = fn(d, m, p + off, len - off, options)) > 0)
        off += used;
}

/* ---- data ---------------------------------------------------------------- */

void
hf_decode_data_set(struct hf_decoder *d, struct hf_msg_ctx *m,
                   const struct hf_template *t, const uint8_t *p, size_t len)
{
    size_t off = 0;

    if (t->min_len == 0)
        return;
    if (!t->varlen && len % t->min_len != 0) {
        /* padding must be zeros and shorter than a record (RFC 7011 3.3.1);
         * anything else means template and data disagree: trust neither */
        for (size_t i = len - len % t->min_len; i < len; i++) {
            if (p[i] != 0) {
                bad(m, HF_BAD_TMPL_MISMATCH);
                return;
            }
        }
    }
    while (len - off >= t->min_len) {
        size_t used = hf_decode_record(d, m, t, p + off, len - off);
        if (used == 0) {
            bad(m, HF_BAD_RECORD);
            return;
        }
        off += used;
    }
}

static void
data_set(struct hf_decoder *d, struct hf_msg_ctx *m, uint16_t tid,
         const uint8_t *p, size_t len)
{
    const struct hf_template *t = hf_templates_find(d, m->id, tid);

    if (!t) {
        hf_pending_hold(d, m, tid, p, len);
        m->held = true;
        return;
    }
    hf_decode_data_set(d, m, t, p, len);
}

/* Walks the sets of a message body; a malformed set ends the walk. */
static void
walk_sets(struct hf_decoder *d, struct hf_msg_ctx *m, const uint8_t *p,
          size_t len, bool v9)
{
    size_t off = 0;

    while (off + 4 <= len) {
        uint16_t id = rd16(p + off), slen = rd16(p + off + 2);
        if (slen < 4 || slen > len - off) {
            bad(m, HF_BAD_SET);
            return;
        }
        const uint8_t *body = p + off + 4;
        size_t blen = slen - 4u;
        if (v9 && id <= 1)
            template_set(d, m, body, blen, id == 1, v9_template_record);
        else if (!v9 && (id == 2 || id == 3))
            template_set(d, m, body, blen, id == 3, ipfix_template_record);
        else if (id >= 256)
            data_set(d, m, id, body, blen);
        /* other set ids are reserved: skipped by length */
        off += slen;
    }
    /* v9 exporters may pad the datagram; IPFIX must not leave bytes */
    if (!v9 && off != len)
        bad(m, HF_BAD_SET);
}

void
hf_decode_ipfix(struct hf_decoder *d, struct hf_msg_ctx *m, const uint8_t *msg,
                size_t len)
{
    if (len < IPFIX_HDR) {
        bad(m, HF_BAD_SHORT);
        return;
    }
    uint16_t mlen = rd16(msg + 2);
    if (mlen < IPFIX_HDR || mlen > len) {
        bad(m, HF_BAD_LENGTH);
        return;
    }
    m->export_s = rd32(msg + 4);
    uint32_t seq = rd32(msg + 8);
    walk_sets(d, m, msg + IPFIX_HDR, mlen - IPFIX_HDR, false);
    /* IPFIX counts data records; a message with held sets cannot be
     * counted yet, so the next one re-synchronises */
    if (m->held)
        m->sess->seq_valid = false;
    else
        hf_sequence_check(m->sess, seq, m->data_records);
}

void
hf_decode_v9(struct hf_decoder *d, struct hf_msg_ctx *m, const uint8_t *msg,
             size_t len)
{
    if (len < V9_HDR) {
        bad(m, HF_BAD_SHORT);
        return;
    }
    m->uptime_ms = rd32(msg + 4);
    m->export_s = rd32(msg + 8);
    uint32_t seq = rd32(msg + 12);
    walk_sets(d, m, msg + V9_HDR, len - V9_HDR, true);
    hf_sequence_check(m->sess, seq, 1);          /* v9 counts packets */
}
