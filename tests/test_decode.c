/* Decoder and fragment-table checks over handcrafted frames.
 * One line per check; exit status 0 when all pass.  Every decode runs on
 * a heap copy of exactly caplen bytes, so AddressSanitizer sees any read
 * past the capture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "ip_frag.h"
#include "packet.h"
#include "check.h"

/* ---- frame building ---------------------------------------------------- */

struct frame {
    uint8_t b[4096];
    uint32_t len;
};

static const uint8_t MAC_DST[6] = { 0x02, 0, 0, 0, 0, 0xd0 };
static const uint8_t MAC_SRC[6] = { 0x02, 0, 0, 0, 0, 0x50 };
static const uint8_t V4_SRC[4] = { 10, 0, 0, 1 };
static const uint8_t V4_DST[4] = { 10, 0, 0, 2 };
static const uint8_t V6_SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t V6_DST[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void put8(struct frame *f, uint8_t v) { f->b[f->len++] = v; }

static void put16(struct frame *f, uint16_t v)
{
    put8(f, (uint8_t)(v >> 8));
    put8(f, (uint8_t)v);
}

static void put32(struct frame *f, uint32_t v)
{
    put16(f, (uint16_t)(v >> 16));
    put16(f, (uint16_t)v);
}

static void put_bytes(struct frame *f, const void *p, uint32_t n)
{
    memcpy(f->b + f->len, p, n);
    f->len += n;
}

static void put_zeros(struct frame *f, uint32_t n)
{
    memset(f->b + f->len, 0, n);
    f->len += n;
}

static void patch16(struct frame *f, uint32_t at, uint16_t v)
{
    f->b[at] = (uint8_t)(v >> 8);
    f->b[at + 1] = (uint8_t)v;
}

static void eth(struct frame *f, uint16_t type)
{
    put_bytes(f, MAC_DST, 6);
    put_bytes(f, MAC_SRC, 6);
    put16(f, type);
}

static void vlan_tag(struct frame *f, uint16_t tci, uint16_t next_type)
{
    put16(f, tci);
    put16(f, next_type);
}

/* IPv4 header with ihl_words*4 bytes (options are NOPs); total length is
 * patched by ip4_end. */
static uint32_t ip4_begin(struct frame *f, uint8_t proto, uint8_t ihl_words,
                          uint16_t frag, uint16_t id)
{
    uint32_t start = f->len;

    put8(f, (uint8_t)(0x40 | ihl_words));
    put8(f, 0xb8); /* TOS: DSCP EF */
    put16(f, 0);
    put16(f, id);
    put16(f, frag);
    put8(f, 64);
    put8(f, proto);
    put16(f, 0);
    put_bytes(f, V4_SRC, 4);
    put_bytes(f, V4_DST, 4);
    for (unsigned i = 20; i < ihl_words * 4u; i++)
        put8(f, 1);
    return start;
}

static void ip4_end(struct frame *f, uint32_t start)
{
    patch16(f, start + 2, (uint16_t)(f->len - start));
}

static uint32_t ip6_begin(struct frame *f, uint8_t next_header)
{
    uint32_t start = f->len;

    put32(f, 0x6a012345); /* version 6, traffic class 0xa0, flow label */
    put16(f, 0);
    put8(f, next_header);
    put8(f, 64);
    put_bytes(f, V6_SRC, 16);
    put_bytes(f, V6_DST, 16);
    return start;
}

static void ip6_end(struct frame *f, uint32_t start)
{
    patch16(f, start + 4, (uint16_t)(f->len - start - 40));
}

/* Generic 8-octet-unit extension header (hop-by-hop, routing, dst opts). */
static void ip6_ext(struct frame *f, uint8_t next_header, uint8_t len_units)
{
    put8(f, next_header);
    put8(f, len_units);
    put_zeros(f, 6 + 8u * len_units);
}

static void ip6_frag(struct frame *f, uint8_t next_header, uint16_t offset8,
                     bool more, uint32_t id)
{
    put8(f, next_header);
    put8(f, 0);
    put16(f, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
    put32(f, id);
}

static void tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags,
                uint8_t doff_words, const char *payload)
{
    put16(f, sport);
    put16(f, dport);
    put32(f, 1000);
    put32(f, 0);
    put8(f, (uint8_t)(doff_words << 4));
    put8(f, flags);
    put16(f, 65535);
    put32(f, 0);
    for (unsigned i = 20; i < doff_words * 4u; i++)
        put8(f, 1);
    put_bytes(f, payload, (uint32_t)strlen(payload));
}

static void udp(struct frame *f, uint16_t sport, uint16_t dport,
                const char *payload)
{
    uint32_t n = (uint32_t)strlen(payload);

    put16(f, sport);
    put16(f, dport);
    put16(f, (uint16_t)(8 + n));
    put16(f, 0);
    put_bytes(f, payload, n);
}

/* Ethernet's 60-byte minimum: zeros after the IP packet. */
static void eth_pad(struct frame *f)
{
    while (f->len < 60)
        put8(f, 0);
}

/* ---- decoding ---------------------------------------------------------- */

/* Decode a heap copy of the first caplen bytes; *copy is kept for payload
 * pointer checks and freed by the caller. */
static enum hf_decode_result decode_copy(int dlt, const struct frame *f,
                                         uint32_t caplen, struct hf_packet *pkt,
                                         uint8_t **copy)
{
    *copy = malloc(caplen); /* 0 bytes too: any read is caught */
    memcpy(*copy, f->b, caplen);
    memset(pkt, 0xa5, sizeof *pkt); /* garbage must be cleared */
    pkt->ts_us = 42;
    pkt->caplen = caplen;
    pkt->wirelen = f->len;
    return hf_decode_packet(dlt, *copy, caplen, pkt);
}

static bool payload_inside(const struct hf_packet *pkt, const uint8_t *buf,
                           uint32_t caplen)
{
    if (pkt->payload_len == 0)
        return true;
    return pkt->payload >= buf && pkt->payload_len <= caplen &&
           pkt->payload + pkt->payload_len <= buf + caplen;
}

static enum hf_decode_result decode(int dlt, const struct frame *f,
                                    struct hf_packet *pkt)
{
    uint8_t *copy;
    enum hf_decode_result r = decode_copy(dlt, f, f->len, pkt, &copy);

    /* Payload points into the freed copy afterwards: tests compare its
     * bytes through payload_text before returning. */
    static char text[256];
    uint32_t n = pkt->payload_len < sizeof text - 1 ? pkt->payload_len
                                                     : sizeof text - 1;
    if (!payload_inside(pkt, copy, f->len))
        CHECK(false, "payload outside the frame");
    memcpy(text, pkt->payload_len ? (const char *)pkt->payload : "", n);
    text[n] = 0;
    pkt->payload = (const uint8_t *)text;
    free(copy);
    return r;
}

static const char *rname(enum hf_decode_result r) { return hf_decode_name(r); }

/* Decode every prefix of f: nothing may read past the prefix (ASan), the
 * payload must stay inside it, and an OK result needs a whole IP header. */
static void check_all_prefixes(const char *what, int dlt, const struct frame *f,
                               uint32_t ip_start, uint32_t ip_hlen)
{
    bool sane = true;

    for (uint32_t caplen = 0; caplen <= f->len; caplen++) {
        struct hf_packet pkt;
        uint8_t *copy;
        enum hf_decode_result r = decode_copy(dlt, f, caplen, &pkt, &copy);

        if (!payload_inside(&pkt, copy, caplen))
            sane = false;
        if (r == HF_DECODE_OK && caplen < ip_start + ip_hlen)
            sane = false;
        if (r != HF_DECODE_OK && caplen >= ip_start + ip_hlen &&
            r != HF_DECODE_BAD_IP6_EXT)
            sane = false;
        if (r == HF_DECODE_OK && (pkt.ts_us != 42 || pkt.caplen != caplen))
            sane = false;
        free(copy);
    }
    CHECK(sane, "%s: every prefix 0..%u decodes within bounds", what, f->len);
}

/* The Ethernet/IPv4/TCP frame of test_ethernet (14 + 20 + 20 + "GET" +
 * padding), cut at every length: exactly what each layer must report. */
static void check_tcp_prefixes(const struct frame *f)
{
    unsigned bad = 0;

    for (uint32_t caplen = 0; caplen <= f->len; caplen++) {
        struct hf_packet pkt;
        uint8_t *copy;
        enum hf_decode_result r = decode_copy(DLT_EN10MB, f, caplen, &pkt,
                                              &copy);
        bool ok;

        if (caplen < 14)
            ok = r == HF_DECODE_TRUNC_LINK && !pkt.has_mac;
        else if (caplen < 34)
            ok = r == HF_DECODE_TRUNC_IP && pkt.has_mac;
        else if (caplen < 48)
            ok = r == HF_DECODE_OK && pkt.transport_truncated &&
                 !pkt.has_ports && pkt.ip_octets == 43 &&
                 pkt.payload_len == 0;
        else {
            uint32_t want = caplen < 54 ? 0 : (caplen > 57 ? 57 : caplen) - 54;
            ok = r == HF_DECODE_OK && !pkt.transport_truncated &&
                 pkt.has_ports && pkt.dport == 443 && pkt.ip_octets == 43 &&
                 pkt.payload_len == want &&
                 (want == 0 || pkt.payload == copy + 54);
        }
        if (!ok) {
            bad++;
            printf("     caplen %u: %s ports %d trunc %d payload %u\n", caplen,
                   rname(r), pkt.has_ports, pkt.transport_truncated,
                   pkt.payload_len);
        }
        free(copy);
    }
    CHECK(bad == 0, "ethernet ipv4 tcp cut at each of 0..%u: layer results",
          f->len);
}

/* ---- link layers ------------------------------------------------------- */

static void build_v4_tcp(struct frame *f, const char *payload)
{
    uint32_t ip = ip4_begin(f, 6, 5, 0, 0x1234);
    tcp(f, 40000, 443, 0x18, 5, payload);
    ip4_end(f, ip);
}

static void build_v6_udp(struct frame *f, const char *payload)
{
    uint32_t ip = ip6_begin(f, 17);
    udp(f, 5353, 53, payload);
    ip6_end(f, ip);
}

static void test_ethernet(void)
{
    struct frame f = { .len = 0 };
    struct hf_packet pkt;
    enum hf_decode_result r;

    eth(&f, 0x0800);
    build_v4_tcp(&f, "GET");
    eth_pad(&f);
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK, "ethernet ipv4 tcp: %s", rname(r));
    CHECK(pkt.has_mac && !memcmp(pkt.src_mac, MAC_SRC, 6) &&
          !memcmp(pkt.dst_mac, MAC_DST, 6), "ethernet: macs");
    CHECK(pkt.vlan_id == 0, "ethernet: no vlan");
    CHECK(pkt.ip_version == 4 && !memcmp(pkt.src_addr, V4_SRC, 4) &&
          !memcmp(pkt.dst_addr, V4_DST, 4), "ipv4: addresses");
    CHECK(pkt.src_addr[4] == 0 && pkt.dst_addr[15] == 0,
          "ipv4: rest of address cleared");
    CHECK(pkt.ip_octets == 43, "ipv4: ip_octets %u == total length 43",
          pkt.ip_octets);
    CHECK(pkt.tos == 0xb8 && pkt.proto == 6, "ipv4: tos and proto");
    CHECK(pkt.has_ports && pkt.sport == 40000 && pkt.dport == 443,
          "tcp: ports");
    CHECK(pkt.tcp_flags == 0x18, "tcp: flags");
    CHECK(pkt.payload_len == 3 && !memcmp(pkt.payload, "GET", 3),
          "tcp: payload excludes ethernet padding (len %u)", pkt.payload_len);
    CHECK(!pkt.is_fragment && !pkt.transport_truncated,
          "ipv4: not a fragment, not truncated");
    CHECK(pkt.ts_us == 42 && pkt.wirelen == f.len,
          "caller's ts/caplen/wirelen kept");
    check_all_prefixes("ethernet ipv4 tcp", DLT_EN10MB, &f, 14, 20);
    check_tcp_prefixes(&f);

    f.len = 0;
    eth(&f, 0x0806); /* ARP */
    put_zeros(&f, 28);
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_NOT_IP, "arp: %s", rname(r));

    f.len = 0;
    eth(&f, 0x0800);
    f.len--;
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_TRUNC_LINK, "13-byte ethernet: %s", rname(r));
}

