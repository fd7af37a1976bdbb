/* Reads every byte a flow record delivered by a store reader points at (its
 * strings) and its fixed fields, so that ASan sees a string or field read
 * out of bounds; ctx is a uint64_t sum. */
#ifndef HOSTFLOW_FUZZ_RECORD_H
#define HOSTFLOW_FUZZ_RECORD_H

#include <stdint.h>
#include "flow_record.h"

static inline void
fuzz_touch_record(void *ctx, const hf_flow_record_t *r)
{
    const fbVarfield_t *v = &r->hostflowHostname;
    uint64_t *sum = ctx;

    for (int i = 0; i < 6; i++)
        for (size_t j = 0; j < v[i].len; j++)
            *sum += v[i].buf[j];
    *sum += r->octetDeltaCount + r->sourceIPv6Address[15] + r->sourceMacAddress[5];
}

/* The same for each of a chunk of records (hf_columns_read). */
static inline void
fuzz_touch_records(void *ctx, const hf_flow_record_t *recs, const uint32_t *keep, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        fuzz_touch_record(ctx, &recs[keep[i]]);
}

/* A reader's choice of every other record (the rest of their fields are
 * read after it). */
static inline uint32_t
fuzz_every_other(void *ctx, const hf_flow_record_t *recs, uint32_t n, uint32_t *keep)
{
    uint32_t m = 0;

    (void)ctx;
    for (uint32_t i = 0; i < n; i++)
        if ((recs[i].flowStartMilliseconds ^ i) & 1)
            keep[m++] = i;
    return m;
}

#endif
