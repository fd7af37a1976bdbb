/* Writing hf_flow_record_t records as IPFIX through libfixbuf, the way the
 * probe exports them and the collector stores them: one internal template
 * (HF_TID_INTERNAL, every field of hf_flow_record_t) and the external
 * variants of hf_flow_variants[] (v4/v6, hostname strings, sampling) chosen
 * per record. */
#ifndef HOSTFLOW_IPFIX_WRITER_H
#define HOSTFLOW_IPFIX_WRITER_H

#include <stdbool.h>
#include <glib.h>
#include "flow_record.h"

/* Adds t to s under tid; frees t and returns false on failure (or if t is
 * NULL: the template could not be built). */
bool hf_ipfix_add_template(fbSession_t *s, gboolean internal, uint16_t tid,
                           fbTemplate_t *t, GError **err);

/* A new session over model holding the internal flow template and the
 * external variants, each with the fields of flags `with` added (0 for
 * flows, HF_TMPL_FLOWS for summaries); NULL and err on failure.  Free it with fbSessionFree()
 * unless a buffer took it (fBufAllocForExport: fBufFree frees it).  Add any
 * further templates (options records) before creating the buffer. */
fbSession_t *hf_ipfix_flow_session(fbInfoModel_t *model, uint32_t domain,
                                   uint32_t with, GError **err);

/* Appends rec to a buffer made over such a session, with the external
 * template that fits it (hf_flow_template_flags()). */
bool hf_ipfix_append_flow(fBuf_t *fbuf, const hf_flow_record_t *rec,
                          GError **err);

/* Template t as the template record tid (a template set's or, with a
 * scope, an options template set's) at out: its length, or 0 if it does
 * not fit room.  For exporters that frame their own messages. */
size_t hf_ipfix_template_record(fbTemplate_t *t, uint16_t tid, uint8_t *out,
                                size_t room);

#endif