static void test_vlans(void)
{
    struct frame f = { .len = 0 };
    struct hf_packet pkt;
    enum hf_decode_result r;

    eth(&f, 0x8100);
    vlan_tag(&f, 0x2064, 0x86dd); /* PCP 1, id 100 */
    build_v6_udp(&f, "q");
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.vlan_id == 100 && pkt.ip_version == 6,
          "802.1Q: %s vlan %u", rname(r), pkt.vlan_id);

    f.len = 0;
    eth(&f, 0x88a8);
    vlan_tag(&f, 200, 0x8100);
    vlan_tag(&f, 2001, 0x0800);
    build_v4_tcp(&f, "");
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.vlan_id == 200 && pkt.dport == 443,
          "802.1ad QinQ: outer vlan %u", pkt.vlan_id);
    check_all_prefixes("QinQ ipv4 tcp", DLT_EN10MB, &f, 22, 20);

    f.len = 0;
    eth(&f, 0x9100);
    vlan_tag(&f, 0xf00 | 7, 0x8100);
    vlan_tag(&f, 9, 0x0800);
    build_v4_tcp(&f, "");
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.vlan_id == 0xf07,
          "0x9100 QinQ: outer vlan %#x", pkt.vlan_id);

    for (unsigned tags = 8; tags <= 9; tags++) {
        f.len = 0;
        eth(&f, 0x8100);
        for (unsigned i = 0; i < tags; i++)
            vlan_tag(&f, (uint16_t)(i + 1), i + 1 < tags ? 0x8100 : 0x0800);
        build_v4_tcp(&f, "");
        r = decode(DLT_EN10MB, &f, &pkt);
        if (tags == 8)
            CHECK(r == HF_DECODE_OK && pkt.vlan_id == 1,
                  "8 vlan tags: %s", rname(r));
        else
            CHECK(r == HF_DECODE_DEPTH, "9 vlan tags: %s", rname(r));
    }

    f.len = 0;
    eth(&f, 0x8100);
    put16(&f, 5);
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_TRUNC_LINK, "vlan tag cut: %s", rname(r));
}

