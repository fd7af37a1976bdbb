/* QUIC Initial packets → the ClientHello's server_name (RFC 9000 §17.2.2,
 * RFC 9001 §5, RFC 9369 for v2).
 *
 * Per datagram: parse the long header, derive the client's Initial keys
 * from the Destination Connection ID the flow began with, remove header
 * protection, open the AEAD (a wrong tag means "no name here", never a
 * guess), then gather CRYPTO frames into the flow's state until the
 * ClientHello is whole.  Coalesced Initials in one datagram are all read.
 *
 * OpenSSL objects are fetched once and reused (the probe is
 * single-threaded) and live until exit; nothing else allocates. */
#include "app_parse.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "extract.h"
#include "quic_frames.h"
#include "quic_keys.h"

enum {
    CID_MAX = 20,             /* v1 and v2 connection IDs */
    SAMPLE_LEN = 16,          /* header protection sample */
    TAG_LEN = 16,             /* AES-128-GCM */
    PN_MAX = 4,               /* packet number bytes */

    FRAME_PADDING = 0x00,
    FRAME_PING = 0x01,
    FRAME_ACK = 0x02,
    FRAME_ACK_ECN = 0x03,
    FRAME_CRYPTO = 0x06,

    HS_CLIENT_HELLO = 1,
    HS_HDR = 4,
};

/* ---- versions ------------------------------------------------------------ */

struct quic_version {
    uint32_t first, last;     /* version numbers sharing these values */
    uint8_t  initial_type;    /* long-header type bits of an Initial */
    uint8_t  salt[20];
    const char *key_label, *iv_label, *hp_label;
};

static const struct quic_version versions[] = {
    { 0x00000001, 0x00000001, 0,        /* v1: RFC 9001 §5.2 */
      { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
        0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
      "quic key", "quic iv", "quic hp" },
    { 0x6b3343cf, 0x6b3343cf, 1,        /* v2: RFC 9369 §3.3 */
      { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
        0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
      "quicv2 key", "quicv2 iv", "quicv2 hp" },
    /* drafts 29..32: what browsers spoke in 2020-21; still in captures */
    { 0xff00001d, 0xff000020, 0,
      { 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
        0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 },
      "quic key", "quic iv", "quic hp" },
};

static const struct quic_version *find_version(uint32_t number)
{
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (number >= versions[i].first && number <= versions[i].last)
            return &versions[i];
    return NULL;
}

/* ---- OpenSSL objects, fetched once --------------------------------------- */

static struct {
    EVP_MAC_CTX *hmac;        /* HMAC-SHA256, for HKDF */
    EVP_CIPHER *ecb, *gcm;
    EVP_CIPHER_CTX *hp_ctx, *aead_ctx;
    bool tried, ready;
} ossl;

static bool openssl_ready(void)
{
    if (ossl.tried)
        return ossl.ready;
    ossl.tried = true;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac) {
        ossl.hmac = EVP_MAC_CTX_new(mac);
        EVP_MAC_free(mac);
    }
    ossl.ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
    ossl.gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    ossl.hp_ctx = EVP_CIPHER_CTX_new();
    ossl.aead_ctx = EVP_CIPHER_CTX_new();
    ossl.ready = ossl.hmac && ossl.ecb && ossl.gcm && ossl.hp_ctx &&
                 ossl.aead_ctx;
    return ossl.ready;
}

/* ---- keys: HKDF-SHA256 (RFC 5869), TLS 1.3 labels (RFC 8446 §7.1) ----- */

static bool hmac_sha256(const uint8_t *key, size_t key_len,
                        const uint8_t *data, size_t data_len, uint8_t out[32])
{
    static char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    size_t n = 0;

    return EVP_MAC_init(ossl.hmac, key, key_len, params) &&
           EVP_MAC_update(ossl.hmac, data, data_len) &&
           EVP_MAC_final(ossl.hmac, out, &n, 32) && n == 32;
}

/* HKDF-Expand-Label(secret, label, "", out_len), out_len ≤ 32: one HMAC. */
static bool expand_label(const uint8_t secret[32], const char *label,
                         uint8_t *out, size_t out_len)
{
    uint8_t info[2 + 1 + 6 + 16 + 1 + 1], t[32];
    size_t label_len = strlen(label), n = 0;

    info[n++] = 0;
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(6 + label_len);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, label_len);
    n += label_len;
    info[n++] = 0;            /* empty context */
    info[n++] = 1;            /* HKDF-Expand's block counter T(1) */
    if (!hmac_sha256(secret, 32, info, n, t))
        return false;
    memcpy(out, t, out_len);
    return true;
}

