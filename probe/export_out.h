/* Where the probe's IPFIX messages go: a file (or standard output), a
 * connected UDP socket or a TCP connection.  Each write is one whole
 * message (hf_flow_messages frames them). */
#ifndef HOSTFLOW_EXPORT_OUT_H
#define HOSTFLOW_EXPORT_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "exporter.h"

struct hf_export_out;

/* Opens the file or connects the socket; NULL and err on failure. */
struct hf_export_out *hf_export_out_open(const struct hf_export_config *cfg,
                                         GError **err);

/* The largest message for this output: over UDP what the route's MTU
 * carries in one datagram, 8 KiB on TCP and 65496 bytes in a file (as
 * libfixbuf). */
size_t hf_export_out_max_msg(const struct hf_export_out *o);

/* One message (an hf_msg_write_fn: ctx is the output).  Over UDP and TCP
 * it may wait for the next ones, to go out in one system call; false and
 * err if sending what waited before it failed. */
bool hf_export_out_write(void *ctx, const uint8_t *msg, size_t len, GError **err);

/* Sends what waits: datagrams, bytes for TCP, a file's stdio buffer (live
 * export must not hold records back on a quiet network). */
bool hf_export_out_flush(struct hf_export_out *o, GError **err);

/* Closes and frees; false and err if the file's last write failed. */
bool hf_export_out_close(struct hf_export_out *o, GError **err);

#endif