static void test_llc_and_pppoe(void)
{
    static const uint8_t snap_ip[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0 };
    static const uint8_t stp[3] = { 0x42, 0x42, 0x03 };
    struct frame f = { .len = 0 };
    struct hf_packet pkt;
    enum hf_decode_result r;

    eth(&f, 0);
    put_bytes(&f, snap_ip, 8);
    build_v4_tcp(&f, "x");
    patch16(&f, 12, (uint16_t)(f.len - 14));
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.dport == 443, "802.3 LLC/SNAP ipv4: %s",
          rname(r));

    f.len = 0;
    eth(&f, 38);
    put_bytes(&f, stp, 3);
    put_zeros(&f, 35);
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_NOT_IP, "802.3 STP: %s", rname(r));

    f.len = 0;
    eth(&f, 0x8864);
    put8(&f, 0x11);
    put8(&f, 0);
    put16(&f, 0x0042);
    put16(&f, 0); /* length, unchecked */
    put16(&f, 0x0021);
    build_v4_tcp(&f, "");
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.ip_version == 4 && pkt.dport == 443,
          "PPPoE ipv4: %s", rname(r));
    check_all_prefixes("PPPoE ipv4 tcp", DLT_EN10MB, &f, 22, 20);

    f.len = 0;
    eth(&f, 0x8864);
    put_bytes(&f, "\x11\x00\x00\x42\x00\x00\x00\x57", 8);
    build_v6_udp(&f, "");
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.ip_version == 6 && pkt.dport == 53,
          "PPPoE ipv6: %s", rname(r));

    f.len = 0;
    eth(&f, 0x8864);
    put_bytes(&f, "\x11\x00\x00\x42\x00\x00\xc0\x21", 8);
    put_zeros(&f, 10);
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_NOT_IP, "PPPoE LCP: %s", rname(r));
}