bool hf_quic_client_keys(uint32_t version, const uint8_t *dcid,
                         size_t dcid_len, struct hf_quic_keys *k)
{
    const struct quic_version *v = find_version(version);
    uint8_t initial_secret[32];

    if (!v || !openssl_ready())
        return false;
    return hmac_sha256(v->salt, sizeof v->salt, dcid, dcid_len,
                       initial_secret) &&
           expand_label(initial_secret, "client in", k->secret, 32) &&
           expand_label(k->secret, v->key_label, k->key, sizeof k->key) &&
           expand_label(k->secret, v->iv_label, k->iv, sizeof k->iv) &&
           expand_label(k->secret, v->hp_label, k->hp, sizeof k->hp);
}

/* ---- varints (RFC 9000 §16) --------------------------------------------- */

static bool read_varint(struct hf_cursor *c, uint64_t *v)
{
    uint8_t b;

    if (!hf_cur_u8(c, 0, &b))
        return false;
    uint32_t n = 1u << (b >> 6);
    if (!hf_cur_has(c, n))
        return false;
    uint64_t x = b & 0x3f;
    for (uint32_t i = 1; i < n; i++)
        x = x << 8 | c->p[i];
    hf_cur_skip(c, n);
    *v = x;
    return true;
}

/* ---- the long header ----------------------------------------------------- */

struct initial_packet {
    uint32_t version;
    const uint8_t *dcid;
    uint8_t dcid_len;
    uint32_t pn_offset;       /* from the packet's first byte */
    uint32_t len;             /* the whole packet, header through tag */
};

enum header_kind { NOT_INITIAL, BAD_INITIAL, INITIAL };

static enum header_kind parse_initial(const uint8_t *p, uint32_t len,
                                      struct initial_packet *ip)
{
    struct hf_cursor c = hf_cur_make(p, len);
    const struct quic_version *v;
    uint8_t first, cid_len;
    uint64_t token_len, length;

    /* long header with the fixed bit, a version we know, its Initial type */
    if (!hf_cur_u8(&c, 0, &first) || (first & 0xc0) != 0xc0 ||
        !hf_cur_u32(&c, 1, &ip->version))
        return NOT_INITIAL;
    v = find_version(ip->version);
    if (!v || ((first >> 4) & 3) != v->initial_type)
        return NOT_INITIAL;
    hf_cur_skip(&c, 5);

    if (!hf_cur_u8(&c, 0, &cid_len) || cid_len > CID_MAX ||
        !hf_cur_has_at(&c, 1, cid_len))
        return BAD_INITIAL;
    ip->dcid = c.p + 1;
    ip->dcid_len = cid_len;
    hf_cur_skip(&c, 1u + cid_len);
    if (!hf_cur_u8(&c, 0, &cid_len) || cid_len > CID_MAX ||
        !hf_cur_skip(&c, 1u + cid_len))
        return BAD_INITIAL;
    if (!read_varint(&c, &token_len) || token_len > c.len ||
        !hf_cur_skip(&c, (uint32_t)token_len) || !read_varint(&c, &length))
        return BAD_INITIAL;
    /* the sample starts 4 bytes past the packet number's start (§5.4.2);
     * a packet cut short by the capture cannot be opened */
    if (length < PN_MAX + SAMPLE_LEN || length > c.len)
        return BAD_INITIAL;
    ip->pn_offset = len - c.len;
    ip->len = ip->pn_offset + (uint32_t)length;
    return INITIAL;
}

/* ---- packet protection --------------------------------------------------- */

/* One opened packet: its header, unprotected, then its plaintext.  Static
 * because the probe is single-threaded and 64 KiB is much for a stack. */
static uint8_t opened[65536];

/* Remove header protection and decrypt; false if the tag does not verify
 * (keys from the wrong DCID, a damaged or forged packet). */
