/* conn_tls.c: see conn_tls.h. OpenSSL reads and writes the socket itself
 * (SSL_set_fd); a read that needs the socket writable (a key update, a
 * handshake message that did not fit) is retried from the write event. */
#include "conn_tls.h"

#include <errno.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bytebuf.h"
#include "conn.h"
#include "log.h"

enum { TLS_CHUNK = 16384 };  /* one TLS record's worth */

int conn_tls_start(struct conn *c, SSL_CTX *ctx, int fd)
{
    c->tls = SSL_new(ctx);
    if (!c->tls || SSL_set_fd(c->tls, fd) != 1) {
        conn_tls_end(c);
        return -1;
    }
    SSL_set_accept_state(c->tls);
    SSL_set_mode(c->tls, SSL_MODE_ENABLE_PARTIAL_WRITE |
                             SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return 0;
}

/* errno for an OpenSSL failure of rc; 0 if it only means "wait". */
static int failure(struct conn *c, int rc)
{
    int e = SSL_get_error(c->tls, rc);
    if (e == SSL_ERROR_WANT_READ) return EAGAIN;
    if (e == SSL_ERROR_WANT_WRITE) {
        event_add(c->write_ev, NULL);
        return EAGAIN;
    }
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    log_debug("client %lu: TLS: %s", c->id,
              ERR_reason_error_string(ERR_peek_last_error())
                  ? ERR_reason_error_string(ERR_peek_last_error())
                  : "connection broken");
    ERR_clear_error();
    return EPROTO;
}

ssize_t conn_tls_read(struct conn *c, char *buf, size_t cap)
{
    size_t total = 0;
    while (total < cap) {
        int n = SSL_read(c->tls, buf + total, (int)(cap - total));
        if (n > 0) {
            total += (size_t)n;
            /* nothing held: the socket's own readiness says when more
             * comes, so no read() just to hear EAGAIN */
            if (!SSL_has_pending(c->tls)) return (ssize_t)total;
            continue;
        }
        int e = failure(c, n);
        if (e == EAGAIN && SSL_get_error(c->tls, n) == SSL_ERROR_WANT_WRITE)
            c->tls_read_blocked = 1;
        if (total > 0) {  /* this first; the end or error comes next time */
            if (e != EAGAIN) event_active(c->read_ev, EV_READ, 1);
            return (ssize_t)total;
        }
        if (e == 0) return 0;
        errno = e;
        return -1;
    }
    /* records OpenSSL holds already raise no event: come back for them */
    if (SSL_has_pending(c->tls)) event_active(c->read_ev, EV_READ, 1);
    return (ssize_t)total;
}

ssize_t conn_tls_write(struct conn *c, struct bytebuf *out)
{
    size_t total = 0, len;
    while ((len = bytebuf_len(out)) > 0) {
        if (len > TLS_CHUNK) len = TLS_CHUNK;
        int n = SSL_write(c->tls, bytebuf_head(out), (int)len);
        if (n <= 0) {
            int e = failure(c, n);
            if (SSL_get_error(c->tls, n) == SSL_ERROR_WANT_READ)
                c->tls_write_blocked = 1;
            errno = e ? e : EPIPE;
            return total > 0 && e == EAGAIN ? (ssize_t)total : -1;
        }
        bytebuf_consume(out, (size_t)n);
        total += (size_t)n;
    }
    return (ssize_t)total;
}

void conn_tls_end(struct conn *c)
{
    if (c->tls) {
        if (SSL_is_init_finished(c->tls)) SSL_shutdown(c->tls);
        SSL_free(c->tls);
        ERR_clear_error();
    }
    c->tls = NULL;
}
