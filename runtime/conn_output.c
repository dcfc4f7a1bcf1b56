/* conn_output.c: a connection's output: queueing the script's writes,
 * the once-per-iteration flush with one send, the rest when the socket is
 * writable again, and back-pressure (input held while more than
 * MaxOutputBuffer waits). */
#include <errno.h>
#include <event2/event.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "conn_int.h"
#include "conn_set.h"
#include "conn_tls.h"
#include "settings.h"

/* Output has drained (to half of MaxOutputBuffer under back-pressure, or
 * to nothing): read again, and finish a closing connection. */
static void drained(struct conn *c)
{
    size_t queued = bytebuf_len(&c->out);
    size_t limit = (size_t)c->set->s->max_output_buffer;
    if (c->backpressure && queued <= limit / 2) {
        c->backpressure = 0;
        conn_release_input(c);
    }
    if (queued > 0) return;
    bytebuf_trim(&c->out, CONN_BUF_KEEP);
    if (c->flush_wanted && !c->closing) {
        c->flush_wanted = 0;
        conn_set_mark_flushed(c->set, c);
    }
    if (c->closing && !c->finish_pending) conn_finish(c);
}

/* Send what out holds, consuming what went out: bytes sent, or -1 with
 * errno. */
static ssize_t send_out(struct conn *c)
{
    if (c->tls) return conn_tls_write(c, &c->out);
    ssize_t n = send(c->fd, bytebuf_head(&c->out), bytebuf_len(&c->out),
                     MSG_NOSIGNAL);
    if (n > 0) bytebuf_consume(&c->out, (size_t)n);
    return n;
}

void conn_flush(struct conn *c)
{
    if (!c->writing && bytebuf_len(&c->out) > 0) {
        ssize_t n = send_out(c);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
            errno != EINTR) {
            conn_broken(c, errno);
            return;
        }
        if (bytebuf_len(&c->out) > 0) {  /* the rest when writable */
            c->writing = 1;
            if (c->tls_write_blocked) conn_update_reading(c);
            else event_add(c->write_ev, NULL);
        }
    }
    drained(c);
}

void conn_on_writable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    (void)fd;
    (void)what;
    c->writing = 0;
    if (c->tls_read_blocked) {
        c->tls_read_blocked = 0;
        event_active(c->read_ev, EV_READ, 1);
    }
    conn_flush(c);
}

/* More than the output cap is queued already. */
static int over_cap(const struct conn *c)
{
    return bytebuf_len(&c->out) >
           CONN_OUTPUT_CAP_FACTOR * (size_t)c->set->s->max_output_buffer;
}

int conn_write_check(struct conn *c)
{
    if (c->closing) return -1;
    if (over_cap(c)) {
        conn_fail(c, "output buffer full: the client does not read");
        return -1;
    }
    return 0;
}

/* Bytes were added to c's output: flush it this iteration, and hold its
 * input once more than MaxOutputBuffer waits. */
static void output_added(struct conn *c)
{
    c->flush_wanted = 1;
    conn_set_mark_dirty(c->set, c);
    if (!c->backpressure &&
        bytebuf_len(&c->out) > (size_t)c->set->s->max_output_buffer) {
        c->backpressure = 1;
        conn_update_reading(c);
    }
}

void conn_write(struct conn *c, const char *data, size_t len)
{
    if (bytebuf_append(&c->out, data, len) < 0) {
        conn_fail(c, "out of memory for the client's output");
        return;
    }
    output_added(c);
}

int conn_write_pair(struct conn *c, const char *a, size_t alen,
                    const char *b, size_t blen)
{
    if (c->closing || over_cap(c)) return -1;
    char *to = bytebuf_reserve(&c->out, alen + blen);
    if (!to) return -1;
    memcpy(to, a, alen);
    memcpy(to + alen, b, blen);
    c->out.end += alen + blen;
    output_added(c);
    return 0;
}

size_t conn_output_queued(const struct conn *c)
{
    return bytebuf_len(&c->out);
}

