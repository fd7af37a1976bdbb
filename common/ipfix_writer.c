#include "ipfix_writer.h"

bool
hf_ipfix_add_template(fbSession_t *s, gboolean internal, uint16_t tid,
                      fbTemplate_t *t, GError **err)
{
    if (!t)
        return false;
    if (!fbSessionAddTemplate(s, internal, tid, t, err)) {
        fbTemplateFreeUnused(t);
        return false;
    }
    return true;
}

fbSession_t *
hf_ipfix_flow_session(fbInfoModel_t *model, uint32_t domain, uint32_t with,
                      GError **err)
{
    fbSession_t *s = fbSessionAlloc(model);

    /* templates belong to the domain current when they are added */
    fbSessionSetDomain(s, domain);
    if (!hf_ipfix_add_template(s, TRUE, HF_TID_INTERNAL,
                               hf_flow_template(model, UINT32_MAX, err), err)
        || !hf_ipfix_add_template(s, TRUE, HF_TID_INTERNAL_FIXED,
                                  hf_flow_template(model, HF_TMPL_INTERNAL_FIXED, err), err))
        goto fail;
    for (size_t i = 0; i < HF_FLOW_VARIANTS; i++) {
        uint32_t v = hf_flow_variants[i] | with;
        if (!hf_ipfix_add_template(s, FALSE, hf_flow_template_id(v),
                                   hf_flow_template(model, v, err), err))
            goto fail;
    }
    return s;

fail:
    fbSessionFree(s);
    return NULL;
}

bool
hf_ipfix_append_flow(fBuf_t *fbuf, const hf_flow_record_t *rec, GError **err)
{
    uint32_t flags = hf_flow_template_flags(rec);
    bool names = flags & HF_TMPL_NAMES;

    return fBufSetInternalTemplate(fbuf, names ? HF_TID_INTERNAL : HF_TID_INTERNAL_FIXED, err)
        && fBufSetExportTemplate(fbuf, hf_flow_template_id(flags), err)
        && fBufAppend(fbuf, (uint8_t *)rec, names ? sizeof(*rec) : HF_FLOW_FIXED_LEN, err);
}
