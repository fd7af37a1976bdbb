/* Printing flow records as text columns, CSV or JSON lines. */
#ifndef HOSTFLOW_RECORD_FORMAT_H
#define HOSTFLOW_RECORD_FORMAT_H

#include <stdbool.h>
#include <stdio.h>
#include "flow_record.h"

enum hf_format { HF_FMT_TEXT, HF_FMT_CSV, HF_FMT_JSON };

/* "text", "csv", "json"; false if unknown. */
bool hf_format_parse(const char *name, enum hf_format *out);

void hf_format_header(FILE *out, enum hf_format fmt);
void hf_format_record(FILE *out, enum hf_format fmt, const hf_flow_record_t *r);

/* Helpers shared with reports. buf sizes: address 46, time 32. */
void hf_record_src(const hf_flow_record_t *r, char *buf, size_t len);
void hf_record_dst(const hf_flow_record_t *r, char *buf, size_t len);
void hf_format_time_ms(uint64_t ms, char *buf, size_t len);
const char *hf_name_source_name(uint8_t src);
const char *hf_end_reason_name(uint8_t reason);
void hf_tcp_flags_str(uint16_t flags, char buf[9]);
/* aa:bb:cc:dd:ee:ff into out (18 bytes with the NUL); returns 17.  A
 * hex loop, not snprintf: tables by device call it per record. */
size_t hf_mac_text(const uint8_t m[6], char out[18]);

#endif
