/* One hour of one source's flows, summarised: see rollup.h for the key. */
#ifndef HOSTFLOW_ROLLUP_HOUR_H
#define HOSTFLOW_ROLLUP_HOUR_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "flow_record.h"

struct hf_hour_sums;

struct hf_hour_sums *hf_hour_sums_new(uint64_t hour_s);
void hf_hour_sums_free(struct hf_hour_sums *h);

/* Adds a raw flow record (or a summary) to its summary. */
void hf_hour_sums_add(struct hf_hour_sums *h, const hf_flow_record_t *rec);

/* Writes the summaries, in a stable order, to path through a temporary
 * file in its directory that is synced and renamed into place (a summary
 * is derived data: a newer one replaces it).  *written: records written. */
bool hf_hour_sums_write(struct hf_hour_sums *h, fbInfoModel_t *model,
                        const char *path, uint64_t *written, GError **err);

#endif
