/* One template record of an IPFIX template set (set id 2) or options
 * template set (set id 3), RFC 7011 3.4.1 and 3.4.2, read field by field
 * with every length checked: shared by the readers that learn templates
 * from bytes (common/ipfix_scan.c, query/store_decode.c). */
#ifndef HOSTFLOW_IPFIX_TEMPLATE_H
#define HOSTFLOW_IPFIX_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HF_IPFIX_VARLEN 0xffff

struct hf_ipfix_tmpl_head {
    unsigned tid, count, scope;
    bool withdrawal;            /* count 0: tid withdrawn (2 / 3: all) */
    bool varlen;                /* a field of variable length */
    uint32_t min_len;           /* the shortest record it allows (a
                                   variable-length field: its 1-byte prefix) */
};

struct hf_ipfix_tmpl_field {
    uint32_t pen;               /* 0: IANA */
    uint16_t id, len;           /* len HF_IPFIX_VARLEN: variable length */
};

/* The template record at p, in a set ending at end: fills *head and, when
 * fields is not NULL, fields[0 .. head->count - 1].  Returns the bytes the
 * record takes; 0 when it is not a valid one (padding at the end of a set,
 * a reserved id, a bad scope count, a field cut short): the rest of the
 * set is then to be ignored.  Read once with fields NULL to learn the
 * count, then again into an array that size. */
size_t hf_ipfix_template_read(const uint8_t *p, const uint8_t *end, bool options,
                              struct hf_ipfix_tmpl_head *head,
                              struct hf_ipfix_tmpl_field *fields);

#endif
