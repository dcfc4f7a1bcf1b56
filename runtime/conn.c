/* conn.c: a client connection. A connection is never freed from inside a
 * call into Lua: closing marks it and lets the event loop finish it. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "callback.h"
#include "clock.h"
#include "conn_proxy.h"
#include "conn_set.h"
#include "conn_tls.h"
#include "framing.h"
#include "http_conn.h"
#include "log.h"
#include "lua_api.h"
#include "settings.h"

static void on_event(struct bufferevent *bev, short what, void *arg);
static void on_read(struct bufferevent *bev, void *arg);

/* Bytes read at most per wake-up, as libevent's own default. */
#define CONN_READ_SIZE 16384

/* Is input held back: closing, paused by the script, too much output
 * queued, or a callback of this connection waiting? Held input stays
 * buffered, neither read nor delivered, so input keeps its order. */
int conn_input_held(const struct conn *c)
{
    return c->closing || c->script_paused || c->backpressure || c->tasks > 0;
}

/* Read input only while nothing holds it back, and not after EOF. While
 * only a waiting callback holds it, read on up to one read's worth, so a
 * client that resets the connection meanwhile is seen at once. */
static void update_reading(struct conn *c)
{
    int only_waiting = !c->closing && !c->script_paused && !c->backpressure;
    int want = !c->eof_seen &&
               (!conn_input_held(c) ||
                (only_waiting &&
                 evbuffer_get_length(bufferevent_get_input(c->bev)) <
                     CONN_READ_SIZE));
    if (want == c->reading) return;
    if (want) event_add(c->read_ev, NULL);
    else event_del(c->read_ev);
    c->reading = want;
}

/* Input is no longer held: deliver what was buffered meanwhile, from the
 * loop rather than from the caller. */
static void release_input(struct conn *c)
{
    update_reading(c);
    if (!conn_input_held(c))
        bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

/* ClientDisconnected waited and has ended; its connection is long gone. */
static void on_disconnected_done(void *owner, int cb, int failed,
                                 const char *err)
{
    if (failed)
        log_error("%s failed for client %lu: %s", callback_name(cb),
                  (unsigned long)(uintptr_t)owner, err);
}

/* The end, once no callback of the connection is waiting: free
 * everything, tell the child, and run ClientDisconnected (which may wait
 * on its own: its writes answer "closed"). */
static void conn_finish(struct conn *c)
{
    if (c->tasks > 0) {
        c->finish_pending = 1;
        return;
    }
    struct conn_set *set = c->set;
    struct lua_host *h = set->host;
    int ref = c->client_ref;
    unsigned long id = c->id;
    const char *reason = c->reason;
    if (ref) api_client_detach(h, ref);
    http_conn_free(c->http);
    conn_tls_end(c);
    event_free(c->read_ev);
    bufferevent_free(c->bev);
    if (ref) {
        api_call_client(h, CB_CLIENT_DISCONNECTED, ref, id, reason,
                         strlen(reason), on_disconnected_done,
                         (void *)(uintptr_t)id);
        api_client_release(h, ref);
    }
    conn_set_remove(set, c);
    free(c);
}

/* A callback of c that waited has ended: carry on with c. */
void conn_task_done(void *owner, int cb, int failed, const char *err)
{
    struct conn *c = owner;
    c->tasks--;
    if (failed) {
        log_error("%s failed for client %lu: %s", callback_name(cb), c->id,
                  err);
        conn_close(c, "script error");
    }
    if (c->finish_pending) {
        if (c->tasks == 0) conn_finish(c);
        return;
    }
    release_input(c);
}

int conn_task_begun(struct conn *c, enum sched_result r)
{
    if (r == SCHED_WAITING) {
        c->tasks++;
        update_reading(c);
    }
    return r == SCHED_FAILED ? -1 : 0;
}

/* Run callback cb of c (with a string unless arg is NULL); -1 if it
 * failed at once. One that waits holds c's input until it ends. */
static int call_client(struct conn *c, int cb, const char *arg, size_t len)
{
    return conn_task_begun(c, api_call_client(c->set->host, cb,
                                              c->client_ref, c->id, arg, len,
                                              conn_task_done, c));
}

void conn_close(struct conn *c, const char *reason)
{
    if (c->closing) return;
    c->closing = 1;
    c->reason = reason;
    update_reading(c);
    /* The next flush finishes the connection once its output is sent. */
    conn_set_mark_dirty(c->set, c);
}

/* A connection-level error: close, then tell ClientError. The connection
 * is closing first, so a write from ClientError answers "closed" instead
 * of failing the connection again. */
static void conn_fail(struct conn *c, const char *message)
{
    conn_close(c, "error");
    call_client(c, CB_CLIENT_ERROR, message, strlen(message));
}

/* Hand complete lines to ClientInput until none is left, the connection
 * closes or the script pauses it. */
static void deliver_lines(struct conn *c, struct evbuffer *in, int at_eof)
{
    size_t max = (size_t)c->set->s->max_line_length;
    while (!conn_input_held(c)) {
        size_t len = 0, eol = 0;
        enum frame_result r = framing_next_line(in, max, &len, &eol);
        if (r == FRAME_INCOMPLETE) {
            len = evbuffer_get_length(in);
            if (!at_eof || len == 0) return;
            eol = 0;  /* the last line, cut short by the client's EOF */
        } else if (r == FRAME_TOO_LONG) {
            char msg[96];
            snprintf(msg, sizeof(msg),
                     "line longer than MaxLineLength (%zu bytes)", max);
            evbuffer_drain(in, evbuffer_get_length(in));
            conn_fail(c, msg);
            return;
        }
        const char *line = (const char *)evbuffer_pullup(in, (ssize_t)(len + eol));
        if (call_client(c, CB_CLIENT_INPUT, line, len) < 0)
            conn_close(c, "script error");
        evbuffer_drain(in, len + eol);
    }
}

/* Hand everything buffered to ClientInput in one piece. */
static void deliver_stream(struct conn *c, struct evbuffer *in)
{
    size_t len = evbuffer_get_length(in);
    if (len == 0 || conn_input_held(c)) return;
    const char *data = (const char *)evbuffer_pullup(in, -1);
    if (call_client(c, CB_CLIENT_INPUT, data, len) < 0)
        conn_close(c, "script error");
    evbuffer_drain(in, len);
}

/* The client is known (at once, or once its PROXY header is read): make
 * its Lua object and call ClientConnected. -1 if c is closing already. */
static int conn_start(struct conn *c)
{
    c->client_ref = api_client_new(c->set->host, c);
    if (call_client(c, CB_CLIENT_CONNECTED, NULL, 0) < 0)
        conn_close(c, "script error");
    return c->closing ? -1 : 0;
}

/* ProxyProtocol: read the header first; 0 once the client is started. */
static int read_proxy_header(struct conn *c, struct evbuffer *in)
{
    int r = conn_proxy_read(c, in);
    if (r < 0) conn_close(c, "proxy");  /* nothing is queued: it ends now */
    if (r <= 0) return -1;
    c->proxy_pending = 0;
    return conn_start(c);
}

static void deliver(struct conn *c, int at_eof)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    if (c->proxy_pending && read_proxy_header(c, in) < 0) return;
    if (c->http)
        http_conn_deliver(c, in);
    else if (c->set->s->filter == FILTER_STREAM)
        deliver_stream(c, in);
    else
        deliver_lines(c, in, at_eof);
}

