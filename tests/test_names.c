/* Name pool, DNS parser and name cache checks over handcrafted messages.
 * One line per check; exit status 0 when all pass.  Every parse runs on a
 * heap copy of exactly the message's bytes, so AddressSanitizer sees any
 * read past the end. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_parse.h"
#include "name_cache.h"
#include "name_pool.h"
#include "check.h"

/* ---- message building -------------------------------------------------- */

struct msg {
    uint8_t b[65536];
    uint32_t len;
};

#define QR       0x8000
#define RD_RA    0x0180
#define T_A      1
#define T_NS     2
#define T_CNAME  5
#define T_PTR    12
#define T_AAAA   28
#define C_IN     1

static void put8(struct msg *m, uint8_t v) { m->b[m->len++] = v; }

static void put16(struct msg *m, uint16_t v)
{
    put8(m, (uint8_t)(v >> 8));
    put8(m, (uint8_t)v);
}

static void put32(struct msg *m, uint32_t v)
{
    put16(m, (uint16_t)(v >> 16));
    put16(m, (uint16_t)v);
}

static void put_bytes(struct msg *m, const void *p, uint32_t n)
{
    memcpy(m->b + m->len, p, n);
    m->len += n;
}

static void header(struct msg *m, uint16_t id, uint16_t flags, uint16_t qd,
                   uint16_t an, uint16_t ns, uint16_t ar)
{
    m->len = 0;
    put16(m, id);
    put16(m, flags);
    put16(m, qd);
    put16(m, an);
    put16(m, ns);
    put16(m, ar);
}

/* The labels of a dotted name, without the terminating root label. */
static void put_labels(struct msg *m, const char *dotted)
{
    while (*dotted) {
        const char *dot = strchr(dotted, '.');
        size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
        put8(m, (uint8_t)n);
        put_bytes(m, dotted, (uint32_t)n);
        dotted += n + (dot ? 1 : 0);
    }
}

static uint16_t put_name(struct msg *m, const char *dotted)
{
    uint16_t at = (uint16_t)m->len;

    put_labels(m, dotted);
    put8(m, 0);
    return at;
}

static void put_ptr(struct msg *m, uint16_t off) { put16(m, 0xc000 | off); }

/* labels, then a pointer to the rest of the name */
static uint16_t put_name_ptr(struct msg *m, const char *labels, uint16_t off)
{
    uint16_t at = (uint16_t)m->len;

    put_labels(m, labels);
    put_ptr(m, off);
    return at;
}

static uint16_t question(struct msg *m, const char *name, uint16_t qtype)
{
    uint16_t at = put_name(m, name);

    put16(m, qtype);
    put16(m, C_IN);
    return at;
}

/* Type, class, TTL and rdata, after an owner name the caller wrote. */
static void rr_tail(struct msg *m, uint16_t type, uint16_t class, uint32_t ttl,
                    const void *rdata, uint16_t rdlen)
{
    put16(m, type);
    put16(m, class);
    put32(m, ttl);
    put16(m, rdlen);
    put_bytes(m, rdata, rdlen);
}

static void rr_a(struct msg *m, uint32_t ttl, uint8_t a, uint8_t b, uint8_t c,
                 uint8_t d)
{
    const uint8_t ip[4] = { a, b, c, d };
    rr_tail(m, T_A, C_IN, ttl, ip, 4);
}

static void rr_aaaa(struct msg *m, uint32_t ttl, uint8_t last)
{
    const uint8_t ip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = last };
    rr_tail(m, T_AAAA, C_IN, ttl, ip, 16);
}

/* CNAME whose target is written by the caller: returns where rdlength is. */
static uint32_t rr_cname_start(struct msg *m, uint32_t ttl)
{
    put16(m, T_CNAME);
    put16(m, C_IN);
    put32(m, ttl);
    put16(m, 0);
    return m->len - 2;
}

static void rr_cname_end(struct msg *m, uint32_t rdlen_at)
{
    uint16_t n = (uint16_t)(m->len - rdlen_at - 2);
    m->b[rdlen_at] = (uint8_t)(n >> 8);
    m->b[rdlen_at + 1] = (uint8_t)n;
}

static void rr_cname(struct msg *m, uint32_t ttl, const char *target)
{
    uint32_t at = rr_cname_start(m, ttl);
    put_name(m, target);
    rr_cname_end(m, at);
}

/* Parses an exact-size heap copy of the first len bytes. */
static bool parse_n(const struct msg *m, uint32_t len, struct hf_dns_msg *out)
{
    uint8_t *copy = malloc(len ? len : 1);
    bool ok;

    memcpy(copy, m->b, len);
    ok = hf_dns_parse(len ? copy : NULL, len, out);
    free(copy);
    return ok;
}

static bool parse(const struct msg *m, struct hf_dns_msg *out)
{
    return parse_n(m, m->len, out);
}

static bool has_v4(const struct hf_dns_msg *d, uint8_t a, uint8_t b,
                   uint8_t c, uint8_t e)
{
    const uint8_t ip[4] = { a, b, c, e };
    for (uint32_t i = 0; i < d->n_addrs; i++)
        if (d->addrs[i].family == 4 && memcmp(d->addrs[i].addr, ip, 4) == 0)
            return true;
    return false;
}

