/* Bounds-checked big-endian reads over untrusted bytes: captured frames
 * (packet/, the probe's application parsers) and flow-export messages (the
 * collector's NetFlow v5/v9, IPFIX and sFlow decoders, common/'s IPFIX
 * template reader).
 *
 * A cursor is a window (p, len) onto the bytes.  Every read names an
 * offset inside the window and fails (returns false, leaves *out untouched)
 * instead of reading past len, so decoders never touch bytes that were not
 * received.  Offsets and lengths are 32-bit and checked without overflow.
 * Everything is inline: these sit on the per-packet and per-record paths. */
#ifndef HOSTFLOW_EXTRACT_H
#define HOSTFLOW_EXTRACT_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct hf_cursor {
    const uint8_t *p;
    uint32_t len;
};

static inline struct hf_cursor hf_cur_make(const uint8_t *p, uint32_t len)
{
    struct hf_cursor c = { p, p ? len : 0 };
    return c;
}

/* n bytes are readable at offset off (written so off + n cannot wrap). */
static inline bool hf_cur_has_at(const struct hf_cursor *c, uint32_t off,
                                 uint32_t n)
{
    return off <= c->len && n <= c->len - off;
}

/* n bytes are readable at the cursor's start. */
static inline bool hf_cur_has(const struct hf_cursor *c, uint32_t n)
{
    return n <= c->len;
}

static inline bool hf_cur_u8(const struct hf_cursor *c, uint32_t off,
                             uint8_t *out)
{
    if (!hf_cur_has_at(c, off, 1))
        return false;
    *out = c->p[off];
    return true;
}

static inline bool hf_cur_u16(const struct hf_cursor *c, uint32_t off,
                              uint16_t *out)
{
    if (!hf_cur_has_at(c, off, 2))
        return false;
    uint16_t be;
    memcpy(&be, c->p + off, 2);         /* one load, whatever the alignment */
    *out = be16toh(be);
    return true;
}

static inline bool hf_cur_u32(const struct hf_cursor *c, uint32_t off,
                              uint32_t *out)
{
    if (!hf_cur_has_at(c, off, 4))
        return false;
    uint32_t be;
    memcpy(&be, c->p + off, 4);
    *out = be32toh(be);
    return true;
}

static inline bool hf_cur_u64(const struct hf_cursor *c, uint32_t off,
                              uint64_t *out)
{
    uint64_t be;

    if (!hf_cur_has_at(c, off, 8))
        return false;
    memcpy(&be, c->p + off, 8);
    *out = be64toh(be);
    return true;
}

/* An unsigned integer of n = 1..8 bytes at off (IPFIX reduced-size
 * encoding, RFC 7011 6.2): one bounds check, and the common sizes are
 * single loads.  n = 0 or n > 8 fails. */
static inline bool hf_cur_uint(const struct hf_cursor *c, uint32_t off,
                               uint32_t n, uint64_t *out)
{
    const uint8_t *q;
    uint64_t v = 0;
    uint32_t v32;
    uint16_t v16;

    if (n - 1 >= 8 || !hf_cur_has_at(c, off, n))   /* n - 1 wraps for 0 */
        return false;
    q = c->p + off;
    switch (n) {
    case 1: *out = q[0]; return true;
    case 2: memcpy(&v16, q, 2); *out = be16toh(v16); return true;
    case 4: memcpy(&v32, q, 4); *out = be32toh(v32); return true;
    case 8: memcpy(&v, q, 8); *out = be64toh(v); return true;
    default:
        for (uint32_t i = 0; i < n; i++)
            v = v << 8 | q[i];
        *out = v;
        return true;
    }
}

/* Big-endian integers at p; no bounds: the caller's (a record whose
 * length was checked once). */
static inline uint16_t hf_be16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, 2);
    return be16toh(v);
}

static inline uint32_t hf_be32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return be32toh(v);
}

static inline uint64_t hf_be64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return be64toh(v);
}

/* The big-endian unsigned integer of the n <= 8 bytes at p (a MAC as a
 * number, a key's time, an address half); no bounds: the caller's. */
static inline uint64_t hf_be_uint(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* A window of n bytes at off, for a part with its own length (a set, a
 * record, a sample); false if it runs past the end. */
static inline bool hf_cur_sub(const struct hf_cursor *c, uint32_t off,
                              uint32_t n, struct hf_cursor *out)
{
    if (!hf_cur_has_at(c, off, n))
        return false;
    out->p = c->p ? c->p + off : NULL;  /* NULL only with len 0, off 0 */
    out->len = n;
    return true;
}

/* Copy n bytes at off into dst (addresses, MACs). */
static inline bool hf_cur_copy(const struct hf_cursor *c, uint32_t off,
                               void *dst, uint32_t n)
{
    if (!hf_cur_has_at(c, off, n))
        return false;
    memcpy(dst, c->p + off, n);
    return true;
}

/* Advance past n bytes; on failure the cursor is unchanged. */
static inline bool hf_cur_skip(struct hf_cursor *c, uint32_t n)
{
    if (!hf_cur_has(c, n))
        return false;
    if (n == 0)
        return true; /* keeps a NULL p un-offset (UB even by 0) */
    c->p += n;
    c->len -= n;
    return true;
}

/* Shrink the window to at most n bytes (e.g. to an IP total length, so
 * Ethernet trailer padding is out of reach of later layers). */
static inline void hf_cur_limit(struct hf_cursor *c, uint32_t n)
{
    if (n < c->len)
        c->len = n;
}

#endif
