/* Rate-limited warnings for one class of fault (write failure, quota
 * refusal, table full...): the first occurrence is logged at once, later
 * ones are counted and summed up in one line per interval, so a flood of
 * bad datagrams never becomes a flood of log lines.
 *
 * An instance belongs to one thread; nothing here locks. */
#ifndef HOSTFLOW_RATE_LOG_H
#define HOSTFLOW_RATE_LOG_H

#include <stdbool.h>
#include <stdint.h>

#define HF_RATE_LOG_INTERVAL_MS 60000

struct hf_rate_log {
    const char *what;          /* "store write failure": names the class */
    uint64_t total;            /* occurrences ever */
    uint64_t pending;          /* occurrences not yet in a logged line */
    uint64_t window_ms;        /* when the current interval began */
    char last[256];            /* the latest occurrence's message */
};

/* One occurrence at now_ms, described by fmt.  Logs it at once when it is
 * the first of an interval, else keeps it for the summary. */
void hf_rate_log(struct hf_rate_log *r, uint64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Logs the summary of an interval that has ended (call about once a
 * second); force: log what is pending now (at exit).  True if it logged. */
bool hf_rate_log_flush(struct hf_rate_log *r, uint64_t now_ms, bool force);

#endif
