/* conn_set.c: the connection list and the per-iteration queues. */
#include "conn_set.h"

#include <event2/event.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "clock.h"
#include "conn.h"
#include "conn_proxy.h"
#include "http_conn.h"
#include "lua_host.h"
#include "settings.h"

/* Once per loop iteration in which callbacks wrote: flush every
 * connection written to. A flush may finish a connection, whose
 * ClientDisconnected may write to others: they join the queue. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    struct conn_set *set = arg;
    (void)fd;
    (void)what;
    while (set->dirty) {
        struct conn *c = set->dirty;
        set->dirty = c->next_dirty;
        c->dirty = 0;
        conn_flush(c);
    }
}

/* Deliver the input of every connection whose held input was released. */
static void on_input_due(evutil_socket_t fd, short what, void *arg)
{
    struct conn_set *set = arg;
    (void)fd;
    (void)what;
    while (set->input_due) {
        struct conn *c = set->input_due;
        set->input_due = c->next_input_due;
        c->input_due = 0;
        conn_deliver_held(c);
    }
}

/* After the loop has polled again: ClientFlushed for every connection
 * whose output has all gone out. What it writes is flushed on the next
 * iteration, so a script streaming to a fast reader leaves room for the
 * other connections between its pieces. */
static void on_flushed(evutil_socket_t fd, short what, void *arg)
{
    struct conn_set *set = arg;
    struct conn *due = set->flushed;
    (void)fd;
    (void)what;
    set->flushed = NULL;
    while (due) {
        struct conn *c = due;
        due = c->next_flushed;
        c->flushed_due = 0;
        conn_notify_flushed(c);
    }
}

/* The sweep: IdleTimeout closes every connection that has sent nothing
 * for that long (and has no callback waiting), once its output is sent;
 * HTTP connections have their own clocks (http_conn_sweep). */
static void on_idle_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct conn_set *set = arg;
    double now = clock_coarse(), limit = set->s->idle_timeout;
    (void)fd;
    (void)what;
    for (struct conn *c = set->list, *next; c; c = next) {
        next = c->next;
        if (c->proxy_pending) {
            if (now - c->opened >= CONN_PROXY_SECONDS) {
                conn_proxy_timed_out(c);
                conn_close(c, "proxy");
            }
        } else if (c->http) http_conn_sweep(c, now);
        else if (limit > 0 && !c->closing && c->tasks == 0 &&
                 now - c->last_input >= limit)
            conn_close(c, "idle");
    }
}

/* The shortest clock the sweep keeps: IdleTimeout, HTTP's timeouts, the
 * time a PROXY header may take; 0 if there is none. */
static double shortest_clock(const struct settings *s)
{
    double t = s->filter == FILTER_HTTP ? s->request_timeout
                                         : s->idle_timeout;
    if (s->filter == FILTER_HTTP && s->keep_alive_timeout > 0 &&
        s->keep_alive_timeout < t)
        t = s->keep_alive_timeout;
    if (s->proxy_protocol && (t <= 0 || CONN_PROXY_SECONDS < t))
        t = CONN_PROXY_SECONDS;
    return t;
}

/* Sweep a few times per the shortest clock, so a connection goes within
 * a quarter of it (at most a second) after its time. */
static int start_idle_sweep(struct conn_set *set)
{
    double every = shortest_clock(set->s) / 4;
    if (shortest_clock(set->s) <= 0) return 0;
    if (every > 1) every = 1;
    if (every < 0.01) every = 0.01;
    set->idle_ev = event_new(set->base, -1, EV_PERSIST, on_idle_sweep, set);
    struct timeval tv = clock_timeval(every);
    return set->idle_ev && event_add(set->idle_ev, &tv) == 0 ? 0 : -1;
}