/* Deliver what is buffered; after the client's EOF, close once everything
 * held back meanwhile has been delivered. */
static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    (void)bev;
    deliver(c, c->eof_seen);
    if (c->eof_seen && !conn_input_held(c)) conn_close(c, "eof");
    else update_reading(c);  /* a waiting callback reads only so far */
}

/* Output has drained (to half of MaxOutputBuffer under back-pressure, or
 * to nothing): read again, and finish a closing connection. */
static void drained(struct conn *c)
{
    struct bufferevent *bev = c->bev;
    size_t queued = evbuffer_get_length(bufferevent_get_output(bev));
    size_t limit = (size_t)c->set->s->max_output_buffer;
    if (c->writing && queued == 0) {  /* back to writing it ourselves */
        c->writing = 0;
        bufferevent_disable(bev, EV_WRITE);
    }
    if (c->backpressure && queued <= limit / 2) {
        c->backpressure = 0;
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        release_input(c);
    }
    if (queued == 0 && c->flush_wanted && !c->closing) {
        c->flush_wanted = 0;
        conn_set_mark_flushed(c->set, c);
    }
    if (c->closing && queued == 0 && !c->finish_pending) conn_finish(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    drained(arg);
}

void conn_flush(struct conn *c)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    if (!c->writing && evbuffer_get_length(out) > 0) {
        /* A bufferevent keeps its output frozen at the start, so only it
         * drains it; unfreeze around our write as its own writer does. */
        evbuffer_unfreeze(out, 1);
        errno = 0;
        ssize_t n = c->tls ? conn_tls_write(c, out)
                           : evbuffer_write(out, bufferevent_getfd(c->bev));
        int err = errno;
        evbuffer_freeze(out, 1);
        if (n < 0 && err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
            on_event(c->bev, BEV_EVENT_ERROR | BEV_EVENT_WRITING, c);
            return;
        }
        if (evbuffer_get_length(out) > 0) {  /* the rest when writable */
            c->writing = 1;
            if (c->tls) conn_tls_wait(c);
            else bufferevent_enable(c->bev, EV_WRITE);
            return;
        }
    }
    drained(c);
}

