/* QUIC Initial → SNI (probe/quic_initial.c): RFC 9001 / RFC 9369 test
 * vectors, Initials sealed (quic_seal.h) the way clients build them
 * (ClientHello over several packets, shuffled CRYPTO frames, coalesced
 * packets, Retry), damaged and cut-short packets, and datagrams that are
 * not QUIC.
 * Failing checks are printed; exit status 0 = pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_parse.h"
#include "quic_frames.h"
#include "quic_keys.h"
#include "quic_seal.h"
#include "check.h"

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;
    unsigned v;

    for (; s[0] && s[1]; s += 2, n++) {
        if (sscanf(s, "%2x", &v) != 1)
            abort();
        out[n] = (uint8_t)v;
    }
    return n;
}

static int same_hex(const uint8_t *got, const char *want_hex)
{
    uint8_t want[256];
    size_t n = unhex(want_hex, want);
    return memcmp(got, want, n) == 0;
}

/* ---- frames ----------------------------------------------------------- */

struct buf {
    uint8_t b[8192];
    size_t len;
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > sizeof b->b)
        abort();
    memcpy(b->b + b->len, p, n);
    b->len += n;
}

static void put_u8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void put_u16(struct buf *b, size_t v)
{
    put_u8(b, (unsigned)(v >> 8 & 0xff));
    put_u8(b, (unsigned)(v & 0xff));
}

static void put_varint(struct buf *b, uint64_t v)
{
    if (v < 64) {
        put_u8(b, (unsigned)v);
    } else if (v < 16384) {
        put_u8(b, (unsigned)(0x40 | v >> 8));
        put_u8(b, (unsigned)(v & 0xff));
    } else {
        put_u8(b, (unsigned)(0x80 | v >> 24));
        put_u8(b, (unsigned)(v >> 16 & 0xff));
        put_u8(b, (unsigned)(v >> 8 & 0xff));
        put_u8(b, (unsigned)(v & 0xff));
    }
}

static void put_crypto(struct buf *b, const uint8_t *stream, size_t off,
                       size_t n)
{
    put_u8(b, 0x06);
    put_varint(b, off);
    put_varint(b, n);
    put(b, stream + off, n);
}

static void pad_to(struct buf *b, size_t n)
{
    while (b->len < n)
        put_u8(b, 0x00);
}

/* A TLS 1.3-style ClientHello for name, grown to about size bytes with a
 * padding extension (as post-quantum key shares grow Chrome's). */
static size_t client_hello(const char *name, size_t size, uint8_t *out)
{
    struct buf h = { .len = 0 };
    size_t nlen = strlen(name);

    put_u8(&h, 3); put_u8(&h, 3);                 /* legacy version */
    for (int i = 0; i < 32; i++)
        put_u8(&h, (unsigned)i);                  /* random */
    put_u8(&h, 0);                                /* session id */
    put_u8(&h, 0); put_u8(&h, 2); put_u8(&h, 0x13); put_u8(&h, 0x01);
    put_u8(&h, 1); put_u8(&h, 0);                 /* compression */
    size_t ext_len_at = h.len;
    put_u8(&h, 0); put_u8(&h, 0);
    size_t ext_start = h.len;
    /* padding first, so the name sits far into the message */
    size_t pad = size > 200 ? size - 200 : 0;
    put_u8(&h, 0x00); put_u8(&h, 0x15);
    put_u16(&h, pad);
    for (size_t i = 0; i < pad; i++)
        put_u8(&h, 0);
    put_u8(&h, 0); put_u8(&h, 0);                 /* server_name */
    put_u16(&h, nlen + 5);
    put_u16(&h, nlen + 3);
    put_u8(&h, 0);
    put_u16(&h, nlen);
    put(&h, name, nlen);
    size_t ext_len = h.len - ext_start;
    h.b[ext_len_at] = (uint8_t)(ext_len >> 8);
    h.b[ext_len_at + 1] = (uint8_t)ext_len;

    out[0] = 1;
    out[1] = (uint8_t)(h.len >> 16);
    out[2] = (uint8_t)(h.len >> 8);
    out[3] = (uint8_t)h.len;
    memcpy(out + 4, h.b, h.len);
    return 4 + h.len;
}

/* ---- RFC vectors ------------------------------------------------------ */

static const char rfc_dcid[] = "8394c8f03e515708";

