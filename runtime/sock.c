/* sock.c: outgoing sockets on the child's loop. Every operation tries the
 * system call at once and waits on the loop only for what did not happen
 * at once; each wait is bounded by the operation's timeout.
 *
 * A connected socket's read event is edge-triggered and stays in epoll
 * for the socket's life, in a keep-alive pool too: a round trip costs no
 * epoll_ctl. An edge says "something came"; `unread` remembers one no
 * receive has read to EAGAIN yet, so a receive reads before it waits,
 * and waits on the loop only once the kernel has nothing left for it.
 * A short read that meets the receive's pattern counts as EAGAIN (what
 * comes later raises a new edge), except once the peer's FIN was
 * signalled (EV_CLOSED, epoll's RDHUP): then the end waits behind the
 * bytes and a read goes on to find it. A short read that does not meet
 * it is followed by one more read before the receive waits, so a reset
 * that came with the last bytes (libevent reports it without RDHUP) is
 * seen at once. A pooled socket is peeked at before it is handed out
 * only if an edge came while it idled; bytes that came after the loop's
 * last look (microseconds) are not seen, as in OpenResty's pools, which
 * also go by the events. */
#include "sock.h"

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "clock.h"
#include "sock_tls.h"

/* Reads one callback makes for one receive before it lets the events
 * already due run (the receive's own read event is made active again,
 * behind them): a peer that floods a "*a" receive does not hold up the
 * connections whose events came in the same loop turn. */
#define READS_PER_TURN 4

static void on_ready(evutil_socket_t fd, short what, void *arg);
static void on_timeout(evutil_socket_t fd, short what, void *arg);
static int read_in(struct sock *s);
static int pattern_met(struct sock *s);

struct sock *sock_new(struct event_base *base, sock_done_fn done, void *arg)
{
    struct sock *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->fd = -1;
    s->base = base;
    s->done = done;
    s->arg = arg;
    for (int i = 0; i < 3; i++) s->timeout[i] = SOCK_DEFAULT_TIMEOUT;
    s->timer = evtimer_new(base, on_timeout, s);
    if (!s->timer) {
        free(s);
        return NULL;
    }
    return s;
}

/* Forget the descriptor's events; the descriptor itself is left alone. */
static void drop_events(struct sock *s)
{
    if (s->read_ev) event_free(s->read_ev);
    if (s->write_ev) event_free(s->write_ev);
    s->read_ev = s->write_ev = NULL;
    evtimer_del(s->timer);
    s->op = SOCK_OP_NONE;
}

void sock_close(struct sock *s)
{
    drop_events(s);
    sock_tls_end(s);
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    s->eof = s->unread = s->closing = 0;
    bytebuf_free(&s->in);
    bytebuf_free(&s->out);
}

void sock_free(struct sock *s)
{
    if (!s) return;
    sock_close(s);
    event_free(s->timer);
    free(s);
}

void sock_set_timeouts(struct sock *s, double connect, double send,
                       double read)
{
    s->timeout[0] = connect;
    s->timeout[1] = send;
    s->timeout[2] = read;
}

/* Make the events of a descriptor whose connect has begun (not before:
 * a socket not yet connecting polls as hung up) and put its read event
 * in epoll for good; the write event goes in only while a wait needs it. */
static int make_events(struct sock *s)
{
    s->read_ev = event_new(s->base, s->fd,
                           EV_READ | EV_CLOSED | EV_PERSIST | EV_ET,
                           on_ready, s);
    s->write_ev = event_new(s->base, s->fd, EV_WRITE | EV_ET, on_ready, s);
    if (!s->read_ev || !s->write_ev) return -1;
    return event_add(s->read_ev, NULL);
}

int sock_idle(const struct sock *s)
{
    return s->fd >= 0 && s->op == SOCK_OP_NONE && bytebuf_len(&s->in) == 0 &&
           !s->eof && !s->tls;
}

