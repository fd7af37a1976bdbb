/* Names applications put in their first bytes: TLS ClientHello
 * server_name, HTTP/1.x Host, QUIC v1 Initial's (encrypted) ClientHello.
 * Each parser is pure and bounds-checked; it says whether the bytes are its
 * protocol, need more bytes, or gave (or lack) a name. */
#ifndef HOSTFLOW_APP_PARSE_H
#define HOSTFLOW_APP_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum hf_parse_status {
    HF_PARSE_NOT_MINE = 0,    /* not this protocol: stop trying it */
    HF_PARSE_MORE,            /* a prefix of it: call again with more bytes */
    HF_PARSE_NAME,            /* found: name holds it (lower case, NUL-ended) */
    HF_PARSE_NO_NAME,         /* this protocol, but it carries no name */
};

#define HF_NAME_MAX 256       /* name buffers: 255 chars + NUL */

/* TLS: stream is the client's first bytes of a TCP connection (records,
 * possibly one ClientHello split over several records and segments). */
enum hf_parse_status hf_tls_sni(const uint8_t *stream, size_t len,
                                char name[HF_NAME_MAX]);

/* The same from a bare handshake message (type 1 ClientHello, with its
 * 4-byte header), as QUIC CRYPTO frames carry it. */
enum hf_parse_status hf_tls_clienthello_sni(const uint8_t *hs, size_t len,
                                            char name[HF_NAME_MAX]);

/* HTTP/1.x: stream is the client's first bytes; the Host header's name,
 * without a port. */
enum hf_parse_status hf_http_host(const uint8_t *stream, size_t len,
                                  char name[HF_NAME_MAX]);

/* QUIC: per-flow reassembly of the CRYPTO stream from client Initials.
 * Start a flow with have_dcid = 0: the other fields are reset then. */
#define HF_QUIC_RANGES 8      /* out-of-order CRYPTO pieces held at once */
struct hf_quic_state {
    uint8_t  dcid[20];        /* the client's first Destination Connection ID */
    uint8_t  dcid_len;
    uint8_t  have_dcid;
    uint8_t  n_ranges;
    uint32_t crypto_len;      /* contiguous CRYPTO bytes from offset 0 */
    /* bytes held past crypto_len: sorted, disjoint, not touching (Chrome
     * shuffles its CRYPTO frames over several Initials) */
    struct { uint16_t start, end; } ranges[HF_QUIC_RANGES];
    uint8_t  crypto[4096];
};

/* One UDP payload of a client→server flow.  Returns HF_PARSE_NOT_MINE for
 * anything but a QUIC v1 (or v2, or draft-29..32) long-header Initial. */
enum hf_parse_status hf_quic_sni(const uint8_t *datagram, size_t len,
                                 struct hf_quic_state *st,
                                 char name[HF_NAME_MAX]);

#endif