static void test_linux_cooked(void)
{
    struct frame f = { .len = 0 };
    struct hf_packet pkt;
    enum hf_decode_result r;

    put16(&f, 0);      /* packet type: to us */
    put16(&f, 1);      /* ARPHRD_ETHER */
    put16(&f, 6);
    put_bytes(&f, MAC_SRC, 6);
    put16(&f, 0);
    put16(&f, 0x0800); /* protocol at offset 14 */
    build_v4_tcp(&f, "hi");
    r = decode(DLT_LINUX_SLL, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.dport == 443 && !pkt.has_mac &&
          pkt.payload_len == 2, "SLL ipv4: %s", rname(r));
    check_all_prefixes("SLL ipv4 tcp", DLT_LINUX_SLL, &f, 16, 20);

    f.len = 0;
    put16(&f, 0x86dd); /* protocol at offset 0 */
    put16(&f, 0);
    put32(&f, 3);      /* interface index */
    put16(&f, 1);
    put8(&f, 4);       /* packet type: outgoing */
    put8(&f, 6);
    put_bytes(&f, MAC_SRC, 6);
    put16(&f, 0);
    build_v6_udp(&f, "abc");
    r = decode(DLT_LINUX_SLL2, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.ip_version == 6 && pkt.sport == 5353 &&
          pkt.payload_len == 3, "SLL2 ipv6 udp: %s", rname(r));
    check_all_prefixes("SLL2 ipv6 udp", DLT_LINUX_SLL2, &f, 20, 40);
}

static void test_raw_and_null(void)
{
    static const int raw_dlts[] = { DLT_RAW, 101, DLT_IPV4, DLT_IPV6 };
    struct frame v4 = { .len = 0 }, v6 = { .len = 0 }, f;
    struct hf_packet pkt;
    enum hf_decode_result r;

    build_v4_tcp(&v4, "");
    build_v6_udp(&v6, "");
    for (size_t i = 0; i < sizeof raw_dlts / sizeof raw_dlts[0]; i++) {
        r = decode(raw_dlts[i], &v4, &pkt);
        CHECK(r == HF_DECODE_OK && pkt.ip_version == 4,
              "raw dlt %d ipv4: %s", raw_dlts[i], rname(r));
        r = decode(raw_dlts[i], &v6, &pkt);
        CHECK(r == HF_DECODE_OK && pkt.ip_version == 6 &&
              pkt.ip_octets == 48 && pkt.tos == 0xa0 &&
              !memcmp(pkt.src_addr, V6_SRC, 16) &&
              !memcmp(pkt.dst_addr, V6_DST, 16),
              "raw dlt %d ipv6: %s", raw_dlts[i], rname(r));
    }
    check_all_prefixes("raw ipv4 tcp", DLT_RAW, &v4, 0, 20);
    check_all_prefixes("raw ipv6 udp", DLT_RAW, &v6, 0, 40);

    f = v4;
    f.b[0] = 0x55;
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_BAD_IP_VERSION, "raw version 5: %s", rname(r));
    f.len = 0;
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_TRUNC_IP, "raw empty: %s", rname(r));

    /* Address family in either byte order, for DLT_NULL and DLT_LOOP. */
    static const struct { uint32_t af; int version; } afs[] = {
        { 2, 4 }, { 24, 6 }, { 28, 6 }, { 30, 6 }, { 7, 0 },
    };
    for (size_t i = 0; i < sizeof afs / sizeof afs[0]; i++) {
        for (int order = 0; order < 2; order++) {
            uint32_t af = order ? __builtin_bswap32(afs[i].af) : afs[i].af;

            f.len = 0;
            put32(&f, af);
            if (afs[i].version == 6)
                build_v6_udp(&f, "");
            else
                build_v4_tcp(&f, "");
            int dlt = order ? DLT_NULL : DLT_LOOP;
            r = decode(dlt, &f, &pkt);
            if (afs[i].version)
                CHECK(r == HF_DECODE_OK && pkt.ip_version == afs[i].version,
                      "%s AF %u %s order: %s", order ? "NULL" : "LOOP",
                      afs[i].af, order ? "little-endian" : "network",
                      rname(r));
            else
                CHECK(r == HF_DECODE_NOT_IP, "%s AF %u: %s",
                      order ? "NULL" : "LOOP", afs[i].af, rname(r));
        }
    }
    f.len = 0;
    put32(&f, __builtin_bswap32(2));
    build_v4_tcp(&f, "");
    check_all_prefixes("null ipv4 tcp", DLT_NULL, &f, 4, 20);
}

