/* Decimal digits two at a time: a division by 100 per pair instead of one
 * by 10 per digit (the event writer writes some 60 digits a line). */
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

/* Writes v in decimal to out (up to 20 bytes, no NUL); returns the length.
 * Written from its last digit back, so no copy of variable length. */
static inline size_t
hf_u64_text(uint64_t v, char *out)
{
    size_t n = 1;

    for (uint64_t ten = 10; n < 20 && v >= ten; ten *= 10)
        n++;
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
