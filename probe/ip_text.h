/* Addresses as text without printf (inet_ntop formats through sprintf,
 * which costs the event writer more than the rest of a line): the same
 * text as inet_ntop, RFC 5952 for IPv6. */
#ifndef HOSTFLOW_IP_TEXT_H
#define HOSTFLOW_IP_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define HF_IP_TEXT_MAX 46    /* INET6_ADDRSTRLEN */

/* An IPv4 address's 4 bytes (network order) as hf_ipv4_text takes it. */
static inline uint32_t
hf_ipv4_of_bytes(const uint8_t a[4])
{
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* Both write into out's HF_IP_TEXT_MAX bytes, perhaps a few past the
 * text's length. */

/* Writes a (host byte order) as dotted quad; returns the length (no NUL). */
size_t hf_ipv4_text(uint32_t a, char *out);
/* Writes a as inet_ntop(AF_INET6) does; returns the length (no NUL). */
size_t hf_ipv6_text(const uint8_t a[16], char *out);

#endif