static void test_ppp_family(void)
{
    static const struct {
        const char *name;
        int dlt;
        const char *hdr;
        uint32_t hdr_len;
        int version; /* 0: not IP */
    } cases[] = {
        { "PPP ff03 0021", DLT_PPP, "\xff\x03\x00\x21", 4, 4 },
        { "PPP 0021", DLT_PPP, "\x00\x21", 2, 4 },
        { "PPP compressed 21", DLT_PPP, "\x21", 1, 4 },
        { "PPP ff03 0057", DLT_PPP, "\xff\x03\x00\x57", 4, 6 },
        { "PPP compressed 57", DLT_PPP, "\x57", 1, 6 },
        { "PPP LCP", DLT_PPP, "\xff\x03\xc0\x21", 4, 0 },
        { "PPP_SERIAL ppp", DLT_PPP_SERIAL, "\xff\x03\x00\x21", 4, 4 },
        { "PPP_SERIAL cisco", DLT_PPP_SERIAL, "\x0f\x00\x08\x00", 4, 4 },
        { "C_HDLC ipv6", DLT_C_HDLC, "\x8f\x00\x86\xdd", 4, 6 },
        { "C_HDLC slarp", DLT_C_HDLC, "\x8f\x00\x80\x35", 4, 0 },
        { "PPP_ETHER", DLT_PPP_ETHER, "\x11\x00\x00\x01\x00\x00\x00\x21", 8, 4 },
    };
    struct frame f;
    struct hf_packet pkt;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f.len = 0;
        put_bytes(&f, cases[i].hdr, cases[i].hdr_len);
        if (cases[i].version == 6)
            build_v6_udp(&f, "");
        else
            build_v4_tcp(&f, "");
        enum hf_decode_result r = decode(cases[i].dlt, &f, &pkt);
        if (cases[i].version)
            CHECK(r == HF_DECODE_OK && pkt.ip_version == cases[i].version &&
                  pkt.has_ports, "%s: %s", cases[i].name, rname(r));
        else
            CHECK(r == HF_DECODE_NOT_IP, "%s: %s", cases[i].name, rname(r));
        if (i == 0)
            check_all_prefixes(cases[i].name, cases[i].dlt, &f, 4, 20);
    }
    f.len = 0;
    enum hf_decode_result r = decode(DLT_PPP, &f, &pkt);
    CHECK(r == HF_DECODE_TRUNC_LINK, "PPP empty: %s", rname(r));
}

static void test_unknown_link(void)
{
    struct frame f = { .len = 0 };
    struct hf_packet pkt;

    build_v4_tcp(&f, "");
    CHECK(decode(DLT_IEEE802_11, &f, &pkt) == HF_DECODE_UNKNOWN_LINK,
          "802.11: unknown_link");
    CHECK(!hf_decode_link_supported(DLT_IEEE802_11) &&
          hf_decode_link_supported(DLT_EN10MB) &&
          hf_decode_link_supported(DLT_LINUX_SLL2) &&
          hf_decode_link_supported(101),
          "hf_decode_link_supported");
}

/* ---- IPv4 ------------------------------------------------------------- */

