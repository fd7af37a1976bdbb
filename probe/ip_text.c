#include "ip_text.h"

#include <string.h>

/* 0 to 255 in decimal, its digits then (last byte) its length: an octet
 * is one 4-byte copy and an add, no division. */
#define OCTET(n) { \
    (char)('0' + ((n) >= 100 ? (n) / 100 : (n) >= 10 ? (n) / 10 : (n))), \
    (char)((n) >= 100 ? '0' + (n) / 10 % 10 : (n) >= 10 ? '0' + (n) % 10 : 0), \
    (char)((n) >= 100 ? '0' + (n) % 10 : 0), \
    (char)((n) >= 100 ? 3 : (n) >= 10 ? 2 : 1) }
#define OCTET4(n) OCTET(n), OCTET((n) + 1), OCTET((n) + 2), OCTET((n) + 3)
#define OCTET16(n) OCTET4(n), OCTET4((n) + 4), OCTET4((n) + 8), OCTET4((n) + 12)
#define OCTET64(n) OCTET16(n), OCTET16((n) + 16), OCTET16((n) + 32), OCTET16((n) + 48)
static const char octet_text[256][4] = {
    OCTET64(0), OCTET64(64), OCTET64(128), OCTET64(192),
};

/* The octet and a dot after it (written over by what follows the last) */
static inline size_t
put_octet(char *out, unsigned v)
{
    memcpy(out, octet_text[v], 4);
    size_t n = (size_t)octet_text[v][3];
    out[n] = '.';
    return n + 1;
}

size_t
hf_ipv4_text(uint32_t a, char *out)
{
    size_t n = put_octet(out, a >> 24);

    n += put_octet(out + n, a >> 16 & 0xff);
    n += put_octet(out + n, a >> 8 & 0xff);
    n += put_octet(out + n, a & 0xff);
    return n - 1;
}

size_t
hf_ipv6_text(const uint8_t a[16], char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned w[8];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    size_t n = 0;

    for (int i = 0; i < 8; i++) {
        w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
        if (w[i] == 0) {
            if (cur < 0)
                cur = i, cur_len = 0;
            if (++cur_len > best_len)      /* the first longest run */
                best = cur, best_len = cur_len;
        } else {
            cur = -1;
        }
    }
    if (best_len < 2)
        best = -1;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best)
                out[n++] = ':';
            continue;
        }
        if (i)
            out[n++] = ':';
        /* ::a.b.c.d and ::ffff:a.b.c.d keep their IPv4 tail, as inet_ntop */
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
            return n + hf_ipv4_text(hf_ipv4_of_bytes(a + 12), out + n);
        int shift = w[i] >= 0x1000 ? 12 : w[i] >= 0x100 ? 8 : w[i] >= 0x10 ? 4 : 0;
        for (; shift >= 0; shift -= 4)
            out[n++] = hex[w[i] >> shift & 15];
    }
    if (best >= 0 && best + best_len == 8)
        out[n++] = ':';
    return n;
}