static bool open_packet(const uint8_t *p, const struct initial_packet *ip,
                        const struct hf_quic_keys *k,
                        const uint8_t **payload, size_t *payload_len)
{
    uint8_t mask[SAMPLE_LEN], nonce[12], tag[TAG_LEN];
    uint32_t pn_len, hdr_len, ct_len;
    uint64_t pn = 0;
    int n = 0, fin = 0;

    if (ip->len > sizeof opened)
        return false;
    if (!EVP_EncryptInit_ex2(ossl.hp_ctx, ossl.ecb, k->hp, NULL, NULL) ||
        !EVP_CIPHER_CTX_set_padding(ossl.hp_ctx, 0) ||
        !EVP_EncryptUpdate(ossl.hp_ctx, mask, &n,
                           p + ip->pn_offset + PN_MAX, SAMPLE_LEN) ||
        n != SAMPLE_LEN)
        return false;

    memcpy(opened, p, ip->pn_offset + PN_MAX);
    opened[0] ^= mask[0] & 0x0f;            /* long header: 4 bits masked */
    pn_len = (opened[0] & 3u) + 1;
    for (uint32_t i = 0; i < pn_len; i++) {
        opened[ip->pn_offset + i] ^= mask[1 + i];
        pn = pn << 8 | opened[ip->pn_offset + i];
    }
    /* a client's Initial packet numbers start at 0, so the truncated
     * number is the full one (RFC 9000 §A.3 with largest_pn unknown) */
    hdr_len = ip->pn_offset + pn_len;
    ct_len = ip->len - hdr_len - TAG_LEN;   /* length ≥ 20 keeps it ≥ 0 */

    memcpy(nonce, k->iv, sizeof nonce);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    memcpy(tag, p + hdr_len + ct_len, TAG_LEN);

    if (!EVP_DecryptInit_ex2(ossl.aead_ctx, ossl.gcm, k->key, nonce, NULL) ||
        !EVP_DecryptUpdate(ossl.aead_ctx, NULL, &n, opened, (int)hdr_len) ||
        !EVP_DecryptUpdate(ossl.aead_ctx, opened + hdr_len, &n, p + hdr_len,
                           (int)ct_len) ||
        !EVP_CIPHER_CTX_ctrl(ossl.aead_ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
                             tag) ||
        EVP_DecryptFinal_ex(ossl.aead_ctx, opened + hdr_len + n, &fin) <= 0)
        return false;
    *payload = opened + hdr_len;
    *payload_len = ct_len;
    return true;
}

/* Keys come from the flow's first DCID even after the client switches to
 * the server's chosen one; after a Retry they come from the new DCID, so a
 * packet the stored keys cannot open gets a try with its own. */
static bool open_initial(const uint8_t *p, const struct initial_packet *ip,
                         struct hf_quic_state *st,
                         const uint8_t **payload, size_t *payload_len)
{
    struct hf_quic_keys k;

    if (st->have_dcid) {
        if (hf_quic_client_keys(ip->version, st->dcid, st->dcid_len, &k) &&
            open_packet(p, ip, &k, payload, payload_len))
            return true;
        if (st->dcid_len == ip->dcid_len &&
            memcmp(st->dcid, ip->dcid, ip->dcid_len) == 0)
            return false;
    }
    if (!hf_quic_client_keys(ip->version, ip->dcid, ip->dcid_len, &k) ||
        !open_packet(p, ip, &k, payload, payload_len))
        return false;
    memcpy(st->dcid, ip->dcid, ip->dcid_len);
    st->dcid_len = ip->dcid_len;
    st->have_dcid = 1;
    return true;
}

/* ---- frames -------------------------------------------------------------- */

static bool skip_ack(struct hf_cursor *c, bool ecn)
{
    uint64_t ranges, v;

    /* largest acknowledged, delay, range count, first range */
    if (!read_varint(c, &v) || !read_varint(c, &v) ||
        !read_varint(c, &ranges) || !read_varint(c, &v))
        return false;
    /* gap and length: each pair takes ≥ 2 bytes, so the payload bounds
     * the loop whatever the count says */
    for (uint64_t i = 0; i < ranges; i++)
        if (!read_varint(c, &v) || !read_varint(c, &v))
            return false;
    return !ecn ||
           (read_varint(c, &v) && read_varint(c, &v) && read_varint(c, &v));
}

void hf_quic_walk_frames(const uint8_t *payload, size_t len,
                         struct hf_quic_state *st)
{
    struct hf_cursor c = hf_cur_make(payload,
                                     len > UINT32_MAX ? UINT32_MAX
                                                      : (uint32_t)len);
    uint64_t type, offset, n;

    while (read_varint(&c, &type)) {
        switch (type) {
        case FRAME_PADDING:
        case FRAME_PING:
            break;
        case FRAME_ACK:
        case FRAME_ACK_ECN:
            if (!skip_ack(&c, type == FRAME_ACK_ECN))
                return;
            break;
        case FRAME_CRYPTO:
            if (!read_varint(&c, &offset) || !read_varint(&c, &n) ||
                n > c.len)
                return;
            hf_quic_crypto_add(st, offset, c.p, (size_t)n);
            hf_cur_skip(&c, (uint32_t)n);
            break;
        default:              /* CONNECTION_CLOSE, or not for Initials */
            return;
        }
    }
}

/* ---- CRYPTO stream reassembly -------------------------------------------- */