static bool has_v6(const struct hf_dns_msg *d, uint8_t last)
{
    const uint8_t ip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = last };
    for (uint32_t i = 0; i < d->n_addrs; i++)
        if (d->addrs[i].family == 6 && memcmp(d->addrs[i].addr, ip, 16) == 0)
            return true;
    return false;
}

/* Every prefix of m parses without reading past it (ASan), fails while the
 * header or question is cut, and otherwise gives a subset of the whole
 * message's addresses. */
static void check_all_truncations(const struct msg *m, uint32_t question_end,
                                  const char *what)
{
    struct hf_dns_msg full, part;
    bool ok = true;

    parse(m, &full);
    for (uint32_t len = 0; len < m->len; len++) {
        bool parsed = parse_n(m, len, &part);
        if (parsed != (len >= question_end)) {
            ok = false;
            printf("  %s: prefix %u parsed=%d\n", what, len, parsed);
            continue;
        }
        if (!parsed)
            continue;
        if (strcmp(part.qname, full.qname) != 0 || part.n_addrs > full.n_addrs)
            ok = false;
        for (uint32_t i = 0; i < part.n_addrs; i++) {
            bool found = false;
            for (uint32_t j = 0; j < full.n_addrs; j++)
                found |= part.addrs[i].family == full.addrs[j].family &&
                         !memcmp(part.addrs[i].addr, full.addrs[j].addr, 16);
            ok &= found;
        }
    }
    CHECK(ok, "%s: all %u prefixes parse safely, addresses a subset", what,
          m->len);
}

/* ---- DNS parser -------------------------------------------------------- */

static void test_simple(void)
{
    struct msg m;
    struct hf_dns_msg d;

    header(&m, 0x1234, QR | RD_RA, 1, 1, 0, 0);
    uint16_t q = question(&m, "WWW.Example.COM", T_A);
    uint32_t qend = m.len;
    put_ptr(&m, q);
    rr_a(&m, 300, 93, 184, 216, 34);
    CHECK(parse(&m, &d), "simple A response parses");
    CHECK(d.is_response && d.id == 0x1234 && d.rcode == 0 && d.qtype == T_A,
          "header fields: response id 0x%04x rcode %u qtype %u", d.id,
          d.rcode, d.qtype);
    CHECK(strcmp(d.qname, "www.example.com") == 0 && d.qname_len == 15,
          "qname lower-cased: %s", d.qname);
    CHECK(d.n_addrs == 1 && d.addrs[0].family == 4 && d.addrs[0].ttl == 300 &&
          has_v4(&d, 93, 184, 216, 34), "one A with its TTL");
    check_all_truncations(&m, qend, "simple");

    /* the same as a query */
    header(&m, 7, 0x0100, 1, 0, 0, 0);
    question(&m, "example.org", T_AAAA);
    CHECK(parse(&m, &d) && !d.is_response && d.n_addrs == 0 &&
          d.qtype == T_AAAA && strcmp(d.qname, "example.org") == 0,
          "query parses: qname only");

    /* NXDOMAIN keeps its rcode */
    header(&m, 8, QR | 3, 1, 0, 0, 0);
    question(&m, "nope.example", T_A);
    CHECK(parse(&m, &d) && d.rcode == 3 && d.n_addrs == 0, "NXDOMAIN rcode 3");

    /* root question */
    header(&m, 9, QR, 1, 0, 0, 0);
    question(&m, "", T_NS);
    CHECK(parse(&m, &d) && d.qname_len == 0 && d.qname[0] == '\0',
          "root question gives \"\"");
}

