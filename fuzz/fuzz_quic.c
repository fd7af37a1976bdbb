/* libFuzzer target for QUIC Initial → SNI (probe/quic_initial.c).
 *
 * Random bytes almost never pass the AEAD tag, so besides raw datagrams the
 * input can be payloads that are sealed here into valid Initials (reaching
 * the frame walker and reassembly through the real decryption path), or
 * payloads handed to the frame walker directly.  First byte: the mode;
 * then chunks, each a 2-byte length and its bytes, all for one flow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app_parse.h"
#include "quic_frames.h"
#include "../tests/quic_seal.h"

enum { MODE_DATAGRAMS, MODE_SEALED, MODE_FRAMES, MODE_COUNT };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next chunk of the input, or false at its end. */
static bool next_chunk(const uint8_t **data, size_t *size,
                       const uint8_t **chunk, size_t *len)
{
    if (*size < 2)
        return false;
    size_t n = (size_t)(*data)[0] << 8 | (*data)[1];
    if (n > *size - 2)
        n = *size - 2;
    *chunk = *data + 2;
    *len = n;
    *data += 2 + n;
    *size -= 2 + n;
    return true;
}

/* Seal the chunk as an Initial: its first byte picks the version, the
 * header's DCID and the packet number length. */
static size_t sealed_initial(const uint8_t *chunk, size_t len,
                             uint64_t pn, uint8_t *out)
{
    static const uint8_t odcid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    static const uint8_t other[4] = { 9, 9, 9, 9 };
    uint8_t payload[4096] = { 0 };
    uint8_t how = len ? chunk[0] : 0;

    if (len)
        chunk++, len--;
    if (len > sizeof payload)
        len = sizeof payload;
    memcpy(payload, chunk, len);
    struct initial_spec s = {
        how & 1 ? V2 : V1, odcid, 8,
        how & 2 ? other : odcid, how & 2 ? 4 : 8,
        how >> 4 & 7, how & 4 ? 100 : 0, pn, 1 + (how >> 2 & 3),
    };
    return seal(&s, payload, len < 4 ? 4 : len, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t datagram[2 * 4096 + 512];
    struct hf_quic_state st;
    char name[HF_NAME_MAX];
    const uint8_t *chunk;
    size_t len, n;
    uint64_t pn = 0;

    if (size < 1)
        return 0;
    int mode = data[0] % MODE_COUNT;
    data++, size--;
    memset(&st, 0, sizeof st);

    /* a few datagrams make a flow; more would only slow the search */
    for (int k = 0; k < 8 && next_chunk(&data, &size, &chunk, &len); k++) {
        switch (mode) {
        case MODE_DATAGRAMS:
            hf_quic_sni(chunk, len, &st, name);
            break;
        case MODE_SEALED:
            n = sealed_initial(chunk, len, pn++, datagram);
            /* every other packet coalesced with a copy of the previous */
            if (pn % 2 == 0 && 2 * n <= sizeof datagram) {
                memcpy(datagram + n, datagram, n);
                n *= 2;
            }
            if (hf_quic_sni(datagram, n, &st, name) == HF_PARSE_NAME &&
                strlen(name) >= HF_NAME_MAX)
                abort();
            break;
        case MODE_FRAMES:
            hf_quic_walk_frames(chunk, len, &st);
            if (hf_quic_crypto_sni(&st, name) == HF_PARSE_NAME &&
                strlen(name) >= HF_NAME_MAX)
                abort();
            break;
        }
        if (st.crypto_len > sizeof st.crypto || st.n_ranges > HF_QUIC_RANGES)
            abort();
        for (unsigned i = 0; i < st.n_ranges; i++)
            if (st.ranges[i].start <= st.crypto_len ||
                st.ranges[i].start >= st.ranges[i].end ||
                st.ranges[i].end > sizeof st.crypto ||
                (i && st.ranges[i - 1].end >= st.ranges[i].start))
                abort();
    }
    return 0;
}