/* The socket is readable: one recv into the input buffer, then deliver.
 * Reading here rather than through the bufferevent saves the
 * ioctl(FIONREAD) evbuffer_read makes before every read. */
static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    struct evbuffer_iovec v;
    ssize_t n = -1;
    int err = ENOMEM;
    (void)what;
    evbuffer_unfreeze(in, 0);  /* the bufferevent keeps its end frozen */
    if (c->tls) {
        n = conn_tls_read(c, in, 4 * CONN_READ_SIZE);
        err = errno;
    } else if (evbuffer_reserve_space(in, CONN_READ_SIZE, &v, 1) == 1) {
        n = recv(fd, v.iov_base, v.iov_len, 0);
        err = errno;
        if (n > 0) {
            v.iov_len = (size_t)n;
            evbuffer_commit_space(in, &v, 1);
        }
    }
    evbuffer_freeze(in, 0);
    if (n > 0) {
        c->last_input = clock_coarse();
        on_read(c->bev, c);
    } else if (n == 0) {
        on_event(c->bev, BEV_EVENT_EOF | BEV_EVENT_READING, c);
    } else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
        errno = err;
        on_event(c->bev, BEV_EVENT_ERROR | BEV_EVENT_READING, c);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_EOF) {
        c->eof_seen = 1;
        update_reading(c);  /* EOF stays readable: stop watching */
        on_read(bev, c);
    } else if (what & BEV_EVENT_ERROR) {
        int e = EVUTIL_SOCKET_ERROR();
        if (!c->closing) conn_fail(c, evutil_socket_error_to_string(e));
        /* The socket is broken: nothing queued can be sent any more. */
        evbuffer_drain(bufferevent_get_output(c->bev),
                       evbuffer_get_length(bufferevent_get_output(c->bev)));
        bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        c->reason = "error";
        conn_finish(c);
    }
}

struct conn *conn_open(struct conn_set *set, int fd,
                       const struct sockaddr *peer, int local_port,
                       struct ssl_ctx_st *tls)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return NULL;
    }
    if (peer->sa_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    c->set = set;
    c->last_input = c->opened = clock_coarse();
    c->local_port = local_port;
    addr_text(peer, c->remote_ip, sizeof(c->remote_ip), &c->remote_port);
    c->bev = bufferevent_socket_new(set->base, fd, BEV_OPT_CLOSE_ON_FREE);
    c->read_ev = event_new(set->base, fd, EV_READ | EV_PERSIST,
                           on_readable, c);
    if (!c->bev || !c->read_ev || (tls && conn_tls_start(c, tls, fd) < 0)) {
        if (c->read_ev) event_free(c->read_ev);
        if (c->bev) bufferevent_free(c->bev);  /* closes fd */
        else close(fd);
        free(c);
        return NULL;
    }
    if (set->s->filter == FILTER_HTTP) c->http = http_conn_new(set->s);
    conn_set_add(set, c);  /* assigns c->id */
    c->reason = "closed";
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    /* conn_flush writes and on_readable reads: the bufferevent only
     * finishes writes that did not go out at once. */
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    update_reading(c);
    c->proxy_pending = set->s->proxy_protocol && peer->sa_family != AF_UNIX;
    if (!c->proxy_pending) conn_start(c);
    return c;
}

int conn_write_check(struct conn *c)
{
    if (c->closing) return -1;
    size_t queued = evbuffer_get_length(bufferevent_get_output(c->bev));
    size_t limit = (size_t)c->set->s->max_output_buffer;
    if (queued > CONN_OUTPUT_CAP_FACTOR * limit) {
        conn_fail(c, "output buffer full: the client does not read");
        return -1;
    }
    return 0;
}

void conn_write(struct conn *c, const char *data, size_t len)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t limit = (size_t)c->set->s->max_output_buffer;
    evbuffer_add(out, data, len);
    c->flush_wanted = 1;
    conn_set_mark_dirty(c->set, c);
    if (!c->backpressure && evbuffer_get_length(out) > limit) {
        c->backpressure = 1;
        bufferevent_setwatermark(c->bev, EV_WRITE, limit / 2, 0);
        update_reading(c);
    }
}

void conn_set_paused(struct conn *c, int paused)
{
    c->script_paused = paused;
    release_input(c);
}

void conn_abort(struct conn *c, const char *reason)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    if (c->finish_pending) return;
    conn_close(c, reason);
    c->reason = reason;
    evbuffer_drain(out, evbuffer_get_length(out));
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    conn_finish(c);
}

size_t conn_output_queued(const struct conn *c)
{
    return evbuffer_get_length(bufferevent_get_output(c->bev));
}

void conn_notify_flushed(struct conn *c)
{
    if (!c->closing) call_client(c, CB_CLIENT_FLUSHED, NULL, 0);
}
