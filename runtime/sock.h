/* sock.h: an outgoing TCP or unix-domain socket on a child's event loop,
 * the C half of tine.tcp(): connect, send everything, receive by pattern,
 * each bounded by a timeout and none blocking. An operation that cannot
 * finish at once finishes later through the socket's done callback. No
 * Lua here. */
#ifndef TINE_SOCK_H
#define TINE_SOCK_H

#include <stddef.h>
#include <sys/socket.h>

#include "bytebuf.h"
#include "recv_pattern.h"

struct event;
struct event_base;

enum sock_result { SOCK_DONE, SOCK_PENDING, SOCK_FAILED };

enum sock_err {
    SOCK_ERR_NONE,
    SOCK_ERR_TIMEOUT,   /* "timeout": the socket stays usable */
    SOCK_ERR_CLOSED,    /* "closed": by the peer, or never opened */
    SOCK_ERR_BUSY,      /* another operation is under way on it */
    SOCK_ERR_SYS,       /* a system call failed: errno in sys_errno */
    SOCK_ERR_TLS        /* the TLS handshake failed: tls_error says why */
};

enum sock_op { SOCK_OP_NONE, SOCK_OP_CONNECT, SOCK_OP_SEND, SOCK_OP_RECEIVE,
               SOCK_OP_HANDSHAKE };

struct sock;
struct ssl_ctx_st;
struct ssl_session_st;
struct ssl_st;

/* An operation that returned SOCK_PENDING has finished with err. The
 * socket is idle again (the callback may start another operation, or
 * free it); on any error but a timeout it is closed. */
typedef void (*sock_done_fn)(struct sock *s, enum sock_op op,
                             enum sock_err err, void *arg);

struct sock {
    int fd;                    /* -1 when closed */
    struct event_base *base;
    struct event *read_ev, *write_ev, *timer;
    struct bytebuf in;         /* read, not yet taken by a receive */
    struct bytebuf out;        /* a send's bytes not yet written */
    enum sock_op op;           /* under way, if any */
    struct recv_pattern *pattern;  /* a receive's, the caller's memory */
    struct recv_cut cut;       /* a finished receive's result */
    int eof;                   /* the peer has closed its side */
    int unread;                /* a read edge came that no read has taken
                                * to EAGAIN: read before waiting */
    int read_short;            /* the last read was plain and short */
    int closing;               /* the peer's FIN was signalled; a read
                                * will find the end */
    double timeout[3];         /* seconds for connect, send, read */
    int sys_errno;             /* for SOCK_ERR_SYS */
    struct ssl_st *tls;        /* after sslhandshake; else NULL */
    int tls_wants_write;       /* TLS waits for writable, not readable */
    char tls_error[128];       /* for SOCK_ERR_TLS */
    sock_done_fn done;
    void *arg;
};

/* Each timeout a new socket starts with, in seconds. */
#define SOCK_DEFAULT_TIMEOUT 60.0

/* Read at most this much per system call: a receive holds at most what
 * its pattern asks for plus one read. */
#define SOCK_READ_SIZE 16384

/* A new closed socket on base; NULL if memory ran out. Timeouts start at
 * 60 s each. */
struct sock *sock_new(struct event_base *base, sock_done_fn done, void *arg);

/* Close (if open) and free. An operation under way is dropped unreported. */
void sock_free(struct sock *s);

/* Close now; an operation under way is dropped unreported. */
void sock_close(struct sock *s);

/* Timeouts in seconds for connect, send and each wait of a receive. */
void sock_set_timeouts(struct sock *s, double connect, double send,
                       double read);

/* Connect to addr. SOCK_DONE, SOCK_PENDING (done follows), or SOCK_FAILED
 * with *err. An open socket is closed first. */
enum sock_result sock_connect(struct sock *s, const struct sockaddr *addr,
                              socklen_t len, enum sock_err *err);

/* Send all len bytes (copied), after any already put in s->out: SOCK_DONE
 * once written, SOCK_PENDING (done follows once all is written), or
 * SOCK_FAILED with *err. */
enum sock_result sock_send(struct sock *s, const char *data, size_t len,
                           enum sock_err *err);

/* Receive by pattern p (kept by the caller until the receive finishes).
 * SOCK_DONE with s->cut ready over s->in, SOCK_PENDING, or SOCK_FAILED
 * with *err (SOCK_ERR_CLOSED: the peer closed before the pattern was met;
 * what came is still in s->in). */
enum sock_result sock_receive(struct sock *s, struct recv_pattern *p,
                              enum sock_err *err);

/* May s go to a keep-alive pool: open, no operation under way, nothing
 * buffered unread, the peer not known to have closed, no TLS? (What the
 * kernel holds is checked when the pool hands it out.) */
int sock_idle(const struct sock *s);

/* May an idle socket be handed out again: sock_idle, and nothing came
 * from the peer while it idled (no read edge; if one came, one peek says
 * whether it brought bytes or the end, or nothing)? Bytes that came since
 * the loop last looked raise an edge not dispatched yet: not seen. */
int sock_reusable(struct sock *s);

/* OpenResty's short text for err: "timeout", "closed", "connection
 * refused", or the system's message in lower case. In buf when needed. */
const char *sock_error_text(const struct sock *s, enum sock_err err,
                            char *buf, size_t len);

/* TLS on the connected socket (sock_tls.h has the rest): SOCK_DONE,
 * SOCK_PENDING (done follows), or SOCK_FAILED with *err (SOCK_ERR_TLS:
 * s->tls_error). The handshake's waits are bounded by the connect
 * timeout. */
enum sock_result sock_handshake(struct sock *s, struct ssl_ctx_st *ctx,
                                const char *server_name, int verify,
                                struct ssl_session_st *reuse,
                                enum sock_err *err);

#endif
