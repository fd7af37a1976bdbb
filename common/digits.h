/* Digits two at a time: decimal, a division by 100 per pair instead of one
 * by 10 per digit (the event writer writes some 60 digits a line), and a
 * byte's two hex digits in one copy (UUIDs, MAC addresses). */
#ifndef HOSTFLOW_DIGITS_H
#define HOSTFLOW_DIGITS_H

#include <stddef.h>
#include <stdint.h>

static const char hf_digit_pairs[201] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static const char hf_hex_pairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* The number of decimal digits of v (1 for 0): from its bit length (one
 * multiply) and one compare, not a division or compare per digit. */
static inline size_t
hf_u64_digits(uint64_t v)
{
    static const uint64_t below[20] = {
        0, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
        10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
        100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
        100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
    };
    /* bits * log10(2), 1233 / 4096 close enough: digits or one more */
    unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;

    return t + 1 - (v < below[t]);
}

/* Writes v in decimal to out (up to 20 bytes, no NUL); returns the length.
 * Written from its last digit back, so no copy of variable length. */
static inline size_t
hf_u64_text(uint64_t v, char *out)
{
    if (v < 10) {            /* most of a line's numbers: versions, VLAN, flags */
        out[0] = (char)('0' + v);
        return 1;
    }
    size_t n = hf_u64_digits(v);
    char *p = out + n;

    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        p[0] = hf_digit_pairs[2 * r];
        p[1] = hf_digit_pairs[2 * r + 1];
    }
    if (v >= 10) {
        p[-2] = hf_digit_pairs[2 * v];
        p[-1] = hf_digit_pairs[2 * v + 1];
    } else {
        p[-1] = (char)('0' + v);
    }
    return n;
}

#endif
