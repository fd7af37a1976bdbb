/* Times as people type them for a report: absolute ("2026-11-29",
 * "2026-11-29 03:00", RFC 3339 "2026-11-29T03:00:00Z") in the local zone
 * unless they carry one (or utc), or relative to now ("now", "today",
 * "yesterday", "-90m", "-1h", "-7d", "-2w"). */
#ifndef HOSTFLOW_REPORT_WHEN_H
#define HOSTFLOW_REPORT_WHEN_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* ms since 1970 UTC into *out; false with a message naming the text. */
bool hf_when_parse(const char *text, uint64_t now_ms, bool utc, uint64_t *out,
                   GError **err);

#endif