static void test_ipv4_variants(void)
{
    struct frame f = { .len = 0 };
    struct hf_packet pkt;
    enum hf_decode_result r;
    uint32_t ip;

    eth(&f, 0x0800);
    ip = ip4_begin(&f, 6, 7, 0, 1); /* 8 bytes of options */
    tcp(&f, 1, 2, 0x02, 6, "data");  /* 4 bytes of TCP options */
    ip4_end(&f, ip);
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.sport == 1 && pkt.dport == 2 &&
          pkt.tcp_flags == 0x02 && pkt.payload_len == 4 &&
          !memcmp(pkt.payload, "data", 4) && pkt.ip_octets == 56,
          "ipv4 options + tcp options: %s", rname(r));
    check_all_prefixes("ipv4 options tcp options", DLT_EN10MB, &f, 14, 28);

    /* Snaplen cut inside the payload: octets still from the header. */
    struct frame cut = f;
    cut.len -= 2;
    r = decode(DLT_EN10MB, &cut, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.ip_octets == 56 && pkt.payload_len == 2,
          "snaplen cut: ip_octets %u payload %u", pkt.ip_octets,
          pkt.payload_len);

    cut = f;
    cut.len = 14 + 24; /* inside the options */
    r = decode(DLT_EN10MB, &cut, &pkt);
    CHECK(r == HF_DECODE_TRUNC_IP, "options cut: %s", rname(r));

    cut = f;
    cut.len = 14 + 28 + 10; /* inside TCP, before the flags */
    r = decode(DLT_EN10MB, &cut, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.transport_truncated && !pkt.has_ports &&
          pkt.ip_octets == 56, "tcp cut at 10 bytes: %s truncated %d",
          rname(r), pkt.transport_truncated);

    struct frame bad = f;
    bad.b[14] = 0x44;
    r = decode(DLT_EN10MB, &bad, &pkt);
    CHECK(r == HF_DECODE_BAD_IP_HLEN, "IHL 4: %s", rname(r));

    bad = f;
    patch16(&bad, 16, 27);
    r = decode(DLT_EN10MB, &bad, &pkt);
    CHECK(r == HF_DECODE_BAD_IP_LEN, "total length 27 < IHL 28: %s", rname(r));

    bad = f;
    bad.b[14] = 0x65; /* ethertype says IPv4, nibble says 6 */
    r = decode(DLT_EN10MB, &bad, &pkt);
    CHECK(r == HF_DECODE_BAD_IP_VERSION, "ethertype/version mismatch: %s",
          rname(r));

    /* Total length shorter than the frame: the rest is not payload. */
    f.len = 0;
    eth(&f, 0x0800);
    ip = ip4_begin(&f, 17, 5, 0, 1);
    udp(&f, 7, 8, "abcdef");
    patch16(&f, ip + 2, 20 + 8 + 2);
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.payload_len == 2 && pkt.ip_octets == 30,
          "udp payload bounded by total length: %u", pkt.payload_len);
}

static void test_transports(void)
{
    static const struct {
        uint8_t proto;
        bool ports;
        uint16_t type_code;
    } cases[] = {
        { 132, true, 0 }, { 136, true, 0 }, { 33, true, 0 },
        { 1, false, 0x0800 }, { 47, false, 0 }, { 50, false, 0 },
    };
    struct frame f;
    struct hf_packet pkt;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f.len = 0;
        uint32_t ip = ip4_begin(&f, cases[i].proto, 5, 0, 9);
        put_bytes(&f, "\x08\x00\x12\x34\x00\x00\x00\x00", 8);
        ip4_end(&f, ip);
        enum hf_decode_result r = decode(DLT_RAW, &f, &pkt);
        bool ok = r == HF_DECODE_OK && pkt.proto == cases[i].proto &&
                  pkt.has_ports == cases[i].ports &&
                  pkt.icmp_type_code == cases[i].type_code;
        if (cases[i].ports)
            ok = ok && pkt.sport == 0x0800 && pkt.dport == 0x1234;
        CHECK(ok, "proto %u: ports %d type/code %#x", cases[i].proto,
              pkt.has_ports, pkt.icmp_type_code);
    }

    f.len = 0;
    uint32_t ip = ip6_begin(&f, 58);
    put_bytes(&f, "\x80\x00\x00\x00\x00\x01\x00\x01", 8);
    ip6_end(&f, ip);
    enum hf_decode_result r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.icmp_type_code == 0x8000 &&
          !pkt.has_ports, "icmpv6 echo request: %#x", pkt.icmp_type_code);

    f.len -= 7; /* one byte of ICMPv6 left */
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.transport_truncated,
          "icmpv6 cut: truncated %d", pkt.transport_truncated);
}

/* ---- IPv6 ------------------------------------------------------------- */