int sock_reusable(struct sock *s)
{
    if (!sock_idle(s)) return 0;
    if (!s->unread) return 1;  /* no edge since the last read ran dry */
    char byte;
    ssize_t n = recv(s->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n >= 0 || errno != EAGAIN) return 0;
    s->unread = 0;
    return 1;
}

/* Fail now with errno's error, closing the socket. */
static enum sock_result fail_sys(struct sock *s, enum sock_err *err)
{
    s->sys_errno = errno;
    *err = errno == EPIPE ? SOCK_ERR_CLOSED : SOCK_ERR_SYS;
    sock_close(s);
    return SOCK_FAILED;
}

/* The event an operation waits on: writable for a send (readable for a
 * receive), unless TLS says it needs the other. */
static struct event *wait_event(struct sock *s, int writing)
{
    if (s->tls) writing = s->tls_wants_write;
    return writing ? s->write_ev : s->read_ev;
}

/* What a read brought: the receive's pattern met (asked once: a
 * receiveuntil with a size keeps state), the peer's end, or neither. */
enum { READ_NOTHING, READ_EOF, READ_MET };

/* After a read (rc from read_in): READ_MET, READ_EOF, READ_NOTHING, or
 * -1 (errno). */
static int read_outcome(struct sock *s, int rc)
{
    if (rc <= 0) return rc;
    return pattern_met(s) ? READ_MET : s->eof ? READ_EOF : READ_NOTHING;
}

/* May a read bring something without waiting: an edge not read to
 * EAGAIN yet, or bytes TLS holds decrypted (those raise no event)? Part
 * of a record held undecrypted needs the rest from the socket: no. */
static int can_read_now(struct sock *s)
{
    return s->unread || (s->tls && SSL_pending(s->tls) > 0);
}

/* Read what can be had without waiting, READS_PER_TURN reads at most. As
 * read_outcome. A short plain read that meets the pattern emptied the
 * kernel's queue (see read_in); one that does not is followed by another
 * read before the receive waits, so an error or reset that came with the
 * bytes is reported now, not after the read timeout. */
static int read_ready(struct sock *s)
{
    for (int i = 0; i < READS_PER_TURN && can_read_now(s); i++) {
        int rc = read_outcome(s, read_in(s));
        if (rc == READ_MET && s->read_short) s->unread = 0;
        if (rc != READ_NOTHING) return rc;
    }
    return READ_NOTHING;
}

/* Wait for the descriptor (ev) within the operation's timeout. The read
 * event is always in epoll; a receive that stopped with input still
 * there is made active again (behind the events already due), as no
 * edge will come. */
static enum sock_result wait_for(struct sock *s, enum sock_op op,
                                 struct event *ev, double timeout)
{
    struct timeval tv = clock_timeval(timeout);
    s->op = op;
    if (ev == s->write_ev) event_add(ev, NULL);
    else if (can_read_now(s)) event_active(ev, EV_READ, 1);
    evtimer_add(s->timer, &tv);
    return SOCK_PENDING;
}

/* The event the operation under way waits on. */
static struct event *awaited(struct sock *s)
{
    return wait_event(s, s->op == SOCK_OP_SEND || s->op == SOCK_OP_CONNECT);
}

/* The operation under way has ended with err: report it. Nothing of s is
 * touched after done, which may start another operation or free s. */
static void finish(struct sock *s, enum sock_err err)
{
    enum sock_op op = s->op;
    event_del(s->write_ev);
    evtimer_del(s->timer);
    s->op = SOCK_OP_NONE;
    if (err != SOCK_ERR_NONE && err != SOCK_ERR_TIMEOUT &&
        !(op == SOCK_OP_RECEIVE && err == SOCK_ERR_CLOSED))
        sock_close(s);
    s->done(s, op, err, s->arg);
}

