#include "flow_encode.h"

#include <string.h>

/* A plan copies runs of the record's big-endian image (big_endian_image():
 * every field as the wire has it, in the record's own layout), one run per
 * stretch of the template's fields that lie side by side there, then the
 * strings.  A loop over one op per field, dispatched by a switch, cost a
 * mispredicted jump a field.  The runs are copied in 8-byte words, listed
 * once in the plan: a run's last word may spill past it, into what the
 * next word, the strings or the caller's slack take. */
struct run {
    uint16_t off;               /* in hf_flow_record_t and its image */
    uint16_t len;
};

#define MAX_WORDS (HF_FLOW_FIXED_LEN / 8 + 32)

struct plan {
    uint16_t fixed;             /* bytes of the fixed-length fields */
    uint16_t min_len;           /* ...and one length octet per string */
    uint8_t nruns, nvar, nwords;
    struct run runs[32];
    uint8_t word_from[MAX_WORDS], word_to[MAX_WORDS];  /* image -> output */
    uint16_t var_off[8];        /* the strings' fbVarfield_t, in order */
};

/* one per external template: HF_FLOW_VARIANTS flows or summaries */
struct hf_flow_encoder {
    uint16_t first_tid;
    struct plan plan[HF_FLOW_VARIANTS];
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
static void
big_endian_image(const hf_flow_record_t *r, hf_flow_record_t *be)
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

static bool
make_plan(fbInfoModel_t *model, uint32_t flags, struct plan *p, GError **err)
{
    size_t off = 0;

    memset(p, 0, sizeof(*p));
    for (const fbInfoElementSpec_t *s = hf_flow_spec; s->name; s++) {
        bool varlen = s->len_override == FB_IE_VARLEN;
        size_t size = varlen ? sizeof(fbVarfield_t) : s->len_override;
        /* fbTemplateAppendSpecArray(): a field whose flags are all in
         * the template's flags */
        if ((s->flags & flags) == s->flags) {
            const fbInfoElement_t *ie = fbInfoModelGetElementByName(model, s->name);
            bool integer = size == 2 || size == 4 || size == 8;
            bool endian = ie && (ie->flags & FB_IE_F_ENDIAN);
            /* the image swaps exactly the 2-, 4- and 8-byte fields */
            if (!ie || p->nruns == G_N_ELEMENTS(p->runs) || p->nvar == G_N_ELEMENTS(p->var_off)
                || (!varlen && size != 1 && integer != endian)
                || (!varlen && p->nvar)) {      /* strings come last */
                g_set_error(err, FB_ERROR_DOMAIN, FB_ERROR_NOELEMENT,
                            "flow encoder: cannot encode %s", s->name);
                return false;
            }
            if (varlen) {
                p->var_off[p->nvar++] = (uint16_t)off;
            } else {
                struct run *prev = p->nruns ? &p->runs[p->nruns - 1] : NULL;
                if (prev && prev->off + prev->len == off)
                    prev->len = (uint16_t)(prev->len + size);   /* side by side */
                else
                    p->runs[p->nruns++] = (struct run){ (uint16_t)off, (uint16_t)size };
                p->fixed = (uint16_t)(p->fixed + size);
            }
            p->min_len = (uint16_t)(p->min_len + (varlen ? 1 : size));
        }
        off += size;
    }
    unsigned to = 0;
    for (unsigned i = 0; i < p->nruns; i++) {
        for (unsigned k = 0; k < p->runs[i].len; k += 8) {
            g_assert(p->nwords < MAX_WORDS);
            p->word_from[p->nwords] = (uint8_t)(p->runs[i].off + k);
            p->word_to[p->nwords++] = (uint8_t)(to + k);
        }
        to += p->runs[i].len;
    }
    return true;
}

struct hf_flow_encoder *
hf_flow_encoder_new(fbInfoModel_t *model, uint32_t with, GError **err)
{
    struct hf_flow_encoder *e = g_new0(struct hf_flow_encoder, 1);

    e->first_tid = hf_flow_template_id(hf_flow_variants[0] | with);
    for (size_t i = 0; i < HF_FLOW_VARIANTS; i++) {
        uint32_t flags = hf_flow_variants[i] | with;
        /* the same numbering as hf_ipfix_flow_session() */
        g_assert(hf_flow_template_id(flags) == e->first_tid + i);
        if (!make_plan(model, flags, &e->plan[i], err)) {
            g_free(e);
            return NULL;
        }
    }
    return e;
}

void
hf_flow_encoder_free(struct hf_flow_encoder *e)
{
    g_free(e);
}

static const fbVarfield_t *
varfield(const hf_flow_record_t *rec, uint16_t off)
{
    return (const fbVarfield_t *)((const uint8_t *)rec + off);
}

bool
hf_flow_encode_size(const struct hf_flow_encoder *e, const hf_flow_record_t *rec,
                    uint16_t *tid, size_t *len, size_t *min_len)
{
    uint16_t t = hf_flow_template_id(hf_flow_template_flags(rec));

    if (t < e->first_tid || t >= e->first_tid + HF_FLOW_VARIANTS)
        return false;
    const struct plan *p = &e->plan[t - e->first_tid];
    size_t n = p->fixed;
    for (unsigned i = 0; i < p->nvar; i++) {
        size_t l = varfield(rec, p->var_off[i])->len;
        n += (l < 255 ? 1 : 3) + l;
    }
    *tid = t;
    *len = n;
    *min_len = p->min_len;
    return true;
}

void
hf_flow_encode(const struct hf_flow_encoder *e, uint16_t tid,
               const hf_flow_record_t *rec, uint8_t *out)
{
    const struct plan *p = &e->plan[tid - e->first_tid];
    hf_flow_record_t be;
    const uint8_t *img = (const uint8_t *)&be;

    big_endian_image(rec, &be);
    /* inlined words: a memcpy of a length known only here is a libc call */
    unsigned nwords = p->nwords;    /* not reloaded after each store */
    for (unsigned i = 0; i < nwords; i++)
        memcpy(out + p->word_to[i], img + p->word_from[i], 8);
    out += p->fixed;
    for (unsigned i = 0; i < p->nvar; i++) {
        /* RFC 7011 7: one length octet, or 255 and two */
        const fbVarfield_t *v = varfield(rec, p->var_off[i]);
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