static void test_cname_chain(void)
{
    struct msg m;
    struct hf_dns_msg d;

    /* www.example.com → cdn.example.com → edge.cdn.net: two A, one AAAA;
     * names compressed and in mixed case; unrelated records around. */
    header(&m, 1, QR | RD_RA, 1, 8, 0, 0);
    uint16_t q = question(&m, "www.example.com", T_A);
    uint32_t qend = m.len;
    put_ptr(&m, q);
    uint32_t at = rr_cname_start(&m, 60);
    uint16_t cdn = put_name_ptr(&m, "cdn", (uint16_t)(q + 4)); /* example.com */
    rr_cname_end(&m, at);
    put_name(&m, "CDN.EXAMPLE.COM");                 /* uncompressed, upper */
    at = rr_cname_start(&m, 60);
    uint16_t edge = put_name(&m, "edge.cdn.net");
    rr_cname_end(&m, at);
    put_ptr(&m, edge);
    rr_a(&m, 20, 10, 0, 0, 1);
    put_name(&m, "other.org");                        /* not in the chain */
    rr_a(&m, 20, 9, 9, 9, 9);
    put_ptr(&m, edge);
    rr_tail(&m, 16 /* TXT */, C_IN, 20, "\x03txt", 4);
    put_ptr(&m, edge);
    rr_a(&m, 20, 10, 0, 0, 2);
    put_ptr(&m, edge);
    rr_aaaa(&m, 30, 1);
    put_ptr(&m, cdn);                                 /* chain member, direct */
    rr_a(&m, 40, 10, 0, 0, 3);

    CHECK(parse(&m, &d), "CNAME chain parses");
    CHECK(d.n_addrs == 4 && has_v4(&d, 10, 0, 0, 1) && has_v4(&d, 10, 0, 0, 2) &&
          has_v4(&d, 10, 0, 0, 3) && has_v6(&d, 1) && !has_v4(&d, 9, 9, 9, 9),
          "chain addresses collected (4), unrelated owner skipped: %u",
          d.n_addrs);
    CHECK(strcmp(d.qname, "www.example.com") == 0, "qname is the question");
    check_all_truncations(&m, qend, "chain");

    /* CNAME listed after the records it leads to */
    header(&m, 2, QR, 1, 3, 0, 0);
    q = question(&m, "a.example", T_A);
    put_name(&m, "c.example");
    rr_a(&m, 5, 10, 1, 1, 1);
    put_ptr(&m, q);
    rr_cname(&m, 5, "b.example");
    put_name(&m, "b.example");
    rr_cname(&m, 5, "c.example");
    CHECK(parse(&m, &d) && d.n_addrs == 1 && has_v4(&d, 10, 1, 1, 1),
          "out-of-order CNAMEs still lead to the address");

    /* CNAME loop: a → b → a, plus an address of a */
    header(&m, 3, QR, 1, 3, 0, 0);
    q = question(&m, "a.loop", T_A);
    put_ptr(&m, q);
    rr_cname(&m, 5, "b.loop");
    put_name(&m, "b.loop");
    rr_cname(&m, 5, "a.loop");
    put_ptr(&m, q);
    rr_a(&m, 5, 10, 2, 2, 2);
    CHECK(parse(&m, &d) && d.n_addrs == 1, "CNAME loop ends, address kept");
}

/* n0 → n1 → ... → n<steps>, then an A for the last name. */
static void chain_of(struct msg *m, unsigned steps)
{
    char name[32], next[32];

    header(m, 4, QR, 1, (uint16_t)(steps + 1), 0, 0);
    question(m, "n0.chain", T_A);
    for (unsigned i = 0; i < steps; i++) {
        snprintf(name, sizeof name, "n%u.chain", i);
        snprintf(next, sizeof next, "n%u.chain", i + 1);
        put_name(m, name);
        rr_cname(m, 5, next);
    }
    snprintf(name, sizeof name, "n%u.chain", steps);
    put_name(m, name);
    rr_a(m, 5, 10, 3, 3, 3);
}

static void test_chain_limit(void)
{
    struct msg m;
    struct hf_dns_msg d;

    chain_of(&m, 16);
    CHECK(parse(&m, &d) && d.n_addrs == 1, "16 CNAME steps are followed");
    chain_of(&m, 17);
    CHECK(parse(&m, &d) && d.n_addrs == 0, "the 17th CNAME step is not");
}

static void test_many_addresses(void)
{
    struct msg m;
    struct hf_dns_msg d;

    header(&m, 5, QR, 1, 40, 0, 0);
    uint16_t q = question(&m, "many.example", T_A);
    for (unsigned i = 0; i < 40; i++) {
        put_ptr(&m, q);
        rr_a(&m, 5, 10, 4, 0, (uint8_t)i);
    }
    CHECK(parse(&m, &d) && d.n_addrs == HF_DNS_MAX_ADDRS,
          "40 addresses: the first %d kept", HF_DNS_MAX_ADDRS);

    header(&m, 6, QR, 1, 4, 0, 0);
    q = question(&m, "dup.example", T_A);
    put_ptr(&m, q);
    rr_a(&m, 5, 10, 5, 0, 1);
    put_ptr(&m, q);
    rr_a(&m, 9, 10, 5, 0, 1);
    put_ptr(&m, q);
    rr_tail(&m, T_A, C_IN, 5, "\x0a\x05\x00\x02\x00", 5);  /* bad rdlength */
    put_ptr(&m, q);
    rr_a(&m, 0x80000000u, 10, 5, 0, 3);
    CHECK(parse(&m, &d) && d.n_addrs == 2 && has_v4(&d, 10, 5, 0, 1) &&
          has_v4(&d, 10, 5, 0, 3) && !has_v4(&d, 10, 5, 0, 2),
          "duplicate kept once, A with rdlength 5 skipped");
    CHECK(d.n_addrs == 2 && d.addrs[0].ttl == 5 && d.addrs[1].ttl == 0,
          "TTL with the top bit set reads as 0 (RFC 2181)");

    /* class CH A record is not an address for us */
    header(&m, 6, QR, 1, 1, 0, 0);
    q = question(&m, "ch.example", T_A);
    put_ptr(&m, q);
    rr_tail(&m, T_A, 3, 5, "\x0a\x05\x00\x02", 4);
    CHECK(parse(&m, &d) && d.n_addrs == 0, "class CH A ignored");
}

