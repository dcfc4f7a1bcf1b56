/* child_fork.c: the first moments of a child, between fork and
 * child_main: the process reset, keeping the descriptors the child needs
 * (its channel, the logs, the listeners but in a dequeue process). */
#include <stdlib.h>
#include <unistd.h>

#include "access_log.h"
#include "after_fork.h"
#include "child.h"
#include "log.h"

void child_after_fork(const struct child_start *st)
{
    int *keep = malloc(sizeof(*keep) * (size_t)(st->nlisteners + 3));
    if (!keep) _exit(1);
    int n = 0;
    keep[n++] = st->channel_fd;
    keep[n++] = log_fd();
    keep[n++] = access_log_fd();
    for (int i = 0; i < st->nlisteners && !st->dequeue; i++)
        keep[n++] = st->listeners[i].fd;  /* a dequeue process holds none */
    after_fork_reset(keep, n);
    free(keep);
    _exit(child_main(st));
}
