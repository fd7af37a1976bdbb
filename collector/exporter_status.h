/* The exporters part of status.json: the decoder's bounds and what they
 * refused, then per-exporter counters for the busiest sessions and every
 * named one, the rest summed, so the file stays small under a flood of
 * forged sources. */
#ifndef HOSTFLOW_EXPORTER_STATUS_H
#define HOSTFLOW_EXPORTER_STATUS_H

#include <stdbool.h>
#include <stdio.h>
#include "decoder.h"

/* Writes `"decoder": {...}, "exporters": [...], "other_exporters": {...}`
 * (JSON members, no surrounding braces).  top: sessions listed one by one
 * besides the named ones (is_named may be NULL). */
void hf_exporter_status_write(FILE *f, struct hf_decoder *d, unsigned top,
                              bool (*is_named)(void *ctx, const uint8_t addr[16]),
                              void *ctx);

#endif
