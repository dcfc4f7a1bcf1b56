/* master_int.h: what the master's files share (master.c the loop, signals
 * and shutdown; master_proc.c the process table: spawn, messages, exits;
 * master_pool.c the pool's tick; master_reload.c generations;
 * master_dequeue.c dequeue processes). Nothing outside the master
 * includes it. */
#ifndef TINE_MASTER_INT_H
#define TINE_MASTER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "channel.h"
#include "cli.h"
#include "listen.h"
#include "notify.h"
#include "pool.h"
#include "proc_state.h"
#include "scoreboard.h"
#include "settings.h"
#include "settings_reader.h"
#include "shdict_zones.h"

struct event;
struct event_base;
struct master;
struct ssl_ctx_st;
struct tls_keys;
struct master_status;

/* What the status page counts beyond the children running now. */
struct master_counts {
    double started_at;          /* monotonic: the master's start */
    double accepted, requests;  /* by children that have ended */
    double spawned;             /* children forked */
    double exits[EXIT_KIND_COUNT];
};

/* One child, as the master knows it: its place in the process table
 * (state, generation, replacement links) and its plumbing. */
struct child_rec {
    struct proc_info proc;    /* first: the table links through it */
    int fd;                   /* master's end of the channel */
    struct event *ev;
    int slot;                 /* scoreboard index, or -1 */
    double started, last_seen, stop_sent;
    enum kill_reason killed;  /* why SIGKILL was sent, if it was */
    double jitter_draw;       /* in [0, 1): spreads its recycling */
    char error[CHANNEL_TEXT_MAX + 1];  /* from MSG_FAILED */
    uint32_t lua_kb;          /* Lua heap at its last heartbeat */
    struct master *master;
};

struct master {
    struct settings s;
    const char *script;
    const struct cli *cli;
    struct event_base *base;
    struct listener *listeners;
    int nlisteners;
    struct scoreboard sb;
    struct proc_info *children;   /* struct child_rec, through .proc */
    struct event *tick_ev, *respawn_ev, *grace_ev;
    struct event *dequeue_ev;     /* every DequeueInterval */
    struct event *signal_evs[9];
    int shutting_down;
    int exit_code;
    int started;             /* some child has been READY */
    int failures;            /* start failures in a row */
    double spawn_not_before; /* back-off after start failures */
    int paused;              /* USR1 */
    long generation;         /* reloads done */
    struct settings pending; /* a reload's settings, until its canary is up */
    int reload_pending;
    struct settings_reader reader; /* a HUP's settings, being read */
    struct notifier notify;  /* the service manager, if any */
    int pid_fd;              /* holds the PidFile's lock; -1: none */
    int daemon_fd;           /* --daemonize: report the start here; -1 */
    struct ssl_ctx_st *tls;  /* TLS listeners' context, or NULL */
    struct tls_keys *tls_keys;  /* session ticket keys, shared */
    long resized;            /* TTIN minus TTOU so far: kept by reloads */
    struct shdict_zones zones; /* SharedDict of m->s and m->pending */
    char last_error[CHANNEL_TEXT_MAX + 80];
    struct master_counts counts;
    struct master_status *status;  /* StatusListen's server, or NULL */
};

/* The record of a table entry. */
static inline struct child_rec *rec_of(struct proc_info *p)
{
    return (struct child_rec *)p;
}

/* Walk the master's children as records. */
#define FOR_EACH_CHILD(m, r)                                              \
    for (struct child_rec *r = rec_of((m)->children); r;                  \
         r = rec_of(r->proc.next))

/* master_proc.c */
struct child_rec *master_spawn(struct master *m, const struct settings *s,
                               long generation);
/* A dequeue process (PROC_KIND_DEQUEUE) of the current generation. */
struct child_rec *master_spawn_dequeue(struct master *m);
struct child_rec *master_find(struct master *m, pid_t pid);
struct scoreboard_slot *master_slot(struct master *m, struct child_rec *r);
long master_conns(struct master *m, struct child_rec *r);
void master_stop_child(struct child_rec *r, const char *why);
void master_kill_child(struct child_rec *r, enum kill_reason why);
void master_remove_child(struct master *m, struct child_rec *r);
void master_reap(struct master *m);
void master_broadcast(struct master *m, enum channel_type type);

/* master_pool.c */
void master_pool_run(struct master *m);
struct child_rec *master_pick_excess(struct master *m);
struct pool_counts master_count(struct master *m);
void master_resize(struct master *m, int delta);
void master_on_tick(int fd, short what, void *arg);
void master_on_respawn(int fd, short what, void *arg);

/* master_reload.c */
void master_reload(struct master *m);
void master_commit_reload(struct master *m, struct child_rec *canary);
void master_abandon_reload(struct master *m, const char *why);
void master_apply_settings(struct master *m);

/* master_dequeue.c: the DequeueInterval timer (init: 0, or -1 with
 * errno; apply: armed as the settings say, at start and after a reload);
 * the log line for a dequeue process that ended. */
int master_dequeue_init(struct master *m);
void master_dequeue_apply(struct master *m);
void master_dequeue_free(struct master *m);
void master_dequeue_ended(struct child_rec *r, enum exit_kind kind,
                          int status, const char *why, double lived);
/* master_status.c: StatusListen. Open: 0, or -1 with err. */
int master_status_open(struct master *m, char *err, size_t errlen);
void master_status_close(struct master *m);

/* master.c */
void master_begin_shutdown(struct master *m, int graceful, const char *why);

/* master_tls.c: build the TLS context before forking, if a listener
 * speaks TLS (0, or -1 with err naming TLSCertificate or TLSKey); on a
 * reload rotate the ticket keys and build it anew from fresh (a bad pair
 * is logged and the running context kept); free it at exit. */
int master_tls_open(struct master *m, char *err, size_t errlen);
void master_tls_reload(struct master *m, const struct settings *fresh);
void master_tls_close(struct master *m);

#endif
