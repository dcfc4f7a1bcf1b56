/* scheduler.h (prefix sched_; not sched.h, which <pthread.h> includes):
 * every call into the script runs as a task, a coroutine of its own,
 * resumed from the event loop. A task that never waits costs one
 * resume of a pooled thread; one that waits (a socket, a timer, a name
 * lookup) is suspended, the child serves others, and the task is resumed
 * when what it waits for is there. Tine's own yields carry a marker, so a
 * script's own coroutine.yield is never taken for a wait. */
#ifndef TINE_SCHEDULER_H
#define TINE_SCHEDULER_H

#include <stddef.h>

struct lua_State;
struct scoreboard_slot;
struct sched_task;

/* A task that waited has ended: failed is 1 if it raised an error (err
 * holds it with its traceback). owner and cb are what sched_call was
 * given. */
typedef void (*sched_done_fn)(void *owner, int cb, int failed,
                              const char *err);

enum sched_result {
    SCHED_DONE,      /* returned */
    SCHED_FAILED,    /* raised an error: err holds it, with a traceback */
    SCHED_WAITING    /* suspended: done is called when it ends */
};

struct sched {
    struct lua_State *L;           /* the main state */
    struct scoreboard_slot *slot;  /* where running/waiting is shown */
    struct sched_task *idle;       /* tasks whose thread is ready for reuse */
    struct sched_task *all;        /* every task, for sched_close */
    struct sched_task *current;    /* the task being resumed, if any */
    long waiting;                  /* tasks suspended now */
    long threads_made;             /* threads created: few when reused */
    int *guard;                    /* if set: 1 while a task runs (the
                                    * memory limit applies then only) */
    int entries_ref;               /* registry: weak set of task threads */
};

/* Set s up for the main state L (slot may be NULL). Pushes nothing. */
void sched_init(struct sched *s, struct lua_State *L,
                struct scoreboard_slot *slot);

/* Free every task (their threads go with the state). */
void sched_close(struct sched *s);

/* Run the function below nargs arguments on from's stack (the main state,
 * or the thread of a task that starts another) as a task for callback cb
 * (shown in the scoreboard while it runs); pops them. Done at once, failed
 * at once (err), or waiting: then done(owner, ...) reports its end later. */
enum sched_result sched_call(struct sched *s, struct lua_State *from,
                             int cb, int nargs,
                             sched_done_fn done, void *owner,
                             char *err, size_t errlen);

/* The task running now, or NULL (the script's top level, or outside any
 * call): a wait registers it, then returns sched_wait(L). */
struct sched_task *sched_current(struct sched *s);

/* Suspend the running task: `return sched_wait(L);` from the C function
 * that started the wait. */
int sched_wait(struct lua_State *L);

/* The thread of a suspended task: push the wait's results here, then
 * call sched_resume. */
struct lua_State *sched_thread(struct sched_task *t);

/* Resume t with the nresults values pushed on its thread; it runs until
 * it waits again or ends (then its done is called). */
void sched_resume(struct sched *s, struct sched_task *t, int nresults);

/* Push the weak set of task threads (for the coroutine wrappers). */
void sched_push_entries(struct sched *s);

/* Push the value tine's waits yield (for the coroutine wrappers). */
void sched_push_marker(struct lua_State *L);

#endif
