/* A report's results as people and scripts read them: aligned text with
 * human units, CSV (RFC 4180, one header line) or JSON lines (one object a
 * row), with stable column names (man/hostflow-report.1).  Every name from
 * the network goes through common/safe_text.h. */
#ifndef HOSTFLOW_REPORT_RENDER_H
#define HOSTFLOW_REPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>
#include "query.h"

enum hf_render_format { HF_RENDER_TEXT, HF_RENDER_CSV, HF_RENDER_JSON };

struct hf_render_opts {
    enum hf_render_format format;
    bool utc;                   /* text times in UTC (CSV and JSON always are) */
};

/* The top n groups (all when 0), then "other" and "total". */
void hf_render_top(FILE *out, const struct hf_query *q, const struct hf_query_result *res,
                   enum hf_order order, unsigned n, const struct hf_render_opts *o);

/* One line per conversation, by start; n > 0: the last n. */
void hf_render_timeline(FILE *out, const struct hf_query *q,
                        const struct hf_query_result *res, unsigned n,
                        const struct hf_render_opts *o);

/* One line per conversation of convs (struct hf_conv *), in their order. */
void hf_render_convs(FILE *out, const struct hf_query *q, GPtrArray *convs,
                     const struct hf_render_opts *o);

/* Cells as the text form shows them (g_free them): 1234567 -> "1.2 M"
 * (unit appended), a time (machine: RFC 3339 UTC, else local or o->utc),
 * a duration, a conversation's device (name, else MAC, else address). */
char *hf_render_human(uint64_t v, const char *unit);
char *hf_render_time(uint64_t ms, const struct hf_render_opts *o, bool machine);
char *hf_render_duration(uint64_t ms);
char *hf_render_device(const struct hf_conv *c, const struct hf_names *names);

#endif