static void test_ipv6_ext(void)
{
    struct frame f = { .len = 0 };
    struct hf_packet pkt;
    enum hf_decode_result r;
    uint32_t ip;

    eth(&f, 0x86dd);
    ip = ip6_begin(&f, 0);
    ip6_ext(&f, 44, 0);                  /* hop-by-hop */
    ip6_frag(&f, 17, 0, true, 0xdeadbeef);
    udp(&f, 1000, 2000, "first");
    ip6_end(&f, ip);
    r = decode(DLT_EN10MB, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.proto == 17 && pkt.sport == 1000 &&
          pkt.dport == 2000 && pkt.payload_len == 5,
          "ipv6 hbh + frag(first) + udp: %s proto %u", rname(r), pkt.proto);
    CHECK(pkt.is_fragment && pkt.first_fragment && !pkt.last_fragment &&
          pkt.frag_id == 0xdeadbeef, "ipv6 first fragment fields");
    CHECK(pkt.ip_octets == f.len - 14, "ipv6 octets %u", pkt.ip_octets);
    check_all_prefixes("ipv6 hbh frag udp", DLT_EN10MB, &f, 14, 40);

    f.len = 0;
    ip = ip6_begin(&f, 44);
    ip6_frag(&f, 17, 185, false, 0xdeadbeef);
    put_bytes(&f, "tail", 4);
    ip6_end(&f, ip);
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.proto == 17 && !pkt.has_ports &&
          pkt.is_fragment && !pkt.first_fragment && pkt.last_fragment &&
          !pkt.transport_truncated, "ipv6 last fragment: no transport");

    f.len = 0;
    ip = ip6_begin(&f, 44);
    ip6_frag(&f, 6, 0, false, 7); /* atomic fragment: whole packet */
    tcp(&f, 5, 6, 0x10, 5, "");
    ip6_end(&f, ip);
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_OK && !pkt.is_fragment && pkt.dport == 6,
          "ipv6 atomic fragment is not a fragment");

    /* routing, destination options, AH (4-byte units), then TCP */
    f.len = 0;
    ip = ip6_begin(&f, 43);
    ip6_ext(&f, 60, 1);
    ip6_ext(&f, 51, 0);
    put8(&f, 6);
    put8(&f, 4); /* AH length 4 → (4 + 2) * 4 = 24 bytes */
    put_zeros(&f, 22);
    tcp(&f, 80, 8080, 0x11, 5, "z");
    ip6_end(&f, ip);
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.proto == 6 && pkt.sport == 80 &&
          pkt.dport == 8080 && pkt.tcp_flags == 0x11 && pkt.payload_len == 1,
          "ipv6 routing + dstopts + AH + tcp: %s", rname(r));
    check_all_prefixes("ipv6 ext chain tcp", DLT_RAW, &f, 0, 40);

    f.len = 0;
    ip = ip6_begin(&f, 60);
    ip6_ext(&f, 50, 0);
    put_zeros(&f, 16); /* ESP */
    ip6_end(&f, ip);
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.proto == 50 && !pkt.has_ports,
          "ipv6 ESP stops the walk");

    f.len = 0;
    ip = ip6_begin(&f, 59);
    ip6_end(&f, ip);
    put_zeros(&f, 6); /* link padding */
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.proto == 59 && pkt.ip_octets == 40,
          "ipv6 no next header: octets %u", pkt.ip_octets);

    for (unsigned n = 16; n <= 17; n++) {
        f.len = 0;
        ip = ip6_begin(&f, 60);
        for (unsigned i = 0; i < n; i++)
            ip6_ext(&f, i + 1 < n ? 60 : 17, 0);
        udp(&f, 1, 2, "");
        ip6_end(&f, ip);
        r = decode(DLT_RAW, &f, &pkt);
        if (n == 16)
            CHECK(r == HF_DECODE_OK && pkt.dport == 2, "16 ext headers: %s",
                  rname(r));
        else
            CHECK(r == HF_DECODE_DEPTH, "17 ext headers: %s", rname(r));
    }

    f.len = 0;
    ip = ip6_begin(&f, 0);
    ip6_ext(&f, 17, 2); /* 24 bytes, the capture ends after 12 */
    ip6_end(&f, ip);
    f.len -= 12;
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_BAD_IP6_EXT, "ext header past capture: %s", rname(r));

    /* Jumbogram: payload length 0, hop-by-hop with a jumbo option. */
    f.len = 0;
    ip = ip6_begin(&f, 0);
    put_bytes(&f, "\x11\x00\xc2\x04\x00\x01\x00\x00", 8);
    udp(&f, 9, 10, "jumbo");
    r = decode(DLT_RAW, &f, &pkt);
    CHECK(r == HF_DECODE_OK && pkt.ip_octets == f.len && pkt.dport == 10,
          "jumbogram: octets %u = captured %u", pkt.ip_octets, f.len);
}

/* ---- fragment table ---------------------------------------------------- */

static void make_v4_fragment(struct frame *f, uint8_t proto, uint16_t id,
                             uint16_t offset8, bool more)
{
    f->len = 0;
    uint32_t ip = ip4_begin(f, proto, 5, (uint16_t)((more ? 0x2000 : 0) |
                                                    offset8), id);
    if (offset8 == 0 && proto == 17)
        udp(f, 5353, 53, "0123456789abcdef");
    else if (offset8 == 0 && proto == 1)
        put_bytes(f, "\x08\x00\x00\x00\x00\x01\x00\x01", 8);
    else
        put_zeros(f, 16);
    ip4_end(f, ip);
}

static void frag_step(struct hf_frag_table *t, const struct frame *f,
                      uint64_t ts, struct hf_packet *pkt)
{
    uint8_t *copy;

    decode_copy(DLT_RAW, f, f->len, pkt, &copy);
    pkt->ts_us = ts;
    pkt->payload = NULL;
    pkt->payload_len = 0;
    free(copy);
    hf_frag_update(t, pkt);
}

