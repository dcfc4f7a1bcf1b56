/* sock_pool.c: keep-alive pools as short lists; a child talks to a
 * handful of backends, so a linear search by name is enough. An idle
 * socket keeps its events (its read event stays in epoll, edge-triggered:
 * sock.c notes any edge), so putting and taking one costs no system call
 * unless something came while it idled (then one peek). The entries and
 * their idle timers are kept for reuse: a round trip allocates nothing. */
#include "sock_pool.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "sock.h"

struct idle_conn {
    struct sock *s;
    unsigned reused;
    struct event *ev;          /* its idle time is up */
    struct sock_pool *owner;
    struct named_pool *pool;
    struct idle_conn *prev, *next;   /* newest first; or the spare list */
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
    struct idle_conn *spare;   /* entries with a timer, for reuse */
};

struct sock_pool *sock_pool_new(struct event_base *base)
{
    struct sock_pool *p = calloc(1, sizeof(*p));
    if (p) p->base = base;
    return p;
}

/* Take c out of its pool's list and onto the spare list; its socket is
 * the caller's now. */
static void unlink_conn(struct sock_pool *p, struct idle_conn *c)
{
    struct named_pool *np = c->pool;
    if (c->prev) c->prev->next = c->next;
    else np->newest = c->next;
    if (c->next) c->next->prev = c->prev;
    else np->oldest = c->prev;
    np->count--;
    evtimer_del(c->ev);
    c->s = NULL;
    c->next = p->spare;
    p->spare = c;
}

/* Forget c and free its socket. */
static void drop_conn(struct sock_pool *p, struct idle_conn *c)
{
    struct sock *s = c->s;
    unlink_conn(p, c);
    sock_free(s);
}

void sock_pool_free(struct sock_pool *p)
{
    if (!p) return;
    while (p->pools) {
        struct named_pool *np = p->pools;
        p->pools = np->next;
        while (np->newest) drop_conn(p, np->newest);
        free(np->name);
        free(np);
    }
    while (p->spare) {
        struct idle_conn *c = p->spare;
        p->spare = c->next;
        event_free(c->ev);
        free(c);
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
    struct idle_conn *c = arg;
    (void)fd;
    (void)what;
    drop_conn(c->owner, c);
}

/* A spare entry, or a new one with its timer; NULL if memory ran out. */
static struct idle_conn *new_conn(struct sock_pool *p)
{
    struct idle_conn *c = p->spare;
    if (c) {
        p->spare = c->next;
        return c;
    }
    c = calloc(1, sizeof(*c));
    if (c) c->ev = evtimer_new(p->base, on_idle_event, c);
    if (c && !c->ev) {
        free(c);
        return NULL;
    }
    if (c) c->owner = p;
    return c;
}

int sock_pool_put(struct sock_pool *p, const char *name, struct sock *s,
                  double idle, int size, unsigned reused)
{
    struct named_pool *np = find_pool(p, name, 1);
    struct idle_conn *c = np ? new_conn(p) : NULL;
    if (!c) {
        sock_free(s);
        return -1;
    }
    struct timeval tv = clock_timeval(idle);
    event_add(c->ev, &tv);
    c->s = s;
    c->reused = reused;
    c->pool = np;
    c->prev = NULL;
    c->next = np->newest;
    if (np->newest) np->newest->prev = c;
    else np->oldest = c;
    np->newest = c;
    np->count++;
    while (np->count > (size > 0 ? size : 1)) drop_conn(p, np->oldest);
    return 0;
}

struct sock *sock_pool_get(struct sock_pool *p, const char *name,
                           unsigned *reused)
{
    struct named_pool *np = find_pool(p, name, 0);
    while (np && np->newest) {
        struct idle_conn *c = np->newest;
        struct sock *s = c->s;
        if (!sock_reusable(s)) {
            drop_conn(p, c);
            continue;
        }
        *reused = c->reused + 1;
        unlink_conn(p, c);
        return s;
    }
    return NULL;
}

int sock_pool_count(struct sock_pool *p, const char *name)
{
    struct named_pool *np = find_pool(p, name, 0);
    return np ? np->count : 0;
}
