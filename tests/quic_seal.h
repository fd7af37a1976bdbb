/* Seal QUIC Initial packets the way a client does (RFC 9001 §5.3, §5.4),
 * independently of probe/quic_initial.c's opening code: for test_quic and
 * fuzz_quic.  Only the keys come from the probe (test_quic checks them
 * against the RFC vectors). */
#ifndef HOSTFLOW_TESTS_QUIC_SEAL_H
#define HOSTFLOW_TESTS_QUIC_SEAL_H

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "quic_keys.h"

#define V1 0x00000001u
#define V2 0x6b3343cfu

struct initial_spec {
    uint32_t version;
    const uint8_t *key_dcid;  /* DCID the keys come from */
    size_t key_dcid_len;
    const uint8_t *dcid;      /* DCID in the header */
    size_t dcid_len;
    size_t scid_len;          /* SCID bytes (0x5c each) */
    size_t token_len;         /* token bytes (0x7e each), < 16384 */
    uint64_t pn;
    unsigned pn_len;          /* 1..4 */
};

/* Header then protected payload into out; returns the packet's length.
 * pn_len + len must be at least 4 (the header protection sample) and
 * pn_len + len + 16 below 16384 (a 2-byte Length). */
static inline size_t seal(const struct initial_spec *s,
                          const uint8_t *payload, size_t len, uint8_t *out)
{
    struct hf_quic_keys k;
    uint8_t nonce[12], mask[16];
    size_t n = 0, pn_offset, hdr_len;
    int outl;

    if (!hf_quic_client_keys(s->version, s->key_dcid, s->key_dcid_len, &k))
        abort();
    out[n++] = (uint8_t)(0xc0 | (s->version == V2 ? 1 : 0) << 4 |
                         (s->pn_len - 1));
    for (int i = 3; i >= 0; i--)
        out[n++] = (uint8_t)(s->version >> (8 * i));
    out[n++] = (uint8_t)s->dcid_len;
    memcpy(out + n, s->dcid, s->dcid_len);
    n += s->dcid_len;
    out[n++] = (uint8_t)s->scid_len;
    memset(out + n, 0x5c, s->scid_len);
    n += s->scid_len;
    if (s->token_len >= 64)                         /* 2-byte varint */
        out[n++] = (uint8_t)(0x40 | s->token_len >> 8);
    out[n++] = (uint8_t)s->token_len;
    memset(out + n, 0x7e, s->token_len);
    n += s->token_len;
    size_t length = s->pn_len + len + 16;
    out[n++] = (uint8_t)(0x40 | length >> 8);
    out[n++] = (uint8_t)length;
    pn_offset = n;
    for (unsigned i = 0; i < s->pn_len; i++)
        out[n++] = (uint8_t)(s->pn >> (8 * (s->pn_len - 1 - i)));
    hdr_len = n;

    memcpy(nonce, k.iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(s->pn >> (8 * i));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c ||
        !EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce) ||
        !EVP_EncryptUpdate(c, NULL, &outl, out, (int)hdr_len) ||
        !EVP_EncryptUpdate(c, out + hdr_len, &outl, payload, (int)len) ||
        !EVP_EncryptFinal_ex(c, out + hdr_len + outl, &outl) ||
        !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16,
                             out + hdr_len + len))
        abort();
    if (!EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL) ||
        !EVP_EncryptUpdate(c, mask, &outl, out + pn_offset + 4, 16))
        abort();
    EVP_CIPHER_CTX_free(c);
    out[0] ^= mask[0] & 0x0f;
    for (unsigned i = 0; i < s->pn_len; i++)
        out[pn_offset + i] ^= mask[1 + i];
    return hdr_len + len + 16;
}

#endif
