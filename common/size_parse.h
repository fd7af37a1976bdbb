/* Sizes on command lines and in configuration: "50G", "512M", "64K", "1000". */
#ifndef HOSTFLOW_SIZE_PARSE_H
#define HOSTFLOW_SIZE_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes, with an optional K/M/G/T suffix (powers of 1024, "B"/"iB"
 * allowed after it); false for anything else, negatives included. */
bool hf_size_parse(const char *s, uint64_t *out);

#endif