/* RFC 9001 §A.2's CRYPTO frame: a ClientHello for example.com */
static const char rfc_crypto_frame[] =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff";

struct rfc_vector {
    uint32_t version;
    const char *secret, *key, *iv, *hp;     /* Appendix A.1 */
    const char *header, *protected_header;  /* A.2 */
    const char *sample, *tail;              /* A.2: after the header, last */
};

static const struct rfc_vector rfc_vectors[] = {
    { V1,   /* RFC 9001 */
      "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
      "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
      "9f50449e04a0e810283a1e9933adedd2",
      "c300000001088394c8f03e5157080000449e00000002",
      "c000000001088394c8f03e5157080000449e7b9aec34",
      "d1b1c98dd7689fb8ec11d242b123dc9b",
      "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
      "e221af44860018ab0856972e194cd934" },
    { V2,   /* RFC 9369 */
      "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
      "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
      "45b95e15235d6f45a6b19cbcb0294ba9",
      "d36b3343cf088394c8f03e5157080000449e00000002",
      "d76b3343cf088394c8f03e5157080000449ea0c95e82",
      "ffe67b6abcdb4298b485dd04de806071",
      "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
      "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
      "a18b2faa745b6fe189cf772a9f84cbfc" },
};

/* The A.2 packet: its CRYPTO frame padded to a 1162-byte payload. */
static size_t rfc_packet(uint32_t version, uint8_t *out)
{
    uint8_t dcid[8], payload[1162] = { 0 };
    struct initial_spec s = { version, dcid, 8, dcid, 8, 0, 0, 2, 4 };

    unhex(rfc_dcid, dcid);
    unhex(rfc_crypto_frame, payload);
    return seal(&s, payload, sizeof payload, out);
}

static void test_rfc_vectors(void)
{
    for (size_t i = 0; i < sizeof rfc_vectors / sizeof rfc_vectors[0]; i++) {
        const struct rfc_vector *v = &rfc_vectors[i];
        struct hf_quic_keys k;
        uint8_t dcid[8], pkt[1300], hdr[32];
        size_t tail_len = strlen(v->tail) / 2;

        unhex(rfc_dcid, dcid);
        CHECK(hf_quic_client_keys(v->version, dcid, 8, &k), "keys %x",
              v->version);
        CHECK(same_hex(k.secret, v->secret), "client_initial_secret %x",
              v->version);
        CHECK(same_hex(k.key, v->key), "key %x", v->version);
        CHECK(same_hex(k.iv, v->iv), "iv %x", v->version);
        CHECK(same_hex(k.hp, v->hp), "hp %x", v->version);

        size_t n = rfc_packet(v->version, pkt);
        CHECK(n == 1200, "A.2 packet length %zu", n);
        CHECK(same_hex(pkt, v->protected_header), "protected header %x",
              v->version);
        CHECK(same_hex(pkt + 22, v->sample), "sample %x", v->version);
        CHECK(same_hex(pkt + n - tail_len, v->tail), "ciphertext/tag %x",
              v->version);
        /* the header we sealed was the RFC's, before protection */
        unhex(v->header, hdr);
        CHECK(pkt[1] == hdr[1] && pkt[5] == 8, "header layout");

        struct hf_quic_state st = { .have_dcid = 0 };
        char name[HF_NAME_MAX] = "";
        CHECK(hf_quic_sni(pkt, n, &st, name) == HF_PARSE_NAME &&
              strcmp(name, "example.com") == 0, "A.2 name %x: '%s'",
              v->version, name);
        CHECK(st.have_dcid && st.dcid_len == 8 && !memcmp(st.dcid, dcid, 8),
              "first DCID kept");

        /* one changed bit anywhere after the header fails the tag */
        st.have_dcid = 0;
        pkt[600] ^= 0x01;
        CHECK(hf_quic_sni(pkt, n, &st, name) == HF_PARSE_NO_NAME,
              "damaged payload %x", v->version);
        pkt[600] ^= 0x01;
        pkt[n - 1] ^= 0x80;
        CHECK(hf_quic_sni(pkt, n, &st, name) == HF_PARSE_NO_NAME,
              "damaged tag %x", v->version);
    }
    /* draft-29 shares v1's layout with its own salt */
    uint8_t dcid[8], pkt[1300];
    uint8_t payload[1162] = { 0 };
    struct initial_spec s = { 0xff00001d, dcid, 8, dcid, 8, 0, 0, 2, 4 };
    struct hf_quic_state st = { .have_dcid = 0 };
    char name[HF_NAME_MAX] = "";
    unhex(rfc_dcid, dcid);
    unhex(rfc_crypto_frame, payload);
    size_t n = seal(&s, payload, sizeof payload, pkt);
    CHECK(hf_quic_sni(pkt, n, &st, name) == HF_PARSE_NAME &&
          !strcmp(name, "example.com"), "draft-29");
}

