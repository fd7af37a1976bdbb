/* The flow encoder's plans (flow_encode.c makes them), and the encoding
 * of one record through them: inline, for hf_flow_messages_add(), which
 * encodes every record the store and the probe write (a call into
 * another file per record, and one more for its size, were a sixth of
 * the store's instructions). */
#ifndef HOSTFLOW_FLOW_ENCODE_INT_H
#define HOSTFLOW_FLOW_ENCODE_INT_H

#include <string.h>
#include "flow_encode.h"

/* A plan copies runs of the record's big-endian image
 * (hf_flow_big_endian_image(): every field as the wire has it, in the
 * record's own layout), one run per stretch of the template's fields that
 * lie side by side there, then the strings.  A loop over one op per field, dispatched by a switch, cost a
 * mispredicted jump a field.  The runs are copied in 8-byte words, listed
 * once in the plan: a run's last word may spill past it, into what the
 * next word, the strings or the caller's slack take. */
struct hf_flow_run {
    uint16_t off;               /* in hf_flow_record_t and its image */
    uint16_t len;
};

#define HF_FLOW_MAX_WORDS (HF_FLOW_FIXED_LEN / 8 + 32)

struct hf_flow_plan {
    uint16_t fixed;             /* bytes of the fixed-length fields */
    uint16_t min_len;           /* ...and one length octet per string */
    uint8_t nruns, nvar, nwords;
    struct hf_flow_run runs[32];
    uint8_t word_from[HF_FLOW_MAX_WORDS], word_to[HF_FLOW_MAX_WORDS];  /* image -> output */
    uint16_t var_off[8];        /* the strings' fbVarfield_t, in order */
};

/* one per external template: HF_FLOW_VARIANTS flows or summaries */
struct hf_flow_encoder {
    uint16_t first_tid;
    struct hf_flow_plan plan[HF_FLOW_VARIANTS];
};

/* hf_flow_record_t is hf_flow_spec[] laid end to end (no holes): the
 * offsets follow from the lengths. */
G_STATIC_ASSERT(offsetof(hf_flow_record_t, hostflowHostname) == 128);
G_STATIC_ASSERT(sizeof(hf_flow_record_t) == 128 + 6 * sizeof(fbVarfield_t));
/* hf_flow_encode() reads a run's last word whole: past the fixed part,
 * it stays in the record */
G_STATIC_ASSERT(sizeof(hf_flow_record_t) >= HF_FLOW_FIXED_LEN + 7);
G_STATIC_ASSERT(HF_FLOW_FIXED_LEN + 8 <= UINT8_MAX);    /* word offsets */

/* The fixed-length fields as IPFIX encodes them: integers of 2, 4 and 8
 * bytes big-endian (make_plan() checks that the information model has
 * every such field of the spec as an integer), octets as they are. */
static inline void
hf_flow_big_endian_image(const hf_flow_record_t *r, hf_flow_record_t *be)
{
    memcpy(be, r, HF_FLOW_FIXED_LEN);           /* octets and single bytes */
    be->flowStartMilliseconds = GUINT64_TO_BE(r->flowStartMilliseconds);
    be->flowEndMilliseconds = GUINT64_TO_BE(r->flowEndMilliseconds);
    be->octetDeltaCount = GUINT64_TO_BE(r->octetDeltaCount);
    be->packetDeltaCount = GUINT64_TO_BE(r->packetDeltaCount);
    be->deltaFlowCount = GUINT64_TO_BE(r->deltaFlowCount);
    be->sourceIPv4Address = GUINT32_TO_BE(r->sourceIPv4Address);
    be->destinationIPv4Address = GUINT32_TO_BE(r->destinationIPv4Address);
    be->ingressInterface = GUINT32_TO_BE(r->ingressInterface);
    be->egressInterface = GUINT32_TO_BE(r->egressInterface);
    be->samplingPacketInterval = GUINT32_TO_BE(r->samplingPacketInterval);
    be->sourceTransportPort = GUINT16_TO_BE(r->sourceTransportPort);
    be->destinationTransportPort = GUINT16_TO_BE(r->destinationTransportPort);
    be->vlanId = GUINT16_TO_BE(r->vlanId);
    be->icmpTypeCodeIPv4 = GUINT16_TO_BE(r->icmpTypeCodeIPv4);
    be->icmpTypeCodeIPv6 = GUINT16_TO_BE(r->icmpTypeCodeIPv6);
    be->tcpControlBits = GUINT16_TO_BE(r->tcpControlBits);
}

static inline const fbVarfield_t *
hf_flow_varfield(const hf_flow_record_t *rec, uint16_t off)
{
    return (const fbVarfield_t *)((const uint8_t *)rec + off);
}

/* The external template id for rec, the length of its encoding and the
 * template's shortest record (empty strings); false if the encoder has no
 * template for it (a summary record in a session of flows, or the
 * reverse). */
static inline bool
hf_flow_encode_size(const struct hf_flow_encoder *e, const hf_flow_record_t *rec,
                    uint16_t *tid, size_t *len, size_t *min_len)
{
    uint16_t t = hf_flow_template_id(hf_flow_template_flags(rec));

    if (t < e->first_tid || t >= e->first_tid + HF_FLOW_VARIANTS)
        return false;
    const struct hf_flow_plan *p = &e->plan[t - e->first_tid];
    size_t n = p->fixed;
    for (unsigned i = 0; i < p->nvar; i++) {
        size_t l = hf_flow_varfield(rec, p->var_off[i])->len;
        n += (l < 255 ? 1 : 3) + l;
    }
    *tid = t;
    *len = n;
    *min_len = p->min_len;
    return true;
}

/* Writes rec in template tid's layout at out (len bytes, as
 * hf_flow_encode_size() said); up to HF_FLOW_ENCODE_SLACK bytes after
 * them may be written over too. */
#define HF_FLOW_ENCODE_SLACK 8
static inline void
hf_flow_encode(const struct hf_flow_encoder *e, uint16_t tid,
               const hf_flow_record_t *rec, uint8_t *out)
{
    const struct hf_flow_plan *p = &e->plan[tid - e->first_tid];
    hf_flow_record_t be;
    const uint8_t *img = (const uint8_t *)&be;

    hf_flow_big_endian_image(rec, &be);
    /* inlined words: a memcpy of a length known only here is a libc call */
    unsigned nwords = p->nwords;    /* not reloaded after each store */
    for (unsigned i = 0; i < nwords; i++)
        memcpy(out + p->word_to[i], img + p->word_from[i], 8);
    out += p->fixed;
    for (unsigned i = 0; i < p->nvar; i++) {
        /* RFC 7011 7: one length octet, or 255 and two */
        const fbVarfield_t *v = hf_flow_varfield(rec, p->var_off[i]);
        if (v->len < 255) {
            *out++ = (uint8_t)v->len;
        } else {
            *out++ = 255;
            *out++ = (uint8_t)(v->len >> 8);
            *out++ = (uint8_t)v->len;
        }
        if (v->len)
            memcpy(out, v->buf, v->len);
        out += v->len;
    }
}

#endif