static void test_large(void)
{
    static struct msg m;
    struct hf_dns_msg d;

    /* 65535 bytes of answers, all for the question */
    header(&m, 7, QR, 1, 0, 0, 0);
    uint16_t q = question(&m, "big.example", T_A);
    uint16_t n = 0;
    while (m.len + 16 <= 65535) {
        put_ptr(&m, q);
        rr_a(&m, 5, 10, 6, (uint8_t)(n >> 8), (uint8_t)n);
        n++;
    }
    m.b[6] = (uint8_t)(n >> 8);
    m.b[7] = (uint8_t)n;
    bool ok = parse(&m, &d);
    CHECK(ok && d.n_addrs == HF_DNS_MAX_ADDRS,
          "%u answers in %u bytes: the first %u kept", n, m.len, d.n_addrs);

    /* beyond 64 records, answers are taken in their order */
    header(&m, 8, QR, 1, 70, 0, 0);
    q = question(&m, "late.example", T_A);
    put_name(&m, "target.example");
    rr_a(&m, 5, 10, 7, 0, 1);
    for (int i = 0; i < 68; i++) {
        put_ptr(&m, q);
        rr_tail(&m, 16, C_IN, 5, "\x01x", 2);
    }
    put_ptr(&m, q);
    rr_cname(&m, 5, "target.example");
    CHECK(parse(&m, &d) && d.n_addrs == 0,
          "70 records: a CNAME after its target's address is not looked back on");
}

static void test_mdns(void)
{
    struct msg m;
    struct hf_dns_msg d;
    uint16_t q;

    /* RFC 6762 response: no question, cache-flush bit in the class */
    header(&m, 0, QR | 0x0400, 0, 4, 0, 0);
    put_name(&m, "_airplay._tcp.local");
    rr_tail(&m, T_PTR, C_IN, 4500, "\xc0\x0c", 2);
    uint16_t host = put_name(&m, "MyHost.local");
    rr_tail(&m, T_A, 0x8001, 120, "\xc0\xa8\x01\x05", 4);
    put_ptr(&m, host);
    rr_aaaa(&m, 120, 0x55);
    put_name(&m, "other.local");
    rr_a(&m, 120, 192, 168, 1, 9);
    CHECK(parse(&m, &d), "mDNS response without question parses");
    CHECK(strcmp(d.qname, "myhost.local") == 0 && d.n_addrs == 2 &&
          has_v4(&d, 192, 168, 1, 5) && has_v6(&d, 0x55) &&
          !has_v4(&d, 192, 168, 1, 9),
          "first address owner stands in for the question: %s, %u addresses",
          d.qname, d.n_addrs);

    /* the common layout: services answer, the host's addresses follow as
     * additional records */
    header(&m, 0, QR | 0x0400, 0, 2, 0, 2);
    uint16_t svc = put_name(&m, "_ssh._tcp.local");
    rr_tail(&m, T_PTR, C_IN, 4500, "\x04mini\xc0\x0c", 7);
    put_name_ptr(&m, "mini", svc);
    rr_tail(&m, 33 /* SRV */, 0x8001, 120,
            "\0\0\0\0\0\x16\x04Mini\x05local\0", 18);
    host = put_name(&m, "Mini.local");
    rr_tail(&m, T_A, 0x8001, 120, "\xc0\xa8\x01\x07", 4);
    put_ptr(&m, host);
    rr_aaaa(&m, 120, 0x77);
    CHECK(parse(&m, &d) && strcmp(d.qname, "mini.local") == 0 &&
          d.n_addrs == 2 && has_v4(&d, 192, 168, 1, 7) && has_v6(&d, 0x77),
          "mDNS addresses in the additional section are used");

    /* with a question, additional records stay out */
    header(&m, 0, QR, 1, 0, 0, 1);
    q = question(&m, "mini.local", T_A);
    put_ptr(&m, q);
    rr_a(&m, 120, 192, 168, 1, 7);
    CHECK(parse(&m, &d) && d.n_addrs == 0,
          "with a question, additional addresses are ignored");

    header(&m, 0, QR | 0x0400, 0, 1, 0, 0);
    put_name(&m, "_airplay._tcp.local");
    rr_tail(&m, T_PTR, C_IN, 4500, "\xc0\x0c", 2);
    CHECK(!parse(&m, &d), "mDNS response without any address: false");

    header(&m, 0, 0, 0, 0, 0, 0);
    CHECK(!parse(&m, &d), "query without question: false");

    /* an owner with a control byte is walked past */
    header(&m, 0, QR | 0x0400, 0, 2, 0, 0);
    put_name(&m, "Bob\tPhone._rdlink._tcp.local");
    rr_tail(&m, T_A, C_IN, 10, "\x01\x02\x03\x04", 4);
    put_name(&m, "bobs-phone.local");
    rr_a(&m, 10, 10, 9, 9, 9);
    CHECK(parse(&m, &d) && strcmp(d.qname, "bobs-phone.local") == 0 &&
          d.n_addrs == 1, "unprintable owner skipped, next one used");

    /* an owner with a space (a service instance name) is a name like any
     * other: DNS labels may hold any octet */
    header(&m, 0, QR | 0x0400, 0, 1, 0, 0);
    put_name(&m, "Bob's Phone._rdlink._tcp.local");
    rr_tail(&m, T_A, C_IN, 10, "\x01\x02\x03\x04", 4);
    CHECK(parse(&m, &d) && strcmp(d.qname, "bob's phone._rdlink._tcp.local") == 0 &&
          d.n_addrs == 1, "owner with a space kept, lower-cased: %s", d.qname);
}

