/* The probe's flow as the common record (common/flow_record.h): what the
 * exporter sends and what live events show and --match tests. */
#ifndef HOSTFLOW_FLOW_FILL_H
#define HOSTFLOW_FLOW_FILL_H

#include <stdbool.h>
#include "flow_record.h"
#include "flow_table.h"

/* Strings are borrowed from the flow: use r before the flow is released.
 * with_names: the flow's hostname elements too (not with --no-names). */
void hf_flow_fill_record(const struct hf_flow *f, uint8_t end_reason, bool with_names,
                         hf_flow_record_t *r);

#endif
