/* scoreboard.h: a shared-memory slot per child, mapped before any fork.
 * The child writes what it is doing (which callback, since when, its
 * connection counts) with plain stores; the master reads it to decide on
 * spares and to say what a hung child was stuck in. */
#ifndef TINE_SCOREBOARD_H
#define TINE_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>

struct scoreboard_slot {
    volatile int32_t pid;              /* 0: free */
    volatile int32_t callback;         /* enum callback_id running now;
                                        * 0: none */
    volatile int32_t waiting;          /* callbacks suspended, waiting */
    volatile int32_t accepting;        /* its listeners are armed */
    volatile double callback_since;    /* monotonic seconds */
    volatile double idle_since;        /* no connection since; 0 if busy */
    volatile int64_t conns;            /* open connections */
    volatile uint64_t accepted;        /* accepted since start */
    volatile uint64_t requests;        /* ClientInput and HTTP request
                                        * calls begun since start */
    volatile double loop_lag;          /* seconds its last heartbeat
                                        * timer fired late */
};

struct scoreboard {
    int nslots;
    volatile int32_t *used;   /* shared: slots below this were ever claimed */
    struct scoreboard_slot *slots;
};

/* Map nslots zeroed slots shared with future children; 0 or -1 (errno). */
int scoreboard_open(struct scoreboard *sb, int nslots);

/* Take a free slot for pid; its index, or -1 if all are taken. */
int scoreboard_claim(struct scoreboard *sb, pid_t pid);

/* Free slot i. */
void scoreboard_release(struct scoreboard *sb, int i);

/* The fewest connections held by a child, other than the one in slot
 * `self`, that is accepting and not stuck in a callback for `stuck`
 * seconds or more at time `now`; -1 if there is none. */
long scoreboard_least_busy(const struct scoreboard *sb, int self, double now,
                           double stuck);

/* What a slot said before a callback began, to be put back after it. */
struct scoreboard_mark {
    int32_t callback;
    double since;
};

/* Record in slot (if any) that callback cb runs from now (coarse time:
 * enough to say what hung); the slot's previous state goes into *saved. */
static inline void scoreboard_enter(struct scoreboard_slot *slot, int cb,
                                    double now, struct scoreboard_mark *saved)
{
    if (!slot) return;
    saved->callback = slot->callback;
    saved->since = slot->callback_since;
    slot->callback_since = now;
    slot->callback = cb;
}

/* Put back what scoreboard_enter saved. */
static inline void scoreboard_leave(struct scoreboard_slot *slot,
                                    const struct scoreboard_mark *saved)
{
    if (!slot) return;
    slot->callback = saved->callback;
    slot->callback_since = saved->since;
}

#endif
