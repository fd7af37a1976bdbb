/* IPFIX messages of flow records (and of any ready-made record: template
 * records, options data), framed here and handed whole to a writer: a
 * FILE after the templates libfixbuf wrote (the store), or the probe's
 * file, UDP or TCP output.  Records go through hf_flow_encode(); messages,
 * sets and sequence numbers follow what libfixbuf's export does (a set is
 * opened if its shortest record fits, a record that does not fit ends the
 * message, the export time is taken when a message starts, the sequence
 * number counts data records), so the output reads the same either way. */
#ifndef HOSTFLOW_FLOW_MESSAGES_H
#define HOSTFLOW_FLOW_MESSAGES_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>
#include "flow_encode.h"

/* libfixbuf's message limits per transport (fbExporterAlloc*) */
#define HF_IPFIX_MSG_FILE 65496
#define HF_IPFIX_MSG_TCP  8192
#define HF_IPFIX_MSG_UDP  1420

#define HF_IPFIX_SET_TEMPLATE 2
#define HF_IPFIX_SET_OPTIONS_TEMPLATE 3

struct hf_flow_messages;

/* Takes one whole message; false and err if it could not go out. */
typedef bool (*hf_msg_write_fn)(void *ctx, const uint8_t *msg, size_t len,
                                GError **err);

/* Messages of at most max_len bytes to write(ctx, ...), with export time
 * extime (0: the clock when each message starts) and observation domain. */
struct hf_flow_messages *hf_flow_messages_new_to(const struct hf_flow_encoder *enc,
                                                 size_t max_len, hf_msg_write_fn write,
                                                 void *ctx, uint32_t extime,
                                                 uint32_t domain);
/* A writer that holds messages in a buffer of its own (the store's big
 * writes) has them built there, not copied in: room() gives memory for
 * the next message, need bytes (its size limit and a few the encoder may
 * write past a record), never NULL; done() takes the message built in it,
 * false and err if it could not go out. */
struct hf_msg_sink {
    uint8_t *(*room)(void *ctx, size_t need);
    bool (*done)(void *ctx, const uint8_t *msg, size_t len, GError **err);
};
struct hf_flow_messages *hf_flow_messages_new_in(const struct hf_flow_encoder *enc,
                                                 size_t max_len,
                                                 const struct hf_msg_sink *sink,
                                                 void *ctx, uint32_t extime,
                                                 uint32_t domain);
/* Messages of a file's size limit to fp (fwrite). */
struct hf_flow_messages *hf_flow_messages_new(const struct hf_flow_encoder *enc,
                                              FILE *fp, uint32_t extime,
                                              uint32_t domain);
void hf_flow_messages_free(struct hf_flow_messages *m);

/* Export time of the messages started from now on (0: the clock). */
void hf_flow_messages_set_time(struct hf_flow_messages *m, uint32_t extime);

/* Appends rec; writes the message out when it is full.  false and err if
 * rec has no template, or if writing the full message failed (rec is then
 * in the next message all the same). */
bool hf_flow_messages_add(struct hf_flow_messages *m, const hf_flow_record_t *rec,
                          GError **err);

/* Appends a record already encoded (len bytes) to a set of id set_id:
 * a template record (set 2 or 3), or a data record of another template
 * (data true: it counts in the sequence number). */
bool hf_flow_messages_add_encoded(struct hf_flow_messages *m, uint16_t set_id,
                                  const uint8_t *rec, size_t len, bool data,
                                  GError **err);

/* Writes out the message being built, if any (no fflush). */
bool hf_flow_messages_end(struct hf_flow_messages *m, GError **err);

#endif
