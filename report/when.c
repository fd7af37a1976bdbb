#include "when.h"

#include <stdlib.h>
#include <string.h>

static GDateTime *
midnight(uint64_t now_ms, bool utc, int days_back)
{
    GDateTime *now = utc ? g_date_time_new_from_unix_utc((gint64)(now_ms / 1000))
                         : g_date_time_new_from_unix_local((gint64)(now_ms / 1000));
    GDateTime *day = utc ? g_date_time_new_utc(g_date_time_get_year(now),
                                               g_date_time_get_month(now),
                                               g_date_time_get_day_of_month(now), 0, 0, 0)
                         : g_date_time_new_local(g_date_time_get_year(now),
                                                 g_date_time_get_month(now),
                                                 g_date_time_get_day_of_month(now), 0, 0, 0);
    GDateTime *out = g_date_time_add_days(day, -days_back);

    g_date_time_unref(now);
    g_date_time_unref(day);
    return out;
}

static bool
relative(const char *t, uint64_t now_ms, uint64_t *out)
{
    char *end;
    long n;
    uint64_t unit;

    if (t[0] != '-' || !g_ascii_isdigit(t[1]))
        return false;
    n = strtol(t + 1, &end, 10);
    if (end[0] == 0 || end[1] != 0)
        return false;
    switch (end[0]) {
    case 's': unit = 1000; break;
    case 'm': unit = 60000; break;
    case 'h': unit = 3600000; break;
    case 'd': unit = 86400000; break;
    case 'w': unit = 7 * 86400000ULL; break;
    default: return false;
    }
    *out = (uint64_t)n * unit > now_ms ? 0 : now_ms - (uint64_t)n * unit;
    return true;
}

bool
hf_when_parse(const char *text, uint64_t now_ms, bool utc, uint64_t *out, GError **err)
{
    GDateTime *dt = NULL;
    char *t = g_strstrip(g_strdup(text));
    size_t len = strlen(t);

    if (g_ascii_strcasecmp(t, "now") == 0) {
        *out = now_ms;
        g_free(t);
        return true;
    }
    if (relative(t, now_ms, out)) {
        g_free(t);
        return true;
    }
    if (g_ascii_strcasecmp(t, "today") == 0)
        dt = midnight(now_ms, utc, 0);
    else if (g_ascii_strcasecmp(t, "yesterday") == 0)
        dt = midnight(now_ms, utc, 1);
    else if (len >= 10 && g_ascii_isdigit(t[0])) {
        GTimeZone *tz = utc ? g_time_zone_new_utc() : g_time_zone_new_local();
        char *iso;

        if (len == 10)
            iso = g_strconcat(t, "T00:00:00", NULL);        /* a date alone */
        else
            iso = g_strdup(t);
        if (iso[10] == ' ')
            iso[10] = 'T';
        dt = g_date_time_new_from_iso8601(iso, tz);
        g_free(iso);
        g_time_zone_unref(tz);
    }
    if (!dt) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "bad time '%s' (want e.g. 2026-11-29, '2026-11-29 03:00', "
                    "2026-11-29T03:00:00Z, now, today, yesterday, -1h, -7d)", text);
        g_free(t);
        return false;
    }
    gint64 s = g_date_time_to_unix(dt);
    *out = s < 0 ? 0 : (uint64_t)s * 1000 + (uint64_t)g_date_time_get_microsecond(dt) / 1000;
    g_date_time_unref(dt);
    g_free(t);
    return true;
}