enum sock_result sock_connect(struct sock *s, const struct sockaddr *addr,
                              socklen_t len, enum sock_err *err)
{
    sock_close(s);
    s->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
                   SOCK_CLOEXEC, 0);
    if (s->fd < 0) return fail_sys(s, err);
    int rc = connect(s->fd, addr, len);
    if (rc < 0 && errno != EINPROGRESS) return fail_sys(s, err);
    if (make_events(s) < 0) {
        errno = ENOMEM;
        return fail_sys(s, err);
    }
    if (rc == 0) return SOCK_DONE;
    return wait_for(s, SOCK_OP_CONNECT, s->write_ev, s->timeout[0]);
}

/* Write what the send has left; 1 when all is out, 0 to wait, -1 on an
 * error (errno). */
static int write_out(struct sock *s)
{
    while (bytebuf_len(&s->out) > 0) {
        ssize_t n = s->tls
            ? sock_tls_write(s, bytebuf_head(&s->out), bytebuf_len(&s->out))
            : send(s->fd, bytebuf_head(&s->out), bytebuf_len(&s->out),
                   MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        bytebuf_consume(&s->out, (size_t)n);
    }
    return 1;
}

enum sock_result sock_send(struct sock *s, const char *data, size_t len,
                           enum sock_err *err)
{
    if (s->fd < 0) {
        *err = SOCK_ERR_CLOSED;
        return SOCK_FAILED;
    }
    if (s->op != SOCK_OP_NONE) {
        *err = SOCK_ERR_BUSY;
        return SOCK_FAILED;
    }
    if (bytebuf_append(&s->out, data, len) < 0) {
        errno = ENOMEM;
        return fail_sys(s, err);
    }
    int rc = write_out(s);
    if (rc < 0) return fail_sys(s, err);
    if (rc > 0) return SOCK_DONE;
    return wait_for(s, SOCK_OP_SEND, wait_event(s, 1), s->timeout[1]);
}

/* Read once into the input buffer: 1 if bytes or EOF came, 0 to wait,
 * -1 on an error (errno). A plain read that came back short (read_short)
 * emptied the kernel's queue unless the peer's end, or a reset, waits
 * behind it; TLS reads by record, so only EAGAIN says that there. */
static int read_in(struct sock *s)
{
    char *to = bytebuf_reserve(&s->in, SOCK_READ_SIZE);
    if (!to) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t n;
    do n = s->tls ? sock_tls_read(s, to, SOCK_READ_SIZE)
                  : recv(s->fd, to, SOCK_READ_SIZE, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) s->unread = 0;
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n == 0) s->eof = 1;
    s->unread = n > 0;
    s->read_short = n > 0 && !s->tls && !s->closing && n < SOCK_READ_SIZE;
    s->in.end += (size_t)n;
    return 1;
}

/* Does what is buffered meet the pattern? */
static int pattern_met(struct sock *s)
{
    return recv_pattern_cut(s->pattern, bytebuf_head(&s->in),
                            bytebuf_len(&s->in), s->eof, &s->cut);
}

enum sock_result sock_receive(struct sock *s, struct recv_pattern *p,
                              enum sock_err *err)
{
    if (s->op != SOCK_OP_NONE) {
        *err = SOCK_ERR_BUSY;
        return SOCK_FAILED;
    }
    s->pattern = p;
    if (pattern_met(s)) return SOCK_DONE;
    if (s->fd < 0 || s->eof) {
        *err = SOCK_ERR_CLOSED;
        return SOCK_FAILED;
    }
    int got = read_ready(s);
    if (got < 0) return fail_sys(s, err);
    if (got == READ_MET) return SOCK_DONE;
    if (got == READ_EOF) {
        *err = SOCK_ERR_CLOSED;
        return SOCK_FAILED;
    }
    return wait_for(s, SOCK_OP_RECEIVE, wait_event(s, 0), s->timeout[2]);
}

/* An edge on the descriptor: remembered if it is a read's, and, if the
 * operation under way waits on it, that operation goes on. */