struct conn_set *conn_set_new(struct event_base *base, struct lua_host *host,
                              const struct settings *s,
                              conn_set_changed_fn changed, void *owner)
{
    struct conn_set *set = calloc(1, sizeof(*set));
    if (!set) return NULL;
    set->base = base;
    set->host = host;
    set->s = s;
    set->changed = changed;
    set->owner = owner;
    set->has_flushed = host_has_function(host, "ClientFlushed");
    set->flush_ev = event_new(base, -1, 0, on_flush, set);
    set->flushed_ev = evtimer_new(base, on_flushed, set);
    set->input_ev = event_new(base, -1, 0, on_input_due, set);
    /* The buffer every read lands in first. Mapped on its own, it shares
     * no page with anything a fresh child writes (static in .bss, it
     * pushed other variables onto a page of their own), and its pages cost
     * nothing until a client sends. One is enough: a read's bytes are
     * taken or copied before the read returns. */
    set->read_buf = mmap(NULL, CONN_READ_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (set->read_buf == MAP_FAILED) set->read_buf = NULL;
    if (!set->flush_ev || !set->flushed_ev || !set->input_ev ||
        !set->read_buf || start_idle_sweep(set) < 0) {
        conn_set_free(set);
        return NULL;
    }
    return set;
}

void conn_set_free(struct conn_set *set)
{
    if (!set) return;
    if (set->flush_ev) event_free(set->flush_ev);
    if (set->flushed_ev) event_free(set->flushed_ev);
    if (set->input_ev) event_free(set->input_ev);
    if (set->idle_ev) event_free(set->idle_ev);
    if (set->read_buf) munmap(set->read_buf, CONN_READ_SIZE);
    free(set);
}

long conn_set_count(const struct conn_set *set) { return set->count; }

void conn_set_close_all(struct conn_set *set, const char *reason)
{
    struct conn *c = set->list;
    while (c) {
        struct conn *next = c->next;
        conn_abort(c, reason);
        c = next;
    }
}

void conn_set_stopping(struct conn_set *set)
{
    for (struct conn *c = set->list; c; c = c->next)
        if (c->http) http_conn_stopping(c);
}

void conn_set_add(struct conn_set *set, struct conn *c)
{
    c->id = ++set->next_id;
    c->prev = NULL;
    c->next = set->list;
    if (set->list) set->list->prev = c;
    set->list = c;
    set->count++;
    set->changed(set->owner, 1);
}

/* Take c off a singly linked queue threaded through `link`. */
#define UNQUEUE(head, c, link)                                            \
    do {                                                                  \
        for (struct conn **p_ = &(head); *p_; p_ = &(*p_)->link) {        \
            if (*p_ == (c)) {                                             \
                *p_ = (c)->link;                                          \
                break;                                                    \
            }                                                             \
        }                                                                 \
    } while (0)

void conn_set_remove(struct conn_set *set, struct conn *c)
{
    if (c->dirty) UNQUEUE(set->dirty, c, next_dirty);
    if (c->flushed_due) UNQUEUE(set->flushed, c, next_flushed);
    if (c->input_due) UNQUEUE(set->input_due, c, next_input_due);
    c->dirty = c->flushed_due = c->input_due = 0;
    if (c->prev) c->prev->next = c->next;
    else set->list = c->next;
    if (c->next) c->next->prev = c->prev;
    set->count--;
    set->changed(set->owner, 0);
}

void conn_set_mark_dirty(struct conn_set *set, struct conn *c)
{
    if (c->dirty) return;
    c->dirty = 1;
    c->next_dirty = set->dirty;
    set->dirty = c;
    if (!event_pending(set->flush_ev, EV_TIMEOUT, NULL))
        event_active(set->flush_ev, EV_TIMEOUT, 1);
}

void conn_set_mark_input_due(struct conn_set *set, struct conn *c)
{
    if (c->input_due) return;
    c->input_due = 1;
    c->next_input_due = set->input_due;
    set->input_due = c;
    if (!event_pending(set->input_ev, EV_TIMEOUT, NULL))
        event_active(set->input_ev, EV_TIMEOUT, 1);
}

void conn_set_mark_flushed(struct conn_set *set, struct conn *c)
{
    static const struct timeval now = {0, 0};
    if (c->flushed_due || !set->has_flushed) return;
    c->flushed_due = 1;
    c->next_flushed = set->flushed;
    set->flushed = c;
    if (!evtimer_pending(set->flushed_ev, NULL))
        evtimer_add(set->flushed_ev, &now);
}