/* ---- robustness ------------------------------------------------------- */

static void test_truncated_and_garbled(void)
{
    uint8_t pkt[1300], copy[1300];
    char name[HF_NAME_MAX];
    struct hf_quic_state st;
    size_t n = rfc_packet(V1, pkt);

    /* every cut: never a name, and never a read past the cut (ASan) */
    for (size_t len = 0; len < n; len++) {
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, pkt, len);
        st.have_dcid = 0;
        enum hf_parse_status r = hf_quic_sni(cut, len, &st, name);
        CHECK(r == (len < 5 ? HF_PARSE_NOT_MINE : HF_PARSE_NO_NAME),
              "cut at %zu: %d", len, r);
        free(cut);
    }
    /* every byte garbled: the header is authenticated too */
    for (size_t i = 0; i < n; i++) {
        for (unsigned x = 1; x < 256; x <<= 1) {
            memcpy(copy, pkt, n);
            copy[i] ^= (uint8_t)x;
            st.have_dcid = 0;
            enum hf_parse_status r = hf_quic_sni(copy, n, &st, name);
            CHECK(r != HF_PARSE_NAME && r != HF_PARSE_MORE,
                  "byte %zu ^%02x: %d", i, x, r);
        }
    }
    /* random datagrams with an Initial's first bytes */
    srand(1);
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)rand() % sizeof copy;
        for (size_t i = 0; i < len; i++)
            copy[i] = (uint8_t)rand();
        if (len >= 6) {
            memcpy(copy, pkt, (size_t)(rand() % 24));
            copy[5] = (uint8_t)(rand() % 24);
        }
        st.have_dcid = 0;
        hf_quic_sni(copy, len, &st, name);
    }
}

static void test_not_quic(void)
{
    struct hf_quic_state st = { .have_dcid = 0 };
    char name[HF_NAME_MAX];
    uint8_t pkt[1300];
    size_t n = rfc_packet(V1, pkt);
    /* a DNS query for example.com */
    static const uint8_t dns[] = {
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
        0x00, 0x01, 0x00, 0x01 };
    /* gQUIC Q035 (youtube_quic.pcap's era): public flags, 8-byte CID */
    static const uint8_t gquic[] = {
        0x0d, 0xeb, 0x43, 0x1e, 0x2c, 0x75, 0x1a, 0x8e, 0xb2, 'Q', '0',
        '3', '5', 0x01, 0xa0, 0x42, 0x00, 0x00, 0x00, 0x00 };

    CHECK(hf_quic_sni(dns, sizeof dns, &st, name) == HF_PARSE_NOT_MINE, "dns");
    CHECK(hf_quic_sni(gquic, sizeof gquic, &st, name) == HF_PARSE_NOT_MINE,
          "gquic");
    CHECK(hf_quic_sni(NULL, 0, &st, name) == HF_PARSE_NOT_MINE, "empty");

    uint8_t other[1300];
    memcpy(other, pkt, n);
    other[0] = 0x40 | (pkt[0] & 0x3f);      /* short header */
    CHECK(hf_quic_sni(other, n, &st, name) == HF_PARSE_NOT_MINE, "short");
    memcpy(other, pkt, n);
    other[0] = (uint8_t)((pkt[0] & 0xcf) | 0x20);  /* v1 Handshake */
    CHECK(hf_quic_sni(other, n, &st, name) == HF_PARSE_NOT_MINE, "handshake");
    memcpy(other, pkt, n);
    memset(other + 1, 0, 4);                /* version negotiation */
    CHECK(hf_quic_sni(other, n, &st, name) == HF_PARSE_NOT_MINE, "vn");
    memcpy(other, pkt, n);
    other[4] = 2;                           /* unknown version */
    CHECK(hf_quic_sni(other, n, &st, name) == HF_PARSE_NOT_MINE, "version 2");
    memcpy(other, pkt, n);
    other[0] &= 0xbf;                       /* fixed bit clear */
    CHECK(hf_quic_sni(other, n, &st, name) == HF_PARSE_NOT_MINE, "fixed bit");
    CHECK(!st.have_dcid, "no state from non-QUIC");
}