static void test_malformed(void)
{
    struct msg m;
    struct hf_dns_msg d;

    header(&m, 1, QR, 2, 0, 0, 0);
    question(&m, "a.example", T_A);
    question(&m, "b.example", T_A);
    CHECK(!parse(&m, &d), "two questions: false");

    header(&m, 1, QR | (5 << 11), 1, 0, 0, 0);
    question(&m, "zone.example", 6);
    CHECK(!parse(&m, &d), "opcode UPDATE: false");

    /* question name pointing at itself */
    header(&m, 1, QR, 1, 0, 0, 0);
    put_ptr(&m, 12);
    put16(&m, T_A);
    put16(&m, C_IN);
    CHECK(!parse(&m, &d), "self-pointer loop: false");

    /* two pointers at each other */
    header(&m, 1, QR, 1, 0, 0, 0);
    put_ptr(&m, 14);
    put_ptr(&m, 12);
    put16(&m, T_A);
    put16(&m, C_IN);
    CHECK(!parse(&m, &d), "pointer ping-pong: false");

    /* a label then a pointer back to it: the name grows without end */
    header(&m, 1, QR, 1, 0, 0, 0);
    put_name_ptr(&m, "a", 12);
    put16(&m, T_A);
    put16(&m, C_IN);
    CHECK(!parse(&m, &d), "label + pointer loop: false (name > 255)");

    /* pointer past the end */
    header(&m, 1, QR, 1, 0, 0, 0);
    put_ptr(&m, 0x3fff);
    put16(&m, T_A);
    put16(&m, C_IN);
    CHECK(!parse(&m, &d), "pointer beyond the message: false");

    /* answer owner loops: question intact, so true without addresses */
    header(&m, 1, QR, 1, 2, 0, 0);
    question(&m, "ok.example", T_A);
    uint16_t self = (uint16_t)m.len;
    put_ptr(&m, self);
    rr_a(&m, 5, 1, 1, 1, 1);
    CHECK(parse(&m, &d) && d.n_addrs == 0 && strcmp(d.qname, "ok.example") == 0,
          "answer with a looping owner ends the walk, question kept");

    /* 0x40 / 0x80 label types */
    header(&m, 1, QR, 1, 0, 0, 0);
    put8(&m, 0x41);
    put8(&m, 'a');
    put8(&m, 0);
    put16(&m, T_A);
    put16(&m, C_IN);
    CHECK(!parse(&m, &d), "extended label type: false");

    /* unprintable question */
    header(&m, 1, QR, 1, 0, 0, 0);
    put_bytes(&m, "\x03" "a\x01" "b\x00", 5);
    put16(&m, T_A);
    put16(&m, C_IN);
    CHECK(!parse(&m, &d), "control byte in the question name: false");

    CHECK(!hf_dns_parse(NULL, 0, &d), "NULL, 0: false");
}

static void long_name(struct msg *m, unsigned label_len, unsigned labels,
                      unsigned last_len)
{
    header(m, 1, QR, 1, 0, 0, 0);
    for (unsigned i = 0; i <= labels; i++) {
        unsigned n = i == labels ? last_len : label_len;
        if (!n)
            break;
        put8(m, (uint8_t)n);
        for (unsigned j = 0; j < n; j++)
            put8(m, 'a' + (uint8_t)(j % 26));
    }
    put8(m, 0);
    put16(m, T_A);
    put16(m, C_IN);
}

static void test_long_names(void)
{
    struct msg m;
    struct hf_dns_msg d;

    long_name(&m, 63, 1, 0);
    CHECK(parse(&m, &d) && d.qname_len == 63, "63-byte label accepted");
    long_name(&m, 64, 1, 0);
    CHECK(!parse(&m, &d), "64-byte label: false");
    /* 3 × 64 + 62 + 1 = 255 wire bytes: 253 characters */
    long_name(&m, 63, 3, 61);
    CHECK(parse(&m, &d) && d.qname_len == 253 && strlen(d.qname) == 253,
          "255-byte wire name accepted (253 chars)");
    long_name(&m, 63, 3, 62);
    CHECK(!parse(&m, &d), "256-byte wire name: false");
    /* 127 one-byte labels: 255 wire bytes */
    long_name(&m, 1, 127, 0);
    CHECK(parse(&m, &d) && d.qname_len == 253, "127 labels accepted");
    long_name(&m, 1, 128, 0);
    CHECK(!parse(&m, &d), "128 labels: false");
}

/* ---- name pool --------------------------------------------------------- */

