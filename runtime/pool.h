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
    double rss_mib;      /* resident memory */
    double jitter_draw;  /* this child's draw in [0, 1) for RecycleJitter */
};

enum pool_verdict {
    VERDICT_KEEP,
    VERDICT_KILL_SILENT,      /* no heartbeat for MaxServerExpireTime */
    VERDICT_KILL_GRACE,       /* stopping for longer than GraceExpireTime
                               * and POOL_GRACE_SLACK */
    VERDICT_RECYCLE_LIFETIME, /* older than MaxServerLifeTime */
    VERDICT_RECYCLE_SPARETIME,/* idle for MaxServerSpareTime */
    VERDICT_RECYCLE_MEMORY    /* over MaxServerMemory */
};

/* Judge one child at time now. */
enum pool_verdict pool_judge(const struct pool_child *c, double now,
                             const struct settings *s);

/* A recycling limit spread by RecycleJitter so children started together
 * do not recycle together: limit * (1 + jitter * draw), draw in [0, 1). */
double pool_jitter(double limit, double jitter, double draw);

/* How a child's exit is counted. */
enum exit_kind {
    EXIT_STOPPED,        /* exited after being told to stop, or killed by
                          * an immediate shutdown */
    EXIT_START_FAILED,   /* script error at load or in ChildStart */
    EXIT_CRASHED,        /* a signal the master did not send */
    EXIT_FAILED,         /* exited unasked (non-zero status, or os.exit) */
    EXIT_KILLED_SILENT,  /* killed for no heartbeat */
    EXIT_KILLED_GRACE,   /* killed for outstaying GraceExpireTime */
    EXIT_KIND_COUNT
};

/* Why the master killed a child, if it did. */
enum kill_reason {
    KILLED_NOT,
    KILLED_SILENT,     /* no heartbeat */
    KILLED_GRACE,      /* outstayed GraceExpireTime */
    KILLED_SHUTDOWN,   /* immediate shutdown */
    KILLED_PROTOCOL    /* sent what a child must not send */
};

/* Classify an exit from its wait status, why the master killed it (if it
 * did), whether it had been told to stop, and whether it had reported
 * READY (only a child that had not can have failed to start). */
enum exit_kind pool_classify_exit(int status, enum kill_reason killed,
                                  int told_to_stop, int was_ready);

/* Does an exit of this kind count toward the crash-loop back-off? */
int pool_exit_is_failure(enum exit_kind kind);

/* A child told to stop closes its own connections at GraceExpireTime and
 * exits; the master kills it only this much later. */
#define POOL_GRACE_SLACK 1.0

/* A child that lived this long resets the count of failures in a row. */
#define POOL_STABLE_SECONDS 10.0

/* Seconds to wait before forking after `failures` start failures in a row:
 * 0, then 0.1 s doubling up to 10 s. */
double pool_backoff(int failures);

/* Seconds to wait before replacing a child that ended with `kind`, the
 * `failures`-th failure in a row: a child that could not start waits
 * pool_backoff(failures); one that crashed or exited after it had started
 * is replaced at once the first time, then pool_backoff(failures - 1). */
double pool_respawn_delay(enum exit_kind kind, int failures);

#endif
