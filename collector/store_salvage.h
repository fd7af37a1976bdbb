/* A temporary slot file left by a crash, read up to its last whole record:
 * its leading whole IPFIX messages as they are, then the message it was
 * cut in, repaired (common/ipfix_scan.h) to end after its last whole data
 * record, with its templates.  What follows that is not read. */
#ifndef HOSTFLOW_STORE_SALVAGE_H
#define HOSTFLOW_STORE_SALVAGE_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>

struct hf_salvage;

struct hf_salvage *hf_salvage_open(const char *path, GError **err);

/* The readable bytes as a stream, for hf_ipfix_reader_open_fp(). */
FILE *hf_salvage_stream(struct hf_salvage *v);

/* The file is nothing but whole messages: read as it is. */
bool hf_salvage_clean(const struct hf_salvage *v);

void hf_salvage_close(struct hf_salvage *v);

#endif