static void test_pool(void)
{
    struct hf_name *a = hf_name_get("Example.COM", 11);
    struct hf_name *b = hf_name_get("example.com", 11);
    struct hf_name *c = hf_name_get("example.comX", 11);  /* a prefix */

    CHECK(a && a == b && c == a && a->refs == 3,
          "case and length fold to one name (refs %u)", a ? a->refs : 0);
    CHECK(a && strcmp(a->str, "example.com") == 0 && a->len == 11,
          "stored lower case");
    CHECK(hf_name_pool_count() == 1 && hf_name_pool_bytes() > 11,
          "pool: 1 name, %zu bytes", hf_name_pool_bytes());
    CHECK(!hf_name_get("", 0) && !hf_name_get("x", 256) &&
          !hf_name_get("a\0b", 3), "len 0, len 256, embedded NUL: NULL");

    char big[256];
    memset(big, 'Q', sizeof big);
    struct hf_name *m = hf_name_get(big, 255);
    CHECK(m && m->len == 255 && m->str[0] == 'q' && m->str[255] == '\0',
          "255 chars accepted");
    hf_name_unref(m);
    hf_name_unref(a);
    hf_name_unref(b);
    CHECK(hf_name_pool_count() == 1, "still alive with one reference");
    hf_name_unref(c);
    hf_name_unref(NULL);
    CHECK(hf_name_pool_count() == 0 && hf_name_pool_bytes() == 0,
          "all released: pool empty");
}

/* ---- name cache -------------------------------------------------------- */

#define SEC 1000000ull

static const uint8_t CLIENT_A[16] = { 10, 0, 0, 1 };
static const uint8_t CLIENT_B[16] = { 10, 0, 0, 2 };
static const uint8_t CLIENT_C[16] = { 10, 0, 0, 3 };

static void v4(uint8_t out[16], uint32_t ip)
{
    memset(out, 0, 16);
    out[0] = (uint8_t)(ip >> 24);
    out[1] = (uint8_t)(ip >> 16);
    out[2] = (uint8_t)(ip >> 8);
    out[3] = (uint8_t)ip;
}

static void put_name_str(struct hf_name_cache *c, const uint8_t *client,
                         const uint8_t addr[16], const char *name,
                         uint32_t ttl, uint64_t now)
{
    struct hf_name *n = hf_name_get(name, strlen(name));
    hf_name_cache_put(c, 4, client, addr, n, ttl, now);
    hf_name_unref(n);
}

static bool got(struct hf_name_cache *c, const uint8_t *client,
                const uint8_t addr[16], uint64_t now, const char *want,
                bool want_by_client)
{
    bool by_client = !want_by_client;
    struct hf_name *n = hf_name_cache_get(c, 4, client, addr, now, &by_client, NULL);

    if (!want)
        return n == NULL;
    return n && strcmp(n->str, want) == 0 && by_client == want_by_client;
}

/* The client's own answer, its TTL run out: still given, marked stale. */
static bool got_stale(struct hf_name_cache *c, const uint8_t *client,
                      const uint8_t addr[16], uint64_t now, const char *want)
{
    bool by_client = false, stale = false;
    struct hf_name *n = hf_name_cache_get(c, 4, client, addr, now, &by_client, &stale);

    return n && strcmp(n->str, want) == 0 && by_client && stale;
}

static void test_cache_pairs(void)
{
    struct hf_name_cache_config cfg = { 1000, 1 << 20, 300, 3600 };
    struct hf_name_cache *c = hf_name_cache_new(&cfg);
    uint8_t x[16], y[16];

    v4(x, 0x5db8d822);
    v4(y, 0x01020304);
    put_name_str(c, CLIENT_A, x, "a.example", 60, 0);
    put_name_str(c, CLIENT_B, x, "b.example", 60, SEC);
    struct hf_name_cache_stats st = hf_name_cache_stats(c);
    CHECK(st.entries == 3 && st.inserts == 3,
          "two clients, one address: 2 pairs + 1 address entry (%" PRIu64 ")",
          st.entries);
    CHECK(got(c, CLIENT_A, x, 2 * SEC, "a.example", true), "pair hit for A");
    CHECK(got(c, CLIENT_B, x, 2 * SEC, "b.example", true), "pair hit for B");
    CHECK(got(c, CLIENT_C, x, 2 * SEC, "b.example", false),
          "fallback for C: the latest answer");
    CHECK(got(c, NULL, x, 2 * SEC, "b.example", false), "NULL client: fallback");
    CHECK(got(c, CLIENT_A, y, 2 * SEC, NULL, false), "unknown address: miss");

    /* IPv4 ignores bytes 4..15 of the arrays */
    uint8_t x_junk[16], a_junk[16];
    memcpy(x_junk, x, 16);
    memcpy(a_junk, CLIENT_A, 16);
    memset(x_junk + 4, 0xee, 12);
    memset(a_junk + 4, 0x77, 12);
    CHECK(got(c, a_junk, x_junk, 2 * SEC, "a.example", true),
          "IPv4 keys use 4 bytes only");
    CHECK(!hf_name_cache_get(c, 6, CLIENT_A, x, 2 * SEC, NULL, NULL),
          "same bytes as IPv6: miss");

    st = hf_name_cache_stats(c);
    CHECK(st.hits == 3 && st.fallback_hits == 2 && st.misses == 2,
          "stats: hits %" PRIu64 " fallback %" PRIu64 " misses %" PRIu64,
          st.hits, st.fallback_hits, st.misses);
    hf_name_cache_free(c);
    CHECK(hf_name_pool_count() == 0, "cache freed: names released");
}

