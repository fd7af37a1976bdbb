#include "rate_log.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>

void
hf_rate_log(struct hf_rate_log *r, uint64_t now_ms, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->last, sizeof(r->last), fmt, ap);
    va_end(ap);
    r->total++;
    hf_rate_log_flush(r, now_ms, false);
    if (r->window_ms == 0 || now_ms >= r->window_ms + HF_RATE_LOG_INTERVAL_MS) {
        /* first of its interval: said at once */
        g_warning("%s: %s", r->what, r->last);
        r->window_ms = now_ms ? now_ms : 1;
        return;
    }
    r->pending++;
}

bool
hf_rate_log_flush(struct hf_rate_log *r, uint64_t now_ms, bool force)
{
    if (r->pending == 0)
        return false;
    if (!force && now_ms < r->window_ms + HF_RATE_LOG_INTERVAL_MS)
        return false;
    if (now_ms >= r->window_ms)
        g_warning("%s: %" G_GUINT64_FORMAT " more in the last %" G_GUINT64_FORMAT
                  " s (%" G_GUINT64_FORMAT " in all); latest: %s", r->what,
                  r->pending, (now_ms - r->window_ms + 999) / 1000, r->total, r->last);
    else        /* a final flush without the time (now_ms 0) */
        g_warning("%s: %" G_GUINT64_FORMAT " more since the last report (%" G_GUINT64_FORMAT
                  " in all); latest: %s", r->what, r->pending, r->total, r->last);
    r->pending = 0;
    r->window_ms = now_ms ? now_ms : 1;
    return true;
}
