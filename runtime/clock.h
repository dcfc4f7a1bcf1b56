/* clock.h: monotonic time in seconds, comparable across processes. */
#ifndef TINE_CLOCK_H
#define TINE_CLOCK_H

#include <time.h>

static inline double clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
