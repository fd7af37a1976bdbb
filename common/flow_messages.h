/* IPFIX data messages of flow records, framed here and written to a FILE
 * after the templates libfixbuf wrote (hf_ipfix_flow_session() exported
 * and emitted first).  Records go through hf_flow_encode(); messages,
 * sets and sequence numbers follow what libfixbuf's file export does, so
 * a file reads the same either way. */
#ifndef HOSTFLOW_FLOW_MESSAGES_H
#define HOSTFLOW_FLOW_MESSAGES_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>
#include "flow_encode.h"

struct hf_flow_messages;

/* Messages to fp, with export time extime and observation domain. */
struct hf_flow_messages *hf_flow_messages_new(const struct hf_flow_encoder *enc,
                                              FILE *fp, uint32_t extime,
                                              uint32_t domain);
void hf_flow_messages_free(struct hf_flow_messages *m);

/* Appends rec; writes the message out (fwrite) when it is full. */
bool hf_flow_messages_add(struct hf_flow_messages *m, const hf_flow_record_t *rec,
                          GError **err);

/* Writes out the message being built, if any (fwrite, no fflush). */
bool hf_flow_messages_end(struct hf_flow_messages *m, GError **err);

#endif
