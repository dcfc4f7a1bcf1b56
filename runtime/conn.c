/* conn.c: a client connection: its life, reading and delivering its input
 * (conn_output.c has its output). A connection is never freed from inside
 * a call into Lua: closing marks it and lets the event loop finish it. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "callback.h"
#include "clock.h"
#include "conn_proxy.h"
#include "conn_set.h"
#include "conn_int.h"
#include "conn_tls.h"
#include "framing.h"
#include "http_conn.h"
#include "log.h"
#include "lua_api.h"
#include "settings.h"

/* Is input held back: closing, paused by the script, too much output
 * queued, or a callback of this connection waiting? Held input stays
 * buffered, neither read nor delivered, so input keeps its order. */
int conn_input_held(const struct conn *c)
{
    return c->closing || c->script_paused || c->backpressure || c->tasks > 0;
}

/* Read input only while nothing holds it back, and not after EOF. While
 * only a waiting callback holds it, read on up to one read's worth, so a
 * client that resets the connection meanwhile is seen at once. A TLS
 * write waiting for the handshake reads whatever holds input: else the
 * handshake, and the write, would never finish. */
void conn_update_reading(struct conn *c)
{
    int only_waiting = !c->closing && !c->script_paused && !c->backpressure;
    int want = !c->eof_seen &&
               (!conn_input_held(c) || c->tls_write_blocked ||
                (only_waiting && bytebuf_len(&c->in) < CONN_READ_SIZE));
    if (want == c->reading) return;
    if (want) event_add(c->read_ev, NULL);
    else event_del(c->read_ev);
    c->reading = want;
}

/* Input is no longer held: deliver what was buffered meanwhile, from the
 * loop rather than from the caller. */
void conn_release_input(struct conn *c)
{
    conn_update_reading(c);
    if (!conn_input_held(c) && (bytebuf_len(&c->in) > 0 || c->eof_seen))
        conn_set_mark_input_due(c->set, c);
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
void conn_finish(struct conn *c)
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
    event_free(c->write_ev);
    close(c->fd);
    bytebuf_free(&c->in);
    bytebuf_free(&c->out);
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
    conn_release_input(c);
}

