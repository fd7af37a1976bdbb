/* Reads hf_flow_record_t records from an IPFIX file (RFC 5655): the probe's
 * output, the collector's slot files, or any other exporter's file. */
#ifndef HOSTFLOW_IPFIX_READER_H
#define HOSTFLOW_IPFIX_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "flow_record.h"

struct hf_ipfix_reader;

/* path "-" reads standard input. */
struct hf_ipfix_reader *hf_ipfix_reader_open(const char *path, GError **err);

/* Reads an open stream (such as a repaired copy of a damaged file); fp
 * stays the caller's, to close after hf_ipfix_reader_close(). */
struct hf_ipfix_reader *hf_ipfix_reader_open_fp(FILE *fp, GError **err);

/* The next flow record: 1, end of file: 0, error: -1 with err (a truncated
 * file ends here; the records before it were delivered).  Options records
 * (exporter statistics) are counted and skipped.  String fields point into
 * the reader's buffer and stay valid until the next call. */
int hf_ipfix_reader_next(struct hf_ipfix_reader *r, hf_flow_record_t *rec,
                         GError **err);

uint64_t hf_ipfix_reader_options_records(const struct hf_ipfix_reader *r);

void hf_ipfix_reader_close(struct hf_ipfix_reader *r);

#endif
