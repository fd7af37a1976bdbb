#include "ipfix_template.h"

#include "extract.h"

/* RFC 7011 3.4.1 / 3.4.2: the record header, then per field specifier an
 * id (top bit: an enterprise number follows) and a length */
#define TMPL_HDR          4     /* template id, field count */
#define OPTIONS_TMPL_HDR  6     /* ... and the scope field count */
#define TMPL_SCOPE_AT     4
#define FIELD_SPEC        4     /* element id, field length */
#define FIELD_PEN         4     /* enterprise number */
#define ENTERPRISE_BIT    0x8000u

size_t
hf_ipfix_template_read(const uint8_t *p, const uint8_t *end, bool options,
                       struct hf_ipfix_tmpl_head *head,
                       struct hf_ipfix_tmpl_field *fields)
{
    size_t left = end > p ? (size_t)(end - p) : 0;
    struct hf_cursor c = hf_cur_make(p, left > UINT32_MAX ? UINT32_MAX : (uint32_t)left);
    uint32_t at = options ? OPTIONS_TMPL_HDR : TMPL_HDR;
    uint16_t tid, count, scope = 0;

    if (!hf_cur_u16(&c, 0, &tid) || !hf_cur_u16(&c, 2, &count))
        return 0;
    head->tid = tid;
    head->count = count;
    head->scope = 0;
    head->varlen = false;
    head->min_len = 0;
    head->withdrawal = count == 0;
    if (head->withdrawal)
        /* a header of 4 bytes either way */
        return tid >= 256 || tid == (options ? 3u : 2u) ? TMPL_HDR : 0;
    if (tid < 256 || !hf_cur_has(&c, at))
        return 0;
    if (options) {
        hf_cur_u16(&c, TMPL_SCOPE_AT, &scope);
        if (scope == 0 || scope > count)
            return 0;
        head->scope = scope;
    }
    for (unsigned i = 0; i < count; i++) {
        uint16_t id, len;
        uint32_t pen = 0;
        if (!hf_cur_u16(&c, at, &id) || !hf_cur_u16(&c, at + 2, &len))
            return 0;
        at += FIELD_SPEC;
        if (id & ENTERPRISE_BIT) {
            if (!hf_cur_u32(&c, at, &pen))
                return 0;
            id &= (uint16_t)~ENTERPRISE_BIT;
            at += FIELD_PEN;
        }
        if (len == HF_IPFIX_VARLEN) {
            head->varlen = true;
            head->min_len += 1;
        } else {
            head->min_len += len;
        }
        if (fields) {
            fields[i].pen = pen;
            fields[i].id = id;
            fields[i].len = len;
        }
    }
    return at;
}
