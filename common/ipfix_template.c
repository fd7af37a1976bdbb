#include "ipfix_template.h"

static unsigned
get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

size_t
hf_ipfix_template_read(const uint8_t *p, const uint8_t *end, bool options,
                       struct hf_ipfix_tmpl_head *head,
                       struct hf_ipfix_tmpl_field *fields)
{
    size_t hdr = options ? 6 : 4, at, left = end > p ? (size_t)(end - p) : 0;

    if (left < 4)
        return 0;
    head->tid = get16(p);
    head->count = get16(p + 2);
    head->scope = 0;
    head->varlen = false;
    head->min_len = 0;
    head->withdrawal = head->count == 0;
    if (head->withdrawal)
        /* a header of 4 bytes either way */
        return head->tid >= 256 || head->tid == (options ? 3u : 2u) ? 4 : 0;
    if (head->tid < 256 || left < hdr)
        return 0;
    if (options) {
        head->scope = get16(p + 4);
        if (head->scope == 0 || head->scope > head->count)
            return 0;
    }
    at = hdr;
    for (unsigned i = 0; i < head->count; i++) {
        if (left - at < 4)
            return 0;
        unsigned id = get16(p + at), len = get16(p + at + 2);
        uint32_t pen = 0;
        at += 4;
        if (id & 0x8000) {
            /* an enterprise number follows */
            if (left - at < 4)
                return 0;
            pen = (uint32_t)get16(p + at) << 16 | get16(p + at + 2);
            id &= 0x7fff;
            at += 4;
        }
        if (len == HF_IPFIX_VARLEN) {
            head->varlen = true;
            head->min_len += 1;
        } else {
            head->min_len += len;
        }
        if (fields) {
            fields[i].pen = pen;
            fields[i].id = (uint16_t)id;
            fields[i].len = (uint16_t)len;
        }
    }
    return at;
}
