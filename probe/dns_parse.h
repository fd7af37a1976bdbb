/* DNS responses as the name cache needs them: the question name and every
 * A/AAAA address the answer gives for it, directly or through its CNAME
 * chain.  Bounds-checked (extract.h), compression pointers followed with a
 * loop limit; never allocates. */
#ifndef HOSTFLOW_DNS_PARSE_H
#define HOSTFLOW_DNS_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#define HF_DNS_MAX_ADDRS 32

struct hf_dns_addr {
    uint8_t  family;          /* 4 or 6 */
    uint8_t  addr[16];        /* IPv4 in the first 4 bytes */
    uint32_t ttl;             /* seconds, as the answer gave it */
};

struct hf_dns_msg {
    bool     is_response;
    uint16_t id;
    uint8_t  rcode;
    uint16_t qtype;
    uint16_t qname_len;
    char     qname[256];      /* lower case, no trailing dot, "" for the root */
    uint32_t n_addrs;
    struct hf_dns_addr addrs[HF_DNS_MAX_ADDRS];
};

/* Parses one DNS message (a UDP payload; for TCP, without the 2-byte length
 * prefix).  Queries parse too (qname only).  False if it is not a
 * well-formed DNS message with exactly one question. */
bool hf_dns_parse(const uint8_t *msg, uint32_t len, struct hf_dns_msg *out);

#endif
