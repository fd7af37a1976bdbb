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

size_t
hf_ipfix_template_record(fbTemplate_t *t, uint16_t tid, uint8_t *out, size_t room)
{
    uint32_t count = fbTemplateCountElements(t);
    uint32_t scope = fbTemplateGetOptionsScope(t);
    size_t n = scope ? 6 : 4;

    for (uint32_t i = 0; i < count; i++)
        n += fbTemplateGetIndexedIE(t, i)->ent ? 8 : 4;
    if (n > room || count > UINT16_MAX)
        return 0;
    uint8_t *p = out;
    /* RFC 7011 3.4.1, 3.4.2: id, field count, [scope count], fields */
    p[0] = (uint8_t)(tid >> 8), p[1] = (uint8_t)tid;
    p[2] = (uint8_t)(count >> 8), p[3] = (uint8_t)count;
    p += 4;
    if (scope) {
        p[0] = (uint8_t)(scope >> 8), p[1] = (uint8_t)scope;
        p += 2;
    }
    for (uint32_t i = 0; i < count; i++) {
        const fbInfoElement_t *ie = fbTemplateGetIndexedIE(t, i);
        uint16_t id = (uint16_t)(ie->num | (ie->ent ? 0x8000 : 0));
        p[0] = (uint8_t)(id >> 8), p[1] = (uint8_t)id;
        p[2] = (uint8_t)(ie->len >> 8), p[3] = (uint8_t)ie->len;
        p += 4;
        if (ie->ent) {
            p[0] = (uint8_t)(ie->ent >> 24), p[1] = (uint8_t)(ie->ent >> 16);
            p[2] = (uint8_t)(ie->ent >> 8), p[3] = (uint8_t)ie->ent;
            p += 4;
        }
    }
    return n;
}
