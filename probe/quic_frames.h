/* Private to quic_initial.c, its tests and fuzz target: what happens to an
 * Initial's payload once it is decrypted and authenticated. */
#ifndef HOSTFLOW_QUIC_FRAMES_H
#define HOSTFLOW_QUIC_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "app_parse.h"

/* Walk the frames (RFC 9000 §12.4, §19), copying CRYPTO data into st.
 * Stops at the end, at a frame an Initial may not carry (CONNECTION_CLOSE
 * included), or at one that runs past the payload. */
void hf_quic_walk_frames(const uint8_t *payload, size_t len,
                         struct hf_quic_state *st);

/* Put CRYPTO stream bytes [offset, offset + len) in place, in any order;
 * bytes past sizeof(st->crypto) are dropped. */
void hf_quic_crypto_add(struct hf_quic_state *st, uint64_t offset,
                        const uint8_t *data, size_t len);

/* NAME or NO_NAME once the whole ClientHello is contiguous from offset 0
 * (or is known not to fit or not to be one); MORE before. */
enum hf_parse_status hf_quic_crypto_sni(const struct hf_quic_state *st,
                                        char name[HF_NAME_MAX]);

#endif