static void on_ready(evutil_socket_t fd, short what, void *arg)
{
    struct sock *s = arg;
    int soerr = 0, rc;
    socklen_t len = sizeof(soerr);
    (void)fd;
    struct event *ev = what & EV_WRITE ? s->write_ev : s->read_ev;
    if (ev == s->read_ev) s->unread = 1;
    if (what & EV_CLOSED) s->closing = 1;
    if (s->op == SOCK_OP_NONE || awaited(s) != ev) return;
    switch (s->op) {
    case SOCK_OP_CONNECT:
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        s->sys_errno = soerr;
        finish(s, soerr ? SOCK_ERR_SYS : SOCK_ERR_NONE);
        return;
    case SOCK_OP_SEND:
        rc = write_out(s);
        break;
    case SOCK_OP_HANDSHAKE:
        rc = sock_tls_step(s);
        if (rc < 0) return finish(s, SOCK_ERR_TLS);
        break;
    case SOCK_OP_RECEIVE:
        rc = read_ready(s);
        if (rc == READ_MET) return finish(s, SOCK_ERR_NONE);
        if (rc == READ_EOF) return finish(s, SOCK_ERR_CLOSED);
        break;  /* READ_NOTHING (0): more to come, wait again; or -1 */
    default: return;
    }
    if (rc < 0) {
        s->sys_errno = errno;
        return finish(s, errno == EPIPE ? SOCK_ERR_CLOSED : SOCK_ERR_SYS);
    }
    if (rc > 0) return finish(s, SOCK_ERR_NONE);
    int which = s->op == SOCK_OP_SEND ? 1 : s->op == SOCK_OP_HANDSHAKE ? 0 : 2;
    wait_for(s, s->op, awaited(s), s->timeout[which]);  /* the whole timeout */
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct sock *s = arg;
    (void)fd;
    (void)what;
    if (s->op == SOCK_OP_CONNECT) {  /* a half-open connect is no use */
        s->sys_errno = ETIMEDOUT;
        enum sock_op op = s->op;
        sock_close(s);
        s->done(s, op, SOCK_ERR_TIMEOUT, s->arg);
        return;
    }
    finish(s, SOCK_ERR_TIMEOUT);
}

enum sock_result sock_handshake(struct sock *s, struct ssl_ctx_st *ctx,
                                const char *server_name, int verify,
                                struct ssl_session_st *reuse,
                                enum sock_err *err)
{
    if (s->fd < 0 || s->op != SOCK_OP_NONE) {
        *err = s->fd < 0 ? SOCK_ERR_CLOSED : SOCK_ERR_BUSY;
        return SOCK_FAILED;
    }
    if (sock_tls_begin(s, ctx, server_name, verify, reuse) < 0) {
        errno = ENOMEM;
        return fail_sys(s, err);
    }
    int rc = sock_tls_step(s);
    if (rc > 0) return SOCK_DONE;
    if (rc < 0) {
        *err = SOCK_ERR_TLS;
        sock_close(s);
        return SOCK_FAILED;
    }
    return wait_for(s, SOCK_OP_HANDSHAKE, wait_event(s, 0), s->timeout[0]);
}

const char *sock_error_text(const struct sock *s, enum sock_err err,
                            char *buf, size_t len)
{
    switch (err) {
    case SOCK_ERR_NONE: return "ok";
    case SOCK_ERR_TIMEOUT: return "timeout";
    case SOCK_ERR_CLOSED: return "closed";
    case SOCK_ERR_BUSY: return "socket busy";
    case SOCK_ERR_TLS: return s->tls_error;
    case SOCK_ERR_SYS: break;
    }
    if (s->sys_errno == ECONNREFUSED) return "connection refused";
    snprintf(buf, len, "%s", strerror(s->sys_errno));
    for (char *p = buf; *p; p++) *p = (char)tolower((unsigned char)*p);
    return buf;
}
