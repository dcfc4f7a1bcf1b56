/* clock.h: monotonic time in seconds, comparable across processes, and
 * the conversion to libevent's timeval. */
#ifndef TINE_CLOCK_H
#define TINE_CLOCK_H

#include <sys/time.h>
#include <time.h>

/* Monotonic seconds, to the nanosecond. */
static inline double clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Monotonic seconds to the kernel's tick (a few ms): cheap enough for the
 * hot path, precise enough to say what hung and since when. */
static inline double clock_coarse(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Non-negative seconds as a timeval. */
static inline struct timeval clock_timeval(double seconds)
{
    struct timeval tv;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    return tv;
}

#endif
