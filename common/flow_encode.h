/* Data records of the external flow templates (hf_ipfix_flow_session()),
 * encoded without libfixbuf.
 *
 * libfixbuf transcodes every record field by field through its generic
 * plan: ~1900 instructions a record, half of the collector's user-space
 * instructions.  The layouts are fixed by hf_flow_spec[], so a list of
 * copies per template, made once from the spec and the information model,
 * gives the same bytes in ~300 (tests/test_store.c compares them with
 * libfixbuf's). */
#ifndef HOSTFLOW_FLOW_ENCODE_H
#define HOSTFLOW_FLOW_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "flow_record.h"

struct hf_flow_encoder;

/* Plans for the templates hf_ipfix_flow_session(model, _, with) adds. */
struct hf_flow_encoder *hf_flow_encoder_new(fbInfoModel_t *model, uint32_t with,
                                            GError **err);
void hf_flow_encoder_free(struct hf_flow_encoder *e);

#endif
