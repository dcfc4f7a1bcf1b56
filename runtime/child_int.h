/* child_int.h: what the child's files share (child.c its life: start,
 * channel, heartbeat, signals, stop; child_accept.c accepting and the
 * connection counts; child_dequeue.c a dequeue process's Dequeue).
 * Nothing outside the child includes it. */
#ifndef TINE_CHILD_INT_H
#define TINE_CHILD_INT_H

#include "access.h"
#include "child.h"

struct conn_set;
struct ssl_ctx_st;
struct event;
struct event_base;
struct lua_host;
struct scoreboard;
struct scoreboard_slot;

struct child_listener {
    struct child *ch;
    struct event *ev;
    int port;
    struct ssl_ctx_st *tls;   /* a TLS listener's context; else NULL */
};

struct child {
    struct event_base *base;
    const struct settings *s;
    struct lua_host *host;
    struct scoreboard_slot *slot;
    struct scoreboard *scoreboard;
    int slot_index;
    struct access_list allow, deny;
    struct access_list trusted;   /* TrustedProxies, or loopback */
    int channel_fd;
    struct event *channel_ev, *heartbeat_ev, *accept_retry_ev, *grace_ev;
    int signal_fd;          /* signalfd for USR1, USR2, TERM, INT */
    struct event *signal_ev;
    struct child_listener *listeners;
    int nlisteners;
    struct conn_set *conns;
    unsigned long accepted;
    int accepting;          /* listeners' events are added */
    int paused_by_master;   /* PAUSE message or USR1 */
    int paused_by_script;   /* tine.pause() */
    int accept_backoff;     /* out of descriptors: retrying on a timer */
    int yielding;           /* leaving new clients to less busy siblings */
    unsigned long lifetime_limit;  /* MaxServerLifeTimes, jittered; 0 off */
    int dequeue;            /* a dequeue process: never accepts */
    int stopping;           /* draining before exit */
    int finished;           /* ChildStop (a dequeue process: Dequeue) has
                             * run; the loop is ending */
    int recycle_asked, shutdown_asked;
    int exit_code;
    double last_accept_warning;
    double beat_due;        /* when the heartbeat timer is due next */
};

/* Accept exactly while nothing holds accepting back. */
void child_update_accepting(struct child *ch);

/* Accepts per wake-up for a child holding conns connections: a few while
 * it holds few, so a burst of short connections does not take it past the
 * accept-by-load slack and into a yield; more as it holds more, since its
 * loop turns take longer then and clients would wait in the listen queue
 * for seconds (a sibling's lead stays bounded by the slack either way). */
int child_accept_batch(long conns);

/* How many connections a child may hold above its least busy sibling
 * (holding least) before it leaves new ones to the others: 16, and over
 * 256 a sixteenth more of what the sibling holds beyond them, so a burst
 * of thousands of connections is not taken 16 at a time (the listen queue
 * overflowed: SYNs dropped, clients waiting seconds) while a few hundred
 * still spread as evenly as before. */
long child_accept_slack(long least);

/* End the loop once a stopping child has no connection left. */
void child_maybe_finish(struct child *ch);

/* Events of child_accept.c, set up by child.c. */
void child_on_accept(int fd, short what, void *arg);
void child_on_accept_retry(int fd, short what, void *arg);

/* A dequeue process: run Dequeue as a task; when it has ended (at once,
 * or later after waits) finished is set, exit_code says whether it
 * failed (logged) and the loop is broken. */
void child_dequeue_run(struct child *ch);

/* A dequeue process told to stop is still in Dequeue at GraceExpireTime:
 * log it and end the loop. */
void child_dequeue_expired(struct child *ch);

/* The connection set's news (conn_set_changed_fn). */
void child_on_conns_changed(void *owner, int opened);

#endif
