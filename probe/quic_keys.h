/* Private to quic_initial.c and its tests: the client's Initial packet
 * protection keys (RFC 9001 §5.2, RFC 9369 §3.3). */
#ifndef HOSTFLOW_QUIC_KEYS_H
#define HOSTFLOW_QUIC_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hf_quic_keys {
    uint8_t secret[32];       /* client_initial_secret */
    uint8_t key[16];          /* AEAD_AES_128_GCM */
    uint8_t iv[12];
    uint8_t hp[16];           /* header protection, AES-128-ECB */
};

/* Derive from the Destination Connection ID of the client's first Initial.
 * False for a version without known Initial salt, or if OpenSSL fails. */
bool hf_quic_client_keys(uint32_t version, const uint8_t *dcid,
                         size_t dcid_len, struct hf_quic_keys *k);

#endif