static void test_fragments(void)
{
    struct hf_frag_table *t = hf_frag_new(4, 1000000);
    struct hf_packet pkt;
    struct frame f;

    make_v4_fragment(&f, 17, 0x4242, 0, true);
    frag_step(t, &f, 1, &pkt);
    CHECK(pkt.is_fragment && pkt.first_fragment && !pkt.last_fragment &&
          pkt.frag_id == 0x4242 && pkt.has_ports, "ipv4 first fragment");
    make_v4_fragment(&f, 17, 0x4242, 3, true);
    frag_step(t, &f, 2, &pkt);
    CHECK(pkt.has_ports && pkt.sport == 5353 && pkt.dport == 53 &&
          !pkt.first_fragment, "middle fragment gets ports");
    make_v4_fragment(&f, 17, 0x4242, 6, false);
    frag_step(t, &f, 3, &pkt);
    CHECK(pkt.has_ports && pkt.dport == 53 && pkt.last_fragment,
          "last fragment gets ports");
    CHECK(hf_frag_count(t) == 0, "entry dropped after last fragment");

    make_v4_fragment(&f, 17, 0x9999, 3, false);
    frag_step(t, &f, 4, &pkt);
    CHECK(!pkt.has_ports, "fragment without a first: no ports");

    make_v4_fragment(&f, 1, 0x77, 0, true);
    frag_step(t, &f, 5, &pkt);
    make_v4_fragment(&f, 1, 0x77, 3, false);
    frag_step(t, &f, 6, &pkt);
    CHECK(pkt.icmp_type_code == 0x0800 && !pkt.has_ports,
          "icmp fragment gets type/code");

    /* Same id, other protocol: a different datagram. */
    make_v4_fragment(&f, 17, 0x88, 0, true);
    frag_step(t, &f, 7, &pkt);
    make_v4_fragment(&f, 6, 0x88, 3, false);
    frag_step(t, &f, 8, &pkt);
    CHECK(!pkt.has_ports, "key includes protocol");

    /* Timeout in packet time. */
    make_v4_fragment(&f, 17, 0x1000, 0, true);
    frag_step(t, &f, 10, &pkt);
    make_v4_fragment(&f, 17, 0x1000, 3, false);
    frag_step(t, &f, 10 + 1000001, &pkt);
    CHECK(!pkt.has_ports && hf_frag_stats(t).expired >= 1,
          "entry expires after timeout of packet time");

    /* Eviction: 6 firsts into 4 slots; the two oldest go. */
    for (uint16_t id = 1; id <= 6; id++) {
        make_v4_fragment(&f, 17, id, 0, true);
        frag_step(t, &f, 2000000 + id, &pkt);
    }
    CHECK(hf_frag_count(t) == 4 && hf_frag_stats(t).evicted >= 2,
          "full table evicts oldest (count %u evicted %llu)", hf_frag_count(t),
          (unsigned long long)hf_frag_stats(t).evicted);
    make_v4_fragment(&f, 17, 1, 3, false);
    frag_step(t, &f, 2000010, &pkt);
    CHECK(!pkt.has_ports, "evicted entry: no ports");
    make_v4_fragment(&f, 17, 6, 3, false);
    frag_step(t, &f, 2000011, &pkt);
    CHECK(pkt.has_ports, "newest entry kept");

    /* IPv6 fragments. */
    f.len = 0;
    uint32_t ip = ip6_begin(&f, 44);
    ip6_frag(&f, 17, 0, true, 0xabcdef01);
    udp(&f, 4000, 4001, "v6");
    ip6_end(&f, ip);
    frag_step(t, &f, 3000000, &pkt);
    f.len = 0;
    ip = ip6_begin(&f, 44);
    ip6_frag(&f, 17, 100, false, 0xabcdef01);
    put_zeros(&f, 8);
    ip6_end(&f, ip);
    frag_step(t, &f, 3000001, &pkt);
    CHECK(pkt.has_ports && pkt.sport == 4000 && pkt.dport == 4001,
          "ipv6 later fragment gets ports");

    /* Bounded whatever the input. */
    for (uint32_t i = 0; i < 10000; i++) {
        make_v4_fragment(&f, 17, (uint16_t)i, 0, true);
        frag_step(t, &f, 4000000 + i, &pkt);
    }
    CHECK(hf_frag_count(t) <= 4, "10000 firsts: table holds %u",
          hf_frag_count(t));

    struct hf_frag_stats s = hf_frag_stats(t);
    printf("     frag stats: first %llu resolved %llu unresolved %llu "
           "evicted %llu expired %llu\n",
           (unsigned long long)s.first_seen, (unsigned long long)s.resolved,
           (unsigned long long)s.unresolved, (unsigned long long)s.evicted,
           (unsigned long long)s.expired);
    CHECK(s.resolved == 5 && s.unresolved == 4,
          "resolved/unresolved counters");
    hf_frag_free(t);
    hf_frag_update(NULL, &pkt); /* no table: no-op */
}

static void test_names(void)
{
    bool distinct = true;

    for (int a = 0; a < HF_DECODE_REASON_COUNT; a++)
        for (int b = a + 1; b < HF_DECODE_REASON_COUNT; b++)
            if (!strcmp(hf_decode_name(a), hf_decode_name(b)))
                distinct = false;
    CHECK(distinct && !strcmp(hf_decode_name(HF_DECODE_OK), "ok") &&
          !strcmp(hf_decode_name(HF_DECODE_TRUNC_IP), "trunc_ip"),
          "reason names distinct");
    CHECK(!strcmp(hf_decode_name(HF_DECODE_REASON_COUNT), "invalid"),
          "out-of-range reason name");
}

int main(void)
{
    test_ethernet();
    test_vlans();
    test_llc_and_pppoe();
    test_linux_cooked();
    test_raw_and_null();
    test_ppp_family();
    test_unknown_link();
    test_ipv4_variants();
    test_transports();
    test_ipv6_ext();
    test_fragments();
    test_names();
    return check_summary();
}