int conn_task_begun(struct conn *c, enum sched_result r)
{
    if (r == SCHED_WAITING) {
        c->tasks++;
        conn_update_reading(c);
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
    conn_update_reading(c);
    /* The next flush finishes the connection once its output is sent. */
    conn_set_mark_dirty(c->set, c);
}

/* A connection-level error: close, then tell ClientError. The connection
 * is closing first, so a write from ClientError answers "closed" instead
 * of failing the connection again. */
void conn_fail(struct conn *c, const char *message)
{
    conn_close(c, "error");
    call_client(c, CB_CLIENT_ERROR, message, strlen(message));
}

/* Hand complete lines of data[0..len) to ClientInput until none is
 * left, the connection closes or the script pauses it; the bytes taken. */
static size_t deliver_lines(struct conn *c, const char *data, size_t len,
                            int at_eof)
{
    size_t max = (size_t)c->set->s->max_line_length, off = 0;
    while (off < len && !conn_input_held(c)) {
        size_t line = 0, eol = 0;
        enum frame_result r =
            framing_next_line(data + off, len - off, max, &line, &eol);
        if (r == FRAME_INCOMPLETE) {
            if (!at_eof) break;
            line = len - off;  /* the last line, cut short by the EOF */
            eol = 0;
        } else if (r == FRAME_TOO_LONG) {
            char msg[96];
            snprintf(msg, sizeof(msg),
                     "line longer than MaxLineLength (%zu bytes)", max);
            conn_fail(c, msg);
            return len;
        }
        if (call_client(c, CB_CLIENT_INPUT, data + off, line) < 0)
            conn_close(c, "script error");
        off += line + eol;
    }
    return off;
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

/* ProxyProtocol: read the header first; the bytes it took, or all of
 * them if c closes for it. *started says whether the client came in. */
static size_t read_proxy_header(struct conn *c, const char *data,
                                size_t len, int *started)
{
    size_t took = 0;
    int r = conn_proxy_read(c, data, len, &took);
    *started = 0;
    if (r < 0) conn_close(c, "proxy");  /* nothing is queued: it ends now */
    if (r <= 0) return r < 0 ? len : 0;
    c->proxy_pending = 0;
    *started = conn_start(c) == 0;
    return took;
}

/* Hand data[0..len) to the script as the connection's framing says, as
 * far as it takes it now; the bytes taken (the rest waits, in order). */
static size_t deliver(struct conn *c, const char *data, size_t len,
                      int at_eof)
{
    size_t took = 0;
    if (c->proxy_pending) {
        int started;
        took = read_proxy_header(c, data, len, &started);
        if (!started) return took;
    }
    if (c->http)
        took += http_conn_deliver(c, data + took, len - took);
    else if (c->set->s->filter == FILTER_STREAM) {
        if (took < len && !conn_input_held(c)) {
            if (call_client(c, CB_CLIENT_INPUT, data + took, len - took) < 0)
                conn_close(c, "script error");
            took = len;
        }
    } else
        took += deliver_lines(c, data + took, len - took, at_eof);
    return took;
}

void conn_deliver_held(struct conn *c)
{
    size_t took = deliver(c, bytebuf_head(&c->in), bytebuf_len(&c->in),
                          c->eof_seen);
    bytebuf_consume(&c->in, took);
    bytebuf_trim(&c->in, CONN_BUF_KEEP);
    if (c->eof_seen && !conn_input_held(c)) conn_close(c, "eof");
    else conn_update_reading(c);  /* a waiting callback reads only so far */
}

/* n bytes came in buf (the child's read buffer): deliver them straight
 * from there unless input is buffered already, and keep what is not
 * taken now. */
static void take_input(struct conn *c, const char *buf, size_t n)
{
    static const char oom[] = "out of memory for the client's input";
    if (bytebuf_len(&c->in) > 0) {  /* behind what came before */
        if (bytebuf_append(&c->in, buf, n) < 0) conn_fail(c, oom);
        else conn_deliver_held(c);
        return;
    }
    size_t took = deliver(c, buf, n, 0);
    if (took < n && !c->closing &&
        bytebuf_append(&c->in, buf + took, n - took) < 0) {
        conn_fail(c, oom);
        return;
    }
    conn_update_reading(c);
}

/* The socket is readable: one read into the child's read buffer, then
 * deliver. */
static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    char *buf = c->set->read_buf;
    (void)what;
    ssize_t n = c->tls ? conn_tls_read(c, buf, CONN_READ_SIZE)
                       : recv(fd, buf, CONN_READ_SIZE, 0);
    int err = errno;
    if (c->tls_write_blocked) {  /* the handshake moved: write again */
        c->tls_write_blocked = 0;
        c->writing = 0;
        conn_set_mark_dirty(c->set, c);
        conn_update_reading(c);
    }
    if (n > 0) {
        c->last_input = clock_coarse();
        take_input(c, buf, (size_t)n);
    } else if (n == 0) {  /* the client's EOF */
        c->eof_seen = 1;
        conn_update_reading(c);  /* EOF stays readable: stop watching */
        conn_deliver_held(c);
    } else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
        conn_broken(c, err);
    }
}

/* Finish c now, for reason: what is queued is dropped, not sent. */
static void finish_now(struct conn *c, const char *reason)
{
    c->reason = reason;
    bytebuf_free(&c->out);
    event_del(c->read_ev);
    event_del(c->write_ev);
    conn_finish(c);
}

/* The socket is broken (err): ClientError, and nothing queued can be sent
 * any more. */
void conn_broken(struct conn *c, int err)
{
    if (!c->closing) conn_fail(c, strerror(err));
    finish_now(c, "error");
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
    c->fd = fd;
    c->last_input = c->opened = clock_coarse();
    c->local_port = local_port;
    addr_text(peer, c->remote_ip, sizeof(c->remote_ip), &c->remote_port);
    c->read_ev = event_new(set->base, fd, EV_READ | EV_PERSIST,
                           on_readable, c);
    c->write_ev = event_new(set->base, fd, EV_WRITE, conn_on_writable, c);
    if (!c->read_ev || !c->write_ev ||
        (tls && conn_tls_start(c, tls, fd) < 0)) {
        if (c->read_ev) event_free(c->read_ev);
        if (c->write_ev) event_free(c->write_ev);
        close(fd);
        free(c);
        return NULL;
    }
    if (set->s->filter == FILTER_HTTP) c->http = http_conn_new(set->s);
    conn_set_add(set, c);  /* assigns c->id */
    c->reason = "closed";
    conn_update_reading(c);
    c->proxy_pending = set->s->proxy_protocol && peer->sa_family != AF_UNIX;
    if (!c->proxy_pending) conn_start(c);
    return c;
}

void conn_set_paused(struct conn *c, int paused)
{
    c->script_paused = paused;
    conn_release_input(c);
}

void conn_abort(struct conn *c, const char *reason)
{
    if (c->finish_pending) return;
    conn_close(c, reason);
    finish_now(c, reason);
}

void conn_notify_flushed(struct conn *c)
{
    if (!c->closing) call_client(c, CB_CLIENT_FLUSHED, NULL, 0);
}
