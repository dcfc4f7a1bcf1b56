/* sock_pool.c: keep-alive pools as short lists; a child talks to a
 * handful of backends, so a linear search by name is enough. An idle
 * connection has a timer but no place in epoll: whether its peer closed
 * it or sent something is checked when it is taken (one peek), which
 * costs less than registering and unregistering it for every request. */
#include "sock_pool.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

struct idle_conn {
    int fd;
    unsigned reused;
    struct event *ev;          /* its idle time is up */
    struct named_pool *pool;
    struct idle_conn *prev, *next;   /* newest first */
};

struct named_pool {
    char *name;
    int count;
    struct idle_conn *newest, *oldest;
    struct named_pool *next;
};

struct sock_pool {
    struct event_base *base;
    struct named_pool *pools;
};

struct sock_pool *sock_pool_new(struct event_base *base)
{
    struct sock_pool *p = calloc(1, sizeof(*p));
    if (p) p->base = base;
    return p;
}

/* Take c out of its pool's list. */
static void unlink_conn(struct idle_conn *c)
{
    struct named_pool *np = c->pool;
    if (c->prev) c->prev->next = c->next;
    else np->newest = c->next;
    if (c->next) c->next->prev = c->prev;
    else np->oldest = c->prev;
    np->count--;
}

/* Forget c; close its descriptor if close_fd. */
static void drop_conn(struct idle_conn *c, int close_fd)
{
    unlink_conn(c);
    event_free(c->ev);
    if (close_fd) close(c->fd);
    free(c);
}

void sock_pool_free(struct sock_pool *p)
{
    if (!p) return;
    while (p->pools) {
        struct named_pool *np = p->pools;
        p->pools = np->next;
        while (np->newest) drop_conn(np->newest, 1);
        free(np->name);
        free(np);
    }
    free(p);
}

/* The pool named name, made if need be (NULL if memory ran out). */
static struct named_pool *find_pool(struct sock_pool *p, const char *name,
                                    int make)
{
    for (struct named_pool *np = p->pools; np; np = np->next)
        if (strcmp(np->name, name) == 0) return np;
    if (!make) return NULL;
    struct named_pool *np = calloc(1, sizeof(*np));
    if (!np || !(np->name = strdup(name))) {
        free(np);
        return NULL;
    }
    np->next = p->pools;
    p->pools = np;
    return np;
}

/* An idle connection outlived its idle time. */
static void on_idle_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    drop_conn(arg, 1);
}

int sock_pool_put(struct sock_pool *p, const char *name, int fd, double idle,
                  int size, unsigned reused)
{
    struct named_pool *np = find_pool(p, name, 1);
    struct idle_conn *c = np ? calloc(1, sizeof(*c)) : NULL;
    if (c) c->ev = evtimer_new(p->base, on_idle_event, c);
    if (!c || !c->ev) {
        free(c);
        close(fd);
        return -1;
    }
    struct timeval tv = clock_timeval(idle);
    event_add(c->ev, &tv);
    c->fd = fd;
    c->reused = reused;
    c->pool = np;
    c->next = np->newest;
    if (np->newest) np->newest->prev = c;
    else np->oldest = c;
    np->newest = c;
    np->count++;
    while (np->count > (size > 0 ? size : 1)) drop_conn(np->oldest, 1);
    return 0;
}

/* Is idle descriptor fd still good: open, nothing unread, its peer not
 * gone? */
static int still_good(int fd)
{
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int sock_pool_get(struct sock_pool *p, const char *name, unsigned *reused)
{
    struct named_pool *np = find_pool(p, name, 0);
    while (np && np->newest) {
        struct idle_conn *c = np->newest;
        int fd = c->fd, good = still_good(fd);
        *reused = c->reused + 1;
        drop_conn(c, !good);
        if (good) return fd;
    }
    return -1;
}

int sock_pool_count(struct sock_pool *p, const char *name)
{
    struct named_pool *np = find_pool(p, name, 0);
    return np ? np->count : 0;
}
