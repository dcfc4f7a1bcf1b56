/* child.h: a child's life after fork: load the script, accept and serve
 * clients on its own event loop, report to the master, stop gracefully. */
#ifndef TINE_CHILD_H
#define TINE_CHILD_H

#include <sys/types.h>

#include "channel.h"
#include "listen.h"
#include "settings.h"
#include "shdict_zones.h"

struct child;
struct conn;
struct event_base;
struct lua_host;
struct scoreboard;
struct ssl_ctx_st;

/* What the master hands a new child. */
struct child_start {
    const struct settings *settings;
    const char *script;
    const struct listener *listeners;
    int nlisteners;
    int channel_fd;
    struct scoreboard *scoreboard;  /* every child's slot, for spreading */
    int slot_index;                 /* ours in it, or -1 */
    pid_t master_pid;
    long generation;
    int paused;          /* start with accepting paused (USR1) */
    double jitter_draw;  /* in [0, 1): spreads MaxServerLifeTimes */
    struct ssl_ctx_st *tls;  /* TLS listeners' context (the master's) */
    int dequeue;         /* a dequeue process: no listener; runs Dequeue
                          * instead of ChildStart and exits when it ends */
    const struct shdict_zones *zones;  /* mapped: settings->shared_dict's */
};

/* Run the child until it stops; returns its exit status (enum child_exit
 * or 1 on an internal failure). Call right after fork, with signals
 * already reset to their defaults. */
int child_main(const struct child_start *start);

/* In a freshly forked child: signals to their defaults (a sanitizer
 * build keeps the sanitizers' handlers), every descriptor closed but the
 * channel, the log and the listeners, then child_main; never returns. */
void child_after_fork(const struct child_start *start)
    __attribute__((noreturn));

/* Has this child been told to stop (tine.stopping())? */
int child_is_stopping(struct child *ch);

/* Open connections. */
long child_connections(struct child *ch);

/* tine.shutdown(), tine.recycle(), tine.pause()/resume(). A dequeue
 * process, which the master never replaces, takes a recycle as a stop. */
void child_request_shutdown(struct child *ch);
void child_request_recycle(struct child *ch);
void child_set_script_paused(struct child *ch, int paused);

#endif
