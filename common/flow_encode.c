#include "flow_encode.h"

#include <string.h>

/* one switch per field: integers by their size, octets as they are */
enum how { INT8, INT16, INT32, INT64, OCTETS, VARLEN };

struct op {
    uint16_t off;               /* in hf_flow_record_t */
    uint8_t len;                /* fixed fields */
    uint8_t how;
};

struct plan {
    uint16_t fixed;             /* bytes of the fixed-length fields */
    uint16_t min_len;           /* ...and one length octet per string */
    uint8_t nops;
    bool varlen;
    struct op ops[32];
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
            bool sized = varlen || size == 1 || size == 2 || size == 4 || size == 8;
            if (!ie || p->nops == G_N_ELEMENTS(p->ops)
                || (!sized && (ie->flags & FB_IE_F_ENDIAN))) {
                /* (an integer of another size: not in hf_flow_spec[]) */
                g_set_error(err, FB_ERROR_DOMAIN, FB_ERROR_NOELEMENT,
                            "flow encoder: cannot encode %s", s->name);
                return false;
            }
            bool octets = !varlen && (!(ie->flags & FB_IE_F_ENDIAN) || size == 1);
            struct op *prev = p->nops ? &p->ops[p->nops - 1] : NULL;
            if (octets && prev && (prev->how == OCTETS || prev->how == INT8)
                && prev->off + prev->len == off && prev->len + size <= 255) {
                /* octets right after octets in both layouts: one copy */
                prev->len = (uint8_t)(prev->len + size);
                prev->how = OCTETS;
            } else {
                struct op *o = &p->ops[p->nops++];
                o->off = (uint16_t)off;
                o->len = varlen ? 0 : (uint8_t)size;
                if (varlen)
                    o->how = VARLEN;
                else if (octets)
                    o->how = size == 1 ? INT8 : OCTETS;
                else
                    o->how = size == 2 ? INT16 : size == 4 ? INT32 : INT64;
            }
            p->varlen |= varlen;
            if (!varlen)
                p->fixed = (uint16_t)(p->fixed + size);
            p->min_len = (uint16_t)(p->min_len + (varlen ? 1 : size));
        }
        off += size;
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
    for (unsigned i = 0; p->varlen && i < p->nops; i++) {
        if (p->ops[i].how == VARLEN) {
            size_t l = varfield(rec, p->ops[i].off)->len;
            n += (l < 255 ? 1 : 3) + l;
        }
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
    const uint8_t *r = (const uint8_t *)rec;

    for (unsigned i = 0; i < p->nops; i++) {
        const struct op *o = &p->ops[i];
        const uint8_t *f = r + o->off;
        uint16_t v16;
        uint32_t v32;
        uint64_t v64;

        switch (o->how) {
        case INT8:
            *out++ = *f;
            break;
        case INT16:
            memcpy(&v16, f, 2);
            v16 = GUINT16_TO_BE(v16);
            memcpy(out, &v16, 2);
            out += 2;
            break;
        case INT32:
            memcpy(&v32, f, 4);
            v32 = GUINT32_TO_BE(v32);
            memcpy(out, &v32, 4);
            out += 4;
            break;
        case INT64:
            memcpy(&v64, f, 8);
            v64 = GUINT64_TO_BE(v64);
            memcpy(out, &v64, 8);
            out += 8;
            break;
        case OCTETS:
            memcpy(out, f, o->len);
            out += o->len;
            break;
        case VARLEN: {
            /* RFC 7011 7: one length octet, or 255 and two */
            const fbVarfield_t *v = varfield(rec, o->off);
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
            break;
        }
        }
    }
}
