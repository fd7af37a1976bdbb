/* Wall-clock time (gettimeofday) as integer microseconds or milliseconds
 * since the Unix epoch. */
#ifndef HOSTFLOW_CLOCK_H
#define HOSTFLOW_CLOCK_H

#include <stdint.h>
#include <sys/time.h>

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

#endif
