/* Where IPFIX messages, sets and data records end (RFC 7011), found in the
 * bytes without decoding a field: templates (set ids 2 and 3) are learnt
 * as record layouts (fixed lengths, variable-length fields with their 1- or
 * 3-byte length prefix, enterprise numbers skipped), data sets are walked
 * record by record.
 *
 * For reading a file cut short up to its last whole record (crash
 * recovery), and for walking store files fast.  The input may be damaged:
 * every length is checked against the bytes given. */
#ifndef HOSTFLOW_IPFIX_SCAN_H
#define HOSTFLOW_IPFIX_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HF_IPFIX_MSG_MAX 65535

/* The templates learnt so far, per observation domain. */
struct hf_ipfix_scan;

struct hf_ipfix_scan *hf_ipfix_scan_new(void);
void hf_ipfix_scan_free(struct hf_ipfix_scan *s);

/* How far one message reads whole. */
struct hf_ipfix_extent {
    size_t length;              /* its header's length; 0: no valid header */
    bool whole;                 /* all present, every set well formed */
    size_t good;                /* bytes from its start to the end of its
                                 * last whole set or data record: length
                                 * when whole; 0 without a valid header */
    size_t cut_set;             /* the data set cut at good (its records
                                 * before good are whole); 0: good falls
                                 * between sets */
    uint64_t records;           /* data records before good ... */
    uint64_t options_records;   /* ... of templates with scope */
};

/* Scans the message at msg, of which avail bytes are present (fewer than
 * its length when cut short), and learns the templates of its first good
 * bytes. */
void hf_ipfix_scan_message(struct hf_ipfix_scan *s, const uint8_t *msg,
                           size_t avail, struct hf_ipfix_extent *x);

/* Scans the messages of buf (a file's bytes) up to the first one that is
 * not whole; returns the length of the whole ones, adds their records to
 * *records and *options_records, and fills *tail with the scan of what
 * follows them (all zero at the end of buf). */
size_t hf_ipfix_scan_stream(struct hf_ipfix_scan *s, const uint8_t *buf,
                            size_t len, struct hf_ipfix_extent *tail,
                            uint64_t *records, uint64_t *options_records);

/* Writes the first x->good bytes of msg into out (HF_IPFIX_MSG_MAX bytes)
 * as a whole message: the header's length and the cut set's length say
 * what is kept.  Returns its length; 0 when no set would be left. */
size_t hf_ipfix_scan_repair(const uint8_t *msg,
                            const struct hf_ipfix_extent *x, uint8_t *out);

#endif
