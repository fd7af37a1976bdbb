/* The web view's request parameters: a query string split and
 * %-decoded, then each parameter checked against what the page accepts.
 * Anything the page does not know, a repeated parameter, a number out of
 * range, a bad time or filter, a value with a NUL or control byte, is
 * refused with a short message (HTTP 400).  No I/O: the fuzzer's target
 * (fuzz/fuzz_web_params.c). */
#ifndef HOSTFLOW_WEB_PARAMS_H
#define HOSTFLOW_WEB_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "query.h"

/* one parameter, as received (not NUL-terminated; may hold any byte) */
struct hf_web_pair {
    const char *key;
    size_t klen;
    const char *val;            /* NULL: "?key" without "=" */
    size_t vlen;
};

enum hf_web_param {
    HF_WP_SOURCE  = 1u << 0,
    HF_WP_FROM    = 1u << 1,
    HF_WP_TO      = 1u << 2,
    HF_WP_FILTER  = 1u << 3,
    HF_WP_ORDER   = 1u << 4,
    HF_WP_N       = 1u << 5,
    HF_WP_PAGE    = 1u << 6,
    HF_WP_BY      = 1u << 7,
    HF_WP_NAME    = 1u << 8,
    HF_WP_PROFILE = 1u << 9,
    HF_WP_WHAT    = 1u << 10,
    HF_WP_SPAN    = 1u << 11,
    HF_WP_TZ      = 1u << 12,
};

enum hf_web_what { HF_WHAT_BYTES, HF_WHAT_PACKETS, HF_WHAT_FLOWS };
enum hf_web_span { HF_SPAN_DAY, HF_SPAN_WEEK, HF_SPAN_MONTH, HF_SPAN_YEAR };

#define HF_WEB_VALUE_MAX 2048      /* bytes of one value (a filter) */
#define HF_WEB_N_MAX 1000          /* rows of a table */
#define HF_WEB_PAGE_MAX 100000

struct hf_web_params {
    unsigned given;                 /* enum hf_web_param bits */
    char *source;                   /* NULL: all (details), _total (graphs) */
    char *filter_text;              /* "" when none */
    struct hf_filter *filter;       /* compiled filter_text (never NULL after parse) */
    char *name;                     /* device */
    char *profile;                  /* default "live" */
    uint64_t from_ms, to_ms;        /* default the last 24 h; to UINT64_MAX: up to now */
    char *from_text, *to_text;      /* as given (for links), or NULL */
    enum hf_order order;
    unsigned n, page;               /* default 10 (flows: 100), 1 */
    struct hf_key keys[HF_KEYS_MAX];
    unsigned nkeys;                 /* by=; default hostname */
    enum hf_web_what what;
    enum hf_web_span span;
    bool utc;                       /* tz=utc */
};

/* Splits a raw query string ("a=1&b=%20x") into pairs, %-decoded and '+'
 * as space; the strings live in *store (an array of char *, free with
 * g_ptr_array_unref).  False with err on a malformed escape or more than
 * 64 parameters. */
bool hf_web_query_split(const char *qs, size_t len, GArray *pairs, GPtrArray *store,
                        GError **err);

/* Checks pairs against allowed (enum hf_web_param bits) into p (cleared
 * first; free with hf_web_params_clear even on failure); now_ms for
 * relative times.  False with a short message (the filter's own message
 * for a filter error; as received: the caller escapes it). */
bool hf_web_params_parse(const struct hf_web_pair *pairs, size_t n, unsigned allowed,
                         uint64_t now_ms, struct hf_web_params *p, GError **err);

void hf_web_params_clear(struct hf_web_params *p);

const char *hf_web_span_name(enum hf_web_span s);
const char *hf_web_what_name(enum hf_web_what w);

/* A source or profile name: [A-Za-z0-9._:@+-]{1,128}, not starting
 * with '.' (so never "..", never a hidden directory). */
bool hf_web_name_ok(const char *s);

#endif
