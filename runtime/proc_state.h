/* proc_state.h: the life of one child as the master sees it, as a state
 * and a table of transitions (nginx keeps flags; one state is easier to
 * reason about). Pure: the master feeds it events and acts on the new
 * state. */
#ifndef TINE_PROC_STATE_H
#define TINE_PROC_STATE_H

#include <sys/types.h>

enum proc_state {
    PROC_STARTING,   /* forked, not READY yet */
    PROC_CANARY,     /* a reload's first child, not READY yet */
    PROC_SERVING,    /* READY: counts toward the pool */
    PROC_RECYCLE,    /* to be replaced; no replacement forked yet */
    PROC_REPLACED,   /* its replacement is starting; stops once it is up */
    PROC_YIELDING,   /* serving, while a reload's canary starts in its
                      * place; stops once the canary is up */
    PROC_STOPPING,   /* told to stop */
    PROC_KILLED,     /* SIGKILL sent */
    PROC_DEQUEUE,    /* a dequeue process running Dequeue: never counted,
                      * recycled or replaced; only stopped or killed */
    PROC_STATE_COUNT
};

enum proc_event {
    PROC_EV_READY,              /* the child reported READY */
    PROC_EV_RECYCLE,            /* it is to be replaced (age, memory, its
                                 * own wish, an older generation) */
    PROC_EV_REPLACEMENT_FORKED, /* its replacement was forked */
    PROC_EV_CANARY_FORKED,      /* a reload's canary was forked to take
                                 * its place */
    PROC_EV_REPLACEMENT_GONE,   /* that replacement died or was dropped
                                 * before it was READY */
    PROC_EV_STOP,               /* told to stop */
    PROC_EV_KILL,               /* SIGKILL sent */
    PROC_EVENT_COUNT
};

/* The state after ev in state s (s itself when ev changes nothing). */
enum proc_state proc_state_next(enum proc_state s, enum proc_event ev);

/* Does a child in state s count toward the pool's size (MaxServer,
 * MinServer, spares)? Starting and serving ones do; ones on their way out
 * (to be replaced, replaced, stopping, killed) do not. */
int proc_state_counts(enum proc_state s);

/* A name for the log and the status page ("serving"). */
const char *proc_state_name(enum proc_state s);

/* What a process in the table is for. */
enum proc_kind {
    PROC_KIND_CHILD,    /* serves clients: the pool */
    PROC_KIND_DEQUEUE   /* runs Dequeue once and exits; never accepts */
};

/* A name for the log and the status page ("dequeue process"). */
const char *proc_kind_name(enum proc_kind k);

/* What the process table keeps of one child for these rules; the master's
 * child record embeds it. */
struct proc_info {
    pid_t pid;
    long generation;
    enum proc_kind kind;
    enum proc_state state;
    pid_t replaces;       /* the child this one replaces, if any */
    pid_t replaced_by;    /* its replacement, while that starts */
    struct proc_info *next;
};

/* The child in list with pid, or NULL. */
struct proc_info *proc_find(struct proc_info *list, pid_t pid);

/* Apply ev to p. */
void proc_apply(struct proc_info *p, enum proc_event ev);

/* fresh, just forked, replaces old (which stops once fresh is READY);
 * canary: fresh is a reload's canary. */
void proc_link(struct proc_info *fresh, struct proc_info *old, int canary);

/* p reported READY: returns the child it replaces, now to be stopped,
 * or NULL. */
struct proc_info *proc_ready(struct proc_info *list, struct proc_info *p);

/* p is gone (exited), or dropped before it was READY: the child it was to
 * replace goes back to wanting a replacement, and whoever was replacing p
 * replaces nobody now. */
void proc_unlink(struct proc_info *list, struct proc_info *p);

/* Generation g is committed: every child of an older generation still
 * starting or serving is to be replaced. */
void proc_commit(struct proc_info *list, long g);

#endif
