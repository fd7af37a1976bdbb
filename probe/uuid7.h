/* UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter
 * (method 1 of section 6.2) and 62 random bits, so ids made by one
 * generator sort in the order they were made, and that order is time. */
#ifndef HOSTFLOW_UUID7_H
#define HOSTFLOW_UUID7_H

#include <stdint.h>

struct hf_uuid7_gen {
    uint64_t last_ms;
    uint16_t counter;        /* 12 bits used */
    uint64_t rng[2];         /* xorshift128+ state */
};

/* Seeds from the kernel's random source. */
void hf_uuid7_init(struct hf_uuid7_gen *g);

/* The next id for time ms (a time before the last id's uses the last's:
 * ids never go backwards). */
void hf_uuid7_next(struct hf_uuid7_gen *g, uint64_t ms, uint8_t out[16]);

/* "01890a5d-ac96-774b-bcce-b302099a8057" and a NUL into out. */
void hf_uuid_format(const uint8_t u[16], char out[37]);

#endif