/* ---- a ClientHello over several Initials ------------------------------ */

struct client {
    uint8_t hello[4096];
    size_t hello_len;
    uint8_t odcid[8], sdcid[5];             /* original, server-chosen */
};

static void client_init(struct client *c, const char *name, size_t size)
{
    c->hello_len = client_hello(name, size, c->hello);
    memcpy(c->odcid, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    memcpy(c->sdcid, "\xa1\xa2\xa3\xa4\xa5", 5);
}

/* An Initial with frames already in b, padded so the datagram is 1200. */
static size_t client_initial_token(uint32_t version, const uint8_t *key_dcid,
                                   const uint8_t *dcid, size_t dcid_len,
                                   size_t token_len, uint64_t pn,
                                   struct buf *b, uint8_t *out)
{
    struct initial_spec s = { version, key_dcid, 8, dcid, dcid_len, 8,
                              token_len, pn, 1 + (unsigned)(pn % 4) };
    size_t token_field = (token_len >= 64 ? 2 : 1) + token_len;
    pad_to(b, 1200 - 16 - 1 - 4 - 1 - dcid_len - 1 - 8 - token_field - 2 -
                  s.pn_len);
    return seal(&s, b->b, b->len, out);
}

static size_t client_initial(uint32_t version, const uint8_t *key_dcid,
                             const uint8_t *dcid, size_t dcid_len,
                             uint64_t pn, struct buf *b, uint8_t *out)
{
    return client_initial_token(version, key_dcid, dcid, dcid_len, 0, pn, b,
                                out);
}

static void test_split_hello(uint32_t version)
{
    struct client c;
    struct hf_quic_state st = { .have_dcid = 0 };
    char name[HF_NAME_MAX] = "";
    uint8_t d1[1300], d2[1300];
    struct buf b1 = { .len = 0 }, b2 = { .len = 0 };

    /* Chrome-like: 1900 bytes, pieces shuffled, PING/PADDING between,
     * the packet with the later pieces first */
    client_init(&c, "www.Example.ORG", 1900);
    size_t h = c.hello_len;
    put_u8(&b1, 0x01);
    put_crypto(&b1, c.hello, 1500, h - 1500);
    put_u8(&b1, 0x00); put_u8(&b1, 0x00);
    put_crypto(&b1, c.hello, 1000, 300);
    put_u8(&b1, 0x01);
    put_crypto(&b1, c.hello, 1300, 200);
    put_crypto(&b2, c.hello, 600, 400);
    put_u8(&b2, 0x01);
    put_crypto(&b2, c.hello, 0, 350);
    put_crypto(&b2, c.hello, 300, 310);     /* overlaps both neighbours */
    size_t n1 = client_initial(version, c.odcid, c.odcid, 8, 1, &b1, d1);
    size_t n2 = client_initial(version, c.odcid, c.odcid, 8, 0, &b2, d2);

    CHECK(n1 == 1200 && n2 == 1200, "datagram sizes %zu %zu", n1, n2);
    CHECK(hf_quic_sni(d1, n1, &st, name) == HF_PARSE_MORE, "split: first");
    CHECK(st.crypto_len == 0 && st.n_ranges == 1, "held %u", st.n_ranges);
    CHECK(hf_quic_sni(d2, n2, &st, name) == HF_PARSE_NAME &&
          !strcmp(name, "www.example.org"), "split: name '%s'", name);
    CHECK(st.crypto_len == h && st.n_ranges == 0, "all contiguous");
    CHECK(!memcmp(st.crypto, c.hello, h), "stream content");

    /* both packets coalesced in one datagram */
    uint8_t both[2600];
    memcpy(both, d2, n2);
    memcpy(both + n2, d1, n1);
    memset(&st, 0xee, sizeof st);           /* callers reset have_dcid only */
    st.have_dcid = 0;
    st.crypto_len = 0;
    name[0] = 0;
    CHECK(hf_quic_sni(both, n1 + n2, &st, name) == HF_PARSE_NAME &&
          !strcmp(name, "www.example.org"), "coalesced: '%s'", name);

    /* later Initials carry the server's chosen DCID, still with the first
     * DCID's keys */
    memset(&st, 0, sizeof st);
    b2.len = 0;
    put_crypto(&b2, c.hello, 0, 1000);
    n2 = client_initial(version, c.odcid, c.odcid, 8, 0, &b2, d2);
    b1.len = 0;
    put(&b1, "\x02\x00\x00\x00\x00", 5);        /* ACK of packet 0 */
    put_crypto(&b1, c.hello, 1000, h - 1000);
    n1 = client_initial(version, c.odcid, c.sdcid, 5, 1, &b1, d1);
    CHECK(hf_quic_sni(d2, n2, &st, name) == HF_PARSE_MORE, "switch: first");
    CHECK(hf_quic_sni(d1, n1, &st, name) == HF_PARSE_NAME, "switch: second");
    CHECK(st.dcid_len == 8 && !memcmp(st.dcid, c.odcid, 8), "keys' DCID kept");
}

/* After a Retry the client's Initial takes the Retry's SCID as DCID and
 * derives new keys from it; the ClientHello starts again at offset 0. */
static void test_retry(void)
{
    struct client c;
    struct hf_quic_state st = { .have_dcid = 0 };
    char name[HF_NAME_MAX] = "";
    uint8_t d1[1300], d2[1300];
    struct buf b1 = { .len = 0 }, b2 = { .len = 0 };
    static const uint8_t retry_cid[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };

    client_init(&c, "retry.example", 1500);
    put_crypto(&b1, c.hello, 0, 1000);
    size_t n1 = client_initial(V1, c.odcid, c.odcid, 8, 0, &b1, d1);
    put_crypto(&b2, c.hello, 0, 1000);
    /* it carries the Retry's token */
    size_t n2 = client_initial_token(V1, retry_cid, retry_cid, 8, 90, 1, &b2,
                                     d2);
    CHECK(n2 == 1200, "retry datagram %zu", n2);
    CHECK(hf_quic_sni(d1, n1, &st, name) == HF_PARSE_MORE, "retry: first");
    CHECK(hf_quic_sni(d2, n2, &st, name) == HF_PARSE_MORE, "retry: after");
    CHECK(st.dcid_len == 8 && !memcmp(st.dcid, retry_cid, 8), "retry DCID");
    b1.len = 0;
    put_crypto(&b1, c.hello, 1000, c.hello_len - 1000);
    n1 = client_initial(V1, retry_cid, c.sdcid, 5, 2, &b1, d1);
    CHECK(hf_quic_sni(d1, n1, &st, name) == HF_PARSE_NAME &&
          !strcmp(name, "retry.example"), "retry: name '%s'", name);

    /* a packet no key opens: that datagram says NO_NAME */
    memset(&st, 0, sizeof st);
    hf_quic_sni(d2, n2, &st, name);
    d1[200] ^= 4;
    CHECK(hf_quic_sni(d1, n1, &st, name) == HF_PARSE_NO_NAME, "bad tag later");
}

/* ---- the frame walker and the reassembly directly --------------------- */

static void test_frames(void)
{
    struct client c;
    struct hf_quic_state st;
    char name[HF_NAME_MAX] = "";
    struct buf b = { .len = 0 };

    client_init(&c, "frames.example", 300);
    /* ACK_ECN with two extra ranges, then the whole CRYPTO stream */
    memset(&st, 0, sizeof st);
    put_u8(&b, 0x03);
    put_varint(&b, 1000); put_varint(&b, 20); put_varint(&b, 2);
    put_varint(&b, 3); put_varint(&b, 1); put_varint(&b, 2);
    put_varint(&b, 4); put_varint(&b, 5);
    put_varint(&b, 1); put_varint(&b, 2); put_varint(&b, 70000);
    put_crypto(&b, c.hello, 0, c.hello_len);
    hf_quic_walk_frames(b.b, b.len, &st);
    CHECK(st.crypto_len == c.hello_len, "after ACK_ECN: %u", st.crypto_len);
    CHECK(hf_quic_crypto_sni(&st, name) == HF_PARSE_NAME &&
          !strcmp(name, "frames.example"), "frames name");

    /* CONNECTION_CLOSE ends the walk */
    memset(&st, 0, sizeof st);
    b.len = 0;
    put_u8(&b, 0x1c); put_u8(&b, 0); put_u8(&b, 0); put_u8(&b, 0);
    put_crypto(&b, c.hello, 0, c.hello_len);
    hf_quic_walk_frames(b.b, b.len, &st);
    CHECK(st.crypto_len == 0, "after CONNECTION_CLOSE");

    /* a CRYPTO frame longer than the payload is ignored */
    memset(&st, 0, sizeof st);
    b.len = 0;
    put_crypto(&b, c.hello, 0, c.hello_len);
    hf_quic_walk_frames(b.b, b.len - 1, &st);
    CHECK(st.crypto_len == 0, "overlong CRYPTO");

    /* not a ClientHello; a ClientHello that cannot fit */
    memset(&st, 0, sizeof st);
    hf_quic_crypto_add(&st, 0, (const uint8_t *)"\x02\x00\x00\x10", 4);
    CHECK(hf_quic_crypto_sni(&st, name) == HF_PARSE_NO_NAME, "ServerHello");
    memset(&st, 0, sizeof st);
    hf_quic_crypto_add(&st, 0, (const uint8_t *)"\x01\x00\x10\x00", 4);
    CHECK(hf_quic_crypto_sni(&st, name) == HF_PARSE_NO_NAME, "4 KiB hello");
    memset(&st, 0, sizeof st);
    hf_quic_crypto_add(&st, 0, (const uint8_t *)"\x01\x00", 2);
    CHECK(hf_quic_crypto_sni(&st, name) == HF_PARSE_MORE, "header prefix");
    /* far offsets are dropped, not written */
    hf_quic_crypto_add(&st, 4090, c.hello, 100);
    hf_quic_crypto_add(&st, 1ull << 40, c.hello, 100);
    CHECK(st.n_ranges == 1 && st.ranges[0].end == 4096, "clipped at 4096");
}

/* Every order of n pieces gives the same stream; with more holes than
 * ranges, retransmissions still complete it. */
static void test_reassembly(void)
{
    uint8_t stream[4096];
    struct hf_quic_state st;

    for (size_t i = 0; i < sizeof stream; i++)
        stream[i] = (uint8_t)(i * 7 + 3);
    srand(7);
    for (int round = 0; round < 3000; round++) {
        size_t total = 1 + (size_t)(rand() % 4096);
        size_t cuts[40], pieces = 1 + (size_t)(rand() % 39);
        int order[40];
        cuts[0] = 0;
        for (size_t i = 1; i < pieces; i++)
            cuts[i] = (size_t)rand() % total;
        cuts[pieces] = total;
        for (size_t i = 1; i < pieces; i++)  /* sort the cut points */
            for (size_t j = i; j > 1 && cuts[j - 1] > cuts[j]; j--) {
                size_t t = cuts[j]; cuts[j] = cuts[j - 1]; cuts[j - 1] = t;
            }
        for (size_t i = 0; i < pieces; i++)
            order[i] = (int)i;
        for (size_t i = pieces - 1; i > 0; i--) {
            size_t j = (size_t)rand() % (i + 1);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        memset(&st, 0, sizeof st);
        /* until complete, as retransmissions would resend lost pieces;
         * overlapping extra pieces now and then */
        for (int pass = 0; pass < 40 && st.crypto_len < total; pass++)
            for (size_t k = 0; k < pieces; k++) {
                size_t p = (size_t)order[k];
                size_t from = cuts[p], to = cuts[p + 1];
                if (rand() % 4 == 0 && from > 5)
                    from -= 5;
                hf_quic_crypto_add(&st, from, stream + from, to - from);
                CHECK(st.n_ranges <= HF_QUIC_RANGES, "ranges bound");
            }
        CHECK(st.crypto_len == total, "round %d: %u of %zu", round,
              st.crypto_len, total);
        CHECK(!memcmp(st.crypto, stream, total), "round %d content", round);
        for (unsigned i = 0; i < st.n_ranges; i++)
            CHECK(st.ranges[i].start > st.crypto_len &&
                  st.ranges[i].start < st.ranges[i].end &&
                  (i == 0 || st.ranges[i - 1].end < st.ranges[i].start),
                  "range invariant");
    }
}

int main(void)
{
    check_failures_only = true;     /* millions of checks in loops */
    test_rfc_vectors();
    test_truncated_and_garbled();
    test_not_quic();
    test_split_hello(V1);
    test_split_hello(V2);
    test_retry();
    test_frames();
    test_reassembly();
    return check_summary();
}