static void test_cache_expiry(void)
{
    struct hf_name_cache_config cfg = { 1000, 1 << 20, 300, 3600 };
    struct hf_name_cache *c = hf_name_cache_new(&cfg);
    uint8_t x[16], y[16];
    uint64_t t0 = 1700000000ull * SEC;

    v4(x, 0x0a000001);
    v4(y, 0x0a000002);
    put_name_str(c, CLIENT_A, x, "short.example", 5, t0);
    put_name_str(c, CLIENT_A, y, "long.example", 999999, t0);
    CHECK(got(c, CLIENT_A, x, t0 + 299 * SEC, "short.example", true),
          "TTL 5 raised to the 300 s floor: alive at 299 s");
    CHECK(got_stale(c, CLIENT_A, x, t0 + 300 * SEC, "short.example") &&
          got(c, CLIENT_B, x, t0 + 300 * SEC, NULL, false),
          "at 300 s: the client's own answer stale, the fallback for others gone");
    CHECK(got(c, CLIENT_A, y, t0 + 3599 * SEC, "long.example", true),
          "TTL 999999 cut to the 3600 s ceiling: alive at 3599 s");
    CHECK(got_stale(c, CLIENT_A, y, t0 + 3600 * SEC, "long.example"), "stale at 3600 s");
    struct hf_name_cache_stats st = hf_name_cache_stats(c);
    CHECK(st.entries == 3 && st.expirations == 1 && st.stale_hits == 2,
          "stale pairs kept, the expired fallback dropped: %" PRIu64 " left, %" PRIu64
          " expirations, %" PRIu64 " stale hits", st.entries, st.expirations, st.stale_hits);
    /* a fresher answer replaces a stale one */
    put_name_str(c, CLIENT_A, x, "fresh.example", 60, t0 + 4000 * SEC);
    CHECK(got(c, CLIENT_A, x, t0 + 4001 * SEC, "fresh.example", true),
          "a new answer replaces the stale one, live again");
    hf_name_cache_free(c);
    c = hf_name_cache_new(&cfg);

    /* refresh: new name, later expiry, no new entry */
    put_name_str(c, CLIENT_A, x, "first.example", 300, t0);
    uint64_t bytes_before = hf_name_cache_stats(c).bytes;
    put_name_str(c, CLIENT_A, x, "second-longer.example", 300, t0 + 200 * SEC);
    st = hf_name_cache_stats(c);
    CHECK(st.entries == 2 && st.bytes == bytes_before + 2 * 8,
          "refresh keeps 2 entries, bytes follow the name length");
    CHECK(got(c, CLIENT_A, x, t0 + 450 * SEC, "second-longer.example", true),
          "refresh extends life past the first expiry");
    CHECK(hf_name_pool_count() == 1, "old name released on refresh");

    /* a ceiling below the floor is raised to it */
    hf_name_cache_free(c);
    struct hf_name_cache_config odd = { 10, 1 << 20, 100, 10 };
    c = hf_name_cache_new(&odd);
    put_name_str(c, CLIENT_A, x, "odd.example", 50, 0);
    CHECK(got(c, CLIENT_A, x, 99 * SEC, "odd.example", true) &&
          got_stale(c, CLIENT_A, x, 100 * SEC, "odd.example"), "ceiling < floor: floor");
    hf_name_cache_free(c);
    CHECK(hf_name_pool_count() == 0, "cache freed: names released");
}

