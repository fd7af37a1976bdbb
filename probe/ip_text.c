#include "ip_text.h"

#include "digits.h"

/* 0 to 255 in decimal; returns the length */
static size_t
put_octet(char *out, unsigned v)
{
    if (v >= 100) {
        out[0] = (char)('0' + v / 100);
        out[1] = hf_digit_pairs[2 * (v % 100)];
        out[2] = hf_digit_pairs[2 * (v % 100) + 1];
        return 3;
    }
    if (v >= 10) {
        out[0] = hf_digit_pairs[2 * v];
        out[1] = hf_digit_pairs[2 * v + 1];
        return 2;
    }
    out[0] = (char)('0' + v);
    return 1;
}

size_t
hf_ipv4_text(uint32_t a, char *out)
{
    size_t n = put_octet(out, a >> 24);

    out[n++] = '.';
    n += put_octet(out + n, a >> 16 & 0xff);
    out[n++] = '.';
    n += put_octet(out + n, a >> 8 & 0xff);
    out[n++] = '.';
    return n + put_octet(out + n, a & 0xff);
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
            return n + hf_ipv4_text((uint32_t)a[12] << 24 | a[13] << 16 | a[14] << 8 | a[15],
                                    out + n);
        int shift = w[i] >= 0x1000 ? 12 : w[i] >= 0x100 ? 8 : w[i] >= 0x10 ? 4 : 0;
        for (; shift >= 0; shift -= 4)
            out[n++] = hex[w[i] >> shift & 15];
    }
    if (best >= 0 && best + best_len == 8)
        out[n++] = ':';
    return n;
}
