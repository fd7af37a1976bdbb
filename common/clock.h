/* Wall-clock time (gettimeofday) as integer microseconds or milliseconds
 * since the Unix epoch, and seconds since it as text. */
#ifndef HOSTFLOW_CLOCK_H
#define HOSTFLOW_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

static inline uint64_t
hf_wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

static inline uint64_t
hf_wall_ms(void)
{
    return hf_wall_us() / 1000;
}

/* s (seconds since 1970) by strftime's fmt into buf, in UTC or the local
 * zone; returns buf. */
static inline const char *
hf_time_text(char *buf, size_t size, const char *fmt, uint64_t s, bool utc)
{
    time_t t = (time_t)s;
    struct tm tm;

    if (utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    if (!strftime(buf, size, fmt, &tm) && size)
        buf[0] = 0;
    return buf;
}

#endif