static void test_cache_lru(void)
{
    struct hf_name_cache_config cfg = { 3, 1 << 20, 300, 3600 };
    struct hf_name_cache *c = hf_name_cache_new(&cfg);
    uint8_t a[4][16];

    for (int i = 0; i < 4; i++)
        v4(a[i], 0x0a000000u + (uint32_t)i);
    /* NULL client: address entries only, one per put */
    put_name_str(c, NULL, a[0], "zero.example", 300, 0);
    put_name_str(c, NULL, a[1], "one.example", 300, 1);
    put_name_str(c, NULL, a[2], "two.example", 300, 2);
    CHECK(got(c, NULL, a[0], 3, "zero.example", false), "touch the oldest");
    put_name_str(c, NULL, a[3], "three.example", 300, 4);
    struct hf_name_cache_stats st = hf_name_cache_stats(c);
    CHECK(st.entries == 3 && st.evictions == 1, "full: one eviction");
    CHECK(got(c, NULL, a[1], 5, NULL, false),
          "least recently used (one) evicted");
    CHECK(got(c, NULL, a[0], 5, "zero.example", false) &&
          got(c, NULL, a[2], 5, "two.example", false) &&
          got(c, NULL, a[3], 5, "three.example", false), "the others stay");

    /* refresh moves an entry to the new end too */
    put_name_str(c, NULL, a[3], "three.example", 300, 6);
    put_name_str(c, NULL, a[0], "zero.example", 300, 6);
    put_name_str(c, NULL, a[1], "one.example", 300, 7);
    CHECK(got(c, NULL, a[2], 8, NULL, false) &&
          got(c, NULL, a[3], 8, "three.example", false),
          "refreshed entries outlive an untouched one");
    hf_name_cache_free(c);

    /* byte cap: room for exactly two entries of this name length */
    struct hf_name_cache_config probe_cfg = { 100, 1 << 20, 300, 3600 };
    c = hf_name_cache_new(&probe_cfg);
    put_name_str(c, NULL, a[0], "b0.example", 300, 0);
    uint64_t one = hf_name_cache_stats(c).bytes;
    hf_name_cache_free(c);
    struct hf_name_cache_config bytes_cfg = { 100, 2 * one + one / 2, 300, 3600 };
    c = hf_name_cache_new(&bytes_cfg);
    put_name_str(c, NULL, a[0], "b0.example", 300, 0);
    put_name_str(c, NULL, a[1], "b1.example", 300, 1);
    put_name_str(c, NULL, a[2], "b2.example", 300, 2);
    st = hf_name_cache_stats(c);
    CHECK(st.entries == 2 && st.bytes == 2 * one && st.evictions == 1 &&
          got(c, NULL, a[0], 3, NULL, false),
          "byte cap of 2.5 entries holds 2 (%" PRIu64 " bytes each)", one);
    hf_name_cache_free(c);

    /* caps smaller than one entry: nothing stored, nothing leaked */
    struct hf_name_cache_config tiny = { 100, 8, 300, 3600 };
    c = hf_name_cache_new(&tiny);
    put_name_str(c, CLIENT_A, a[0], "tiny.example", 300, 0);
    st = hf_name_cache_stats(c);
    CHECK(st.entries == 0 && st.bytes == 0 && hf_name_pool_count() == 0,
          "8-byte cap stores nothing");
    hf_name_cache_free(c);

    c = hf_name_cache_new(NULL);
    put_name_str(c, CLIENT_A, a[0], "defaults.example", 1, 0);
    CHECK(got(c, CLIENT_A, a[0], 299 * SEC, "defaults.example", true) &&
          got_stale(c, CLIENT_A, a[0], 300 * SEC, "defaults.example"),
          "NULL config: 300 s default floor");
    hf_name_cache_free(c);
    CHECK(hf_name_pool_count() == 0, "caches freed: pool empty");
}

/* One million distinct answers into a cache capped well below that. */
static void test_flood(void)
{
    const uint32_t max_entries = 100000;
    const uint64_t max_bytes = 8ull << 20;
    struct hf_name_cache_config cfg = { max_entries, max_bytes, 300, 3600 };
    struct hf_name_cache *c = hf_name_cache_new(&cfg);
    struct hf_name_cache_stats st = { 0 };
    uint64_t max_seen_entries = 0, max_seen_bytes = 0;
    size_t max_pool = 0;
    bool within = true, pool_bounded = true, lookups_ok = true;
    uint8_t client[16] = { 0 }, addr[16];
    char name[64];

    for (uint32_t i = 0; i < 1000000; i++) {
        int n = snprintf(name, sizeof name, "host-%u.flood%u.example", i, i % 97);
        struct hf_name *nm = hf_name_get(name, (size_t)n);
        v4(client, 0xc0a80000u | (i & 0xff));
        v4(addr, 0x0b000000u + i);
        hf_name_cache_put(c, 4, client, addr, nm, i % 7200, (uint64_t)i * 1000);
        hf_name_unref(nm);

        st = hf_name_cache_stats(c);
        within &= st.entries <= max_entries && st.bytes <= max_bytes;
        if (st.entries > max_seen_entries) max_seen_entries = st.entries;
        if (st.bytes > max_seen_bytes) max_seen_bytes = st.bytes;
        size_t pool = hf_name_pool_count();
        if (pool > max_pool) max_pool = pool;
        pool_bounded &= pool <= st.entries;
        if (i % 1000 == 0) {
            bool by;
            struct hf_name *g = hf_name_cache_get(c, 4, client, addr,
                                                  (uint64_t)i * 1000, &by, NULL);
            lookups_ok &= g && strcmp(g->str, name) == 0 && by;
        }
    }
    CHECK(within, "flood: entries <= %u and bytes <= %" PRIu64
          " after every put (max %" PRIu64 " entries, %" PRIu64 " bytes)",
          max_entries, max_bytes, max_seen_entries, max_seen_bytes);
    CHECK(pool_bounded, "flood: pooled names never outnumber entries "
          "(max %zu names)", max_pool);
    CHECK(lookups_ok, "flood: the newest answer is always found");
    CHECK(st.inserts == 2000000 && st.evictions + st.expirations ==
          st.inserts - st.entries,
          "flood: %" PRIu64 " inserts, %" PRIu64 " evictions, %" PRIu64
          " left", st.inserts, st.evictions, st.entries);
    hf_name_cache_free(c);
    CHECK(hf_name_pool_count() == 0 && hf_name_pool_bytes() == 0,
          "flood: every name released after free");
}

int main(void)
{
    test_simple();
    test_cname_chain();
    test_chain_limit();
    test_many_addresses();
    test_large();
    test_mdns();
    test_malformed();
    test_long_names();
    test_pool();
    test_cache_pairs();
    test_cache_expiry();
    test_cache_lru();
    test_flood();
    return check_summary();
}
