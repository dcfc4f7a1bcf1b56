/* master_dequeue.c: dequeue processes, as Net::Server's run_dequeue:
 * every DequeueInterval, while fewer than MaxDequeue run and the server is
 * not stopping, one is forked. They sit in the process table beside the
 * children (kind PROC_KIND_DEQUEUE, state PROC_DEQUEUE), so heartbeats,
 * hang detection, LogFile reopening and graceful stops are the children's;
 * the pool never counts, recycles or replaces them. */
#include <event2/event.h>
#include <sys/wait.h>

#include "clock.h"
#include "log.h"
#include "master_int.h"

/* Dequeue processes in the table, stopping ones included: they still
 * run. */
static long running(struct master *m)
{
    long n = 0;
    FOR_EACH_CHILD(m, r) n += r->proc.kind == PROC_KIND_DEQUEUE;
    return n;
}

/* DequeueInterval has passed: start one more if there is room. Not before
 * the pool is up, nor while shutting down. */
static void on_dequeue_timer(evutil_socket_t fd, short what, void *arg)
{
    struct master *m = arg;
    (void)fd;
    (void)what;
    if (m->shutting_down || !m->started || running(m) >= m->s.max_dequeue)
        return;
    master_spawn_dequeue(m);
}

int master_dequeue_init(struct master *m)
{
    m->dequeue_ev = event_new(m->base, -1, EV_PERSIST, on_dequeue_timer, m);
    if (!m->dequeue_ev) return -1;
    master_dequeue_apply(m);
    return 0;
}

void master_dequeue_apply(struct master *m)
{
    if (!m->dequeue_ev) return;
    if (m->s.max_dequeue == 0) {
        event_del(m->dequeue_ev);
        return;
    }
    struct timeval tv = clock_timeval(m->s.dequeue_interval);
    event_add(m->dequeue_ev, &tv);
}

void master_dequeue_free(struct master *m)
{
    if (m->dequeue_ev) event_free(m->dequeue_ev);
    m->dequeue_ev = NULL;
}

void master_dequeue_ended(struct child_rec *r, enum exit_kind kind,
                          int status, const char *why, double lived)
{
    int fine = kind == EXIT_STOPPED ||
               (!r->killed && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (fine)
        log_debug("dequeue process %d ended after %.1f s", (int)r->proc.pid,
                  lived);
    else
        log_warn("dequeue process %d %s after %.1f s", (int)r->proc.pid, why,
                 lived);
}
