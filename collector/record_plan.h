/* A fixed-length template's plan: one step per field it decodes, each a
 * typed copy from a fixed offset of the record to a fixed offset of the
 * flow record or of the record's side state, run by data_records.c with
 * threaded dispatch.  Built once when the template arrives
 * (hf_template_layout), so a record pays no choice of element or length. */
#ifndef HOSTFLOW_RECORD_PLAN_H
#define HOSTFLOW_RECORD_PLAN_H

#include <stdint.h>

#include "decoder_int.h"

/* What a record's fields say besides the flow record itself (the start
 * and end times given in absolute form go straight to the flow record). */
struct record_side {
    uint64_t start_up, end_up;             /* sysUptime ms */
    uint64_t start_delta_us, end_delta_us; /* before the export */
    uint64_t octets_total, packets_total;
    uint64_t sysinit_ms;
    uint32_t sampler_id, interval;
    uint32_t sampling_size, sampling_population;
    uint8_t icmp_type, icmp_code;
    uint16_t has;                          /* enum side_has */
};

/* Which kinds of fields the record had: for a fixed-length template the
 * same for every record, so the plan knows them (hf_template.side_has). */
enum side_has {
    HAS_OCTETS = 1 << 0, HAS_PACKETS = 1 << 1,
    HAS_V4 = 1 << 2, HAS_V6 = 1 << 3,
    HAS_ICMP_PARTS = 1 << 4, HAS_SAMPLER = 1 << 5,
    HAS_START_UP = 1 << 6, HAS_END_UP = 1 << 7,
    HAS_START_DELTA = 1 << 8, HAS_END_DELTA = 1 << 9,
};

/* Integer steps: a big-endian integer of 1, 2, 4, 8 or N (3, 5, 6, 7)
 * bytes, truncated to an 8/16/32/64-bit field of the flow record (REC) or
 * of the side state (SIDE), as apply() does with the same field. */
#define STEP_STORES(X, base, rd) X(base, rd, 8) X(base, rd, 16) X(base, rd, 32) X(base, rd, 64)
#define STEP_READS(X, base) \
    STEP_STORES(X, base, 1) STEP_STORES(X, base, 2) STEP_STORES(X, base, 4) \
    STEP_STORES(X, base, 8) STEP_STORES(X, base, N)
#define STEP_INTS(X) STEP_READS(X, REC) STEP_READS(X, SIDE)

/* Pair steps: two integer fields of one kind next to each other both in
 * the record and in their destination (addresses, ports, counters, times),
 * one load of both. */
#define STEP_PAIRS_OF(X, base) X(base, 2, 16) X(base, 4, 32) X(base, 8, 64) X(base, 4, 64)
#define STEP_PAIRS(X) STEP_PAIRS_OF(X, REC) STEP_PAIRS_OF(X, SIDE)

enum step_kind {
    STEP_END = 0,
#define STEP_INT_ENUM(base, rd, w) STEP_##base##_R##rd##_W##w,
    STEP_INTS(STEP_INT_ENUM)
#undef STEP_INT_ENUM
#define STEP_PAIR_ENUM(base, rd, w) STEP_##base##_PAIR_R##rd##_W##w,
    STEP_PAIRS(STEP_PAIR_ENUM)
#undef STEP_PAIR_ENUM
    STEP_VLAN,          /* N bytes & 0x0fff into a 16-bit field */
    STEP_SECONDS,       /* N bytes of seconds into milliseconds */
    STEP_NTP,           /* 8 bytes of NTP time into milliseconds */
    STEP_COPY16,        /* an IPv6 address */
    STEP_COPY6,         /* a MAC address */
    STEP_STRING,        /* a string, NUL padding cut (set_string) */
    STEP_KINDS
};

/* Fills t's steps and side_has from its fields (t->min_len and t->varlen
 * set); a template with a variable-length field gets an empty plan. */
void hf_template_plan(struct hf_template *t);

#endif
