/* pool.h: the pool's pure decision logic. No I/O: given counts, a child's
 * times and the settings, say what to fork, stop, recycle or kill. */
#ifndef TINE_POOL_H
#define TINE_POOL_H

#include "settings.h"

/* The children that count toward the pool: starting or serving, and neither
 * stopping nor waiting to be replaced. Starting children count as idle. */
struct pool_counts {
    long total;
    long idle;
};

struct pool_decision {
    long stop;   /* idle children to stop (or busy ones, past MaxServer) */
    long fork;   /* children to start */
};

/* The seed's rules: stop excess first (more idle than MaxSpareServer, or
 * more than MaxServer); only if nothing is to stop, fork for MinSpareServer
 * and MinServer, never above MaxServer. Spare stops never go below
 * MinServer or MinSpareServer. */
struct pool_decision pool_decide(const struct pool_counts *c,
                                 const struct settings *s);

/* What the master knows of one child's times (monotonic seconds). */
struct pool_child {
    double started;      /* forked */
    double last_seen;    /* last message on its channel */
    double stop_sent;    /* told to stop; 0 if not */
    double idle_since;   /* has had no connection since; 0 if busy */
    int ready;           /* has reported READY */
};

enum pool_verdict {
    VERDICT_KEEP,
    VERDICT_KILL_SILENT,      /* no heartbeat for MaxServerExpireTime */
    VERDICT_KILL_GRACE,       /* stopping for longer than GraceExpireTime */
    VERDICT_RECYCLE_LIFETIME, /* older than MaxServerLifeTime */
    VERDICT_RECYCLE_SPARETIME /* idle for MaxServerSpareTime */
};

/* Judge one child at time now. */
enum pool_verdict pool_judge(const struct pool_child *c, double now,
                             const struct settings *s);

/* Seconds to wait before forking after `failures` start failures in a row:
 * 0, then 0.1 s doubling up to 10 s. */
double pool_backoff(int failures);

#endif
