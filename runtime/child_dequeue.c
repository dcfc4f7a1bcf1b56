/* child_dequeue.c: a dequeue process's work. It loaded the script as any
 * child does but holds no listener; it runs Dequeue as a task (which may
 * wait) and its life ends with it. Told to stop, it lets Dequeue run on
 * (tine.stopping() says so) until GraceExpireTime. */
#include <event2/event.h>

#include "callback.h"
#include "child_int.h"
#include "log.h"
#include "lua_host.h"
#include "tine_err.h"

#define DEQUEUE_FAILED 1   /* exit status after an error in Dequeue */

/* Dequeue has ended: the process exits, 1 if it raised an error. */
static void dequeue_ended(struct child *ch, int failed, const char *err)
{
    if (failed) {
        log_error("%s failed: %s", callback_name(CB_DEQUEUE), err);
        ch->exit_code = DEQUEUE_FAILED;
    }
    ch->finished = 1;
    event_base_loopbreak(ch->base);
}

/* Dequeue waited and has ended. */
static void on_dequeue_done(void *owner, int cb, int failed, const char *err)
{
    (void)cb;
    dequeue_ended(owner, failed, err);
}

void child_dequeue_run(struct child *ch)
{
    char err[TINE_ERR_MAX];
    enum sched_result r = host_call_hook(ch->host, CB_DEQUEUE,
                                         on_dequeue_done, ch, err,
                                         sizeof(err));
    if (r != SCHED_WAITING) dequeue_ended(ch, r == SCHED_FAILED, err);
}

void child_dequeue_expired(struct child *ch)
{
    log_warn("%s still running GraceExpireTime (%g s) after the stop: "
             "exiting", callback_name(CB_DEQUEUE), ch->s->grace_expire_time);
    event_base_loopbreak(ch->base);
}
