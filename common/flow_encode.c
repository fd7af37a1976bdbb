#include "flow_encode_int.h"

#include <string.h>

static bool
make_plan(fbInfoModel_t *model, uint32_t flags, struct hf_flow_plan *p, GError **err)
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
                struct hf_flow_run *prev = p->nruns ? &p->runs[p->nruns - 1] : NULL;
                if (prev && prev->off + prev->len == off)
                    prev->len = (uint16_t)(prev->len + size);   /* side by side */
                else
                    p->runs[p->nruns++] = (struct hf_flow_run){ (uint16_t)off, (uint16_t)size };
                p->fixed = (uint16_t)(p->fixed + size);
            }
            p->min_len = (uint16_t)(p->min_len + (varlen ? 1 : size));
        }
        off += size;
    }
    unsigned to = 0;
    for (unsigned i = 0; i < p->nruns; i++) {
        for (unsigned k = 0; k < p->runs[i].len; k += 8) {
            g_assert(p->nwords < HF_FLOW_MAX_WORDS);
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