/* Note [start, end) as held: it absorbs the ranges it touches, and joins
 * the contiguous prefix if it reaches it.  With no room left the farthest
 * range is forgotten (its bytes may come again in a retransmission). */
static void note_range(struct hf_quic_state *st, uint32_t start, uint32_t end)
{
    uint16_t s[HF_QUIC_RANGES + 1], e[HF_QUIC_RANGES + 1];
    unsigned have = st->n_ranges < HF_QUIC_RANGES ? st->n_ranges
                                                  : HF_QUIC_RANGES;
    unsigned n = 0, i = 0, first = 0;

    for (; i < have && st->ranges[i].end < start; i++, n++) {
        s[n] = st->ranges[i].start;
        e[n] = st->ranges[i].end;
    }
    for (; i < have && st->ranges[i].start <= end; i++) {
        if (st->ranges[i].start < start)
            start = st->ranges[i].start;
        if (st->ranges[i].end > end)
            end = st->ranges[i].end;
    }
    s[n] = (uint16_t)start;
    e[n++] = (uint16_t)end;
    for (; i < have; i++, n++) {
        s[n] = st->ranges[i].start;
        e[n] = st->ranges[i].end;
    }
    /* only the new range can reach the prefix: held ones start past it */
    if (s[0] <= st->crypto_len) {
        if (e[0] > st->crypto_len)
            st->crypto_len = e[0];
        first = 1;
    }
    if (n - first > HF_QUIC_RANGES)
        n--;
    st->n_ranges = (uint8_t)(n - first);
    for (i = 0; i < st->n_ranges; i++) {
        st->ranges[i].start = s[first + i];
        st->ranges[i].end = e[first + i];
    }
}

void hf_quic_crypto_add(struct hf_quic_state *st, uint64_t offset,
                        const uint8_t *data, size_t len)
{
    const uint32_t cap = sizeof st->crypto;

    if (offset >= cap || len == 0)
        return;
    uint32_t start = (uint32_t)offset;
    uint32_t end = len > cap - start ? cap : start + (uint32_t)len;
    if (end <= st->crypto_len)
        return;               /* a retransmission of held bytes */
    if (start < st->crypto_len) {
        data += st->crypto_len - start;
        start = st->crypto_len;
    }
    memcpy(st->crypto + start, data, end - start);
    note_range(st, start, end);
}

enum hf_parse_status hf_quic_crypto_sni(const struct hf_quic_state *st,
                                        char name[HF_NAME_MAX])
{
    uint32_t need;

    if (st->crypto_len == 0)
        return HF_PARSE_MORE;
    if (st->crypto[0] != HS_CLIENT_HELLO) /* a client's first message */
        return HF_PARSE_NO_NAME;
    if (st->crypto_len < HS_HDR)
        return HF_PARSE_MORE;
    need = HS_HDR + ((uint32_t)st->crypto[1] << 16 |
                     (uint32_t)st->crypto[2] << 8 | st->crypto[3]);
    if (need > sizeof st->crypto)         /* can never be whole here */
        return HF_PARSE_NO_NAME;
    if (st->crypto_len < need)
        return HF_PARSE_MORE;
    return hf_tls_clienthello_sni(st->crypto, need, name) == HF_PARSE_NAME
               ? HF_PARSE_NAME
               : HF_PARSE_NO_NAME;
}

/* ---- the datagram -------------------------------------------------------- */

enum hf_parse_status hf_quic_sni(const uint8_t *datagram, size_t len,
                                 struct hf_quic_state *st,
                                 char name[HF_NAME_MAX])
{
    uint32_t left = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    struct initial_packet ip;
    const uint8_t *payload;
    size_t payload_len;
    bool opened_one = false;

    enum header_kind kind = parse_initial(datagram, left, &ip);
    if (kind == NOT_INITIAL)
        return HF_PARSE_NOT_MINE;
    if (!st->have_dcid) {     /* a new flow: callers reset only have_dcid */
        st->crypto_len = 0;
        st->n_ranges = 0;
    }
    if (!openssl_ready())
        return HF_PARSE_NO_NAME;

    /* coalesced packets: Initials first (RFC 9000 §12.2), so stop at
     * anything else (Handshake, 0-RTT, trailing padding) */
    while (kind == INITIAL && open_initial(datagram, &ip, st, &payload,
                                           &payload_len)) {
        opened_one = true;
        hf_quic_walk_frames(payload, payload_len, st);
        datagram += ip.len;
        left -= ip.len;
        kind = parse_initial(datagram, left, &ip);
    }
    return opened_one ? hf_quic_crypto_sni(st, name) : HF_PARSE_NO_NAME;
}
