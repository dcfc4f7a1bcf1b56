/* conn.h: one client connection in a child: its socket and buffers, line
 * or stream framing, back-pressure, and the calls into the script. */
#ifndef TINE_CONN_H
#define TINE_CONN_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "bytebuf.h"
#include "scheduler.h"

struct ssl_ctx_st;
struct ssl_st;
struct conn_set;

struct conn {
    struct conn_set *set;     /* the child's connections */
    int fd;
    struct event *read_ev;    /* the socket is readable */
    struct event *write_ev;   /* writable again: finish a write (and for
                               * TLS a read) that had to wait */
    struct bytebuf in;        /* input read and not delivered yet (most
                               * input is delivered from the child's read
                               * buffer and never lands here) */
    struct bytebuf out;       /* output queued and not sent yet */
    int reading;              /* read_ev is added */
    unsigned long id;
    int client_ref;           /* registry reference to the Lua client */
    int closing;              /* no more input; finished once drained */
    int script_paused;        /* client:pause() */
    int backpressure;         /* output over MaxOutputBuffer */
    int eof_seen;             /* the client has closed its side */
    int writing;              /* a reply did not go out at once: write_ev
                               * finishes it (or, TLS, a read unblocks it) */
    int dirty;                /* queued for the set's next flush */
    int flush_wanted;         /* written to since the last ClientFlushed */
    int flushed_due;          /* queued for ClientFlushed */
    struct conn *next_flushed;
    int input_due;            /* queued to deliver what input held back */
    struct conn *next_input_due;
    int tasks;                /* its callbacks waiting now */
    double last_input;        /* coarse time input last came (IdleTimeout) */
    int finish_pending;       /* ended, once those callbacks have */
    struct conn *next_dirty;
    const char *reason;       /* for ClientDisconnected */
    char remote_ip[INET6_ADDRSTRLEN];
    int remote_port;
    int local_port;
    struct conn *prev, *next; /* the set's list */
    struct http_conn *http;   /* Filter "http": its requests; else NULL */
    int proxy_pending;        /* ProxyProtocol: its header is not read yet,
                               * no callback has run (client_ref is 0) */
    double opened;            /* coarse time it was accepted */
    struct ssl_st *tls;       /* a TLS listener's connection; else NULL */
    int tls_read_blocked;     /* TLS: a read waits for writable */
    int tls_write_blocked;    /* TLS: a write waits for the client's bytes
                               * (the handshake): read even while input is
                               * held, and retried after the read */
};

/* Take over the accepted socket fd (speaking TLS with the tls context
 * unless it is NULL), make the client object and call ClientConnected.
 * NULL if the connection could not be set up (fd is closed then). */
struct conn *conn_open(struct conn_set *set, int fd,
                       const struct sockaddr *peer, int local_port,
                       struct ssl_ctx_st *tls);

/* Bytes read from a socket at most per wake-up (the size of the child's
 * read buffer). */
#define CONN_READ_SIZE 16384

/* An idle connection keeps buffers of up to this much memory; larger ones
 * are given back once empty. */
#define CONN_BUF_KEEP 4096

/* Queued output may reach this many times MaxOutputBuffer (writes from
 * timers, say, while the client reads nothing); a write when more than
 * that is already queued is a connection error: ClientError, then the
 * connection closes. One write of any size always goes out. */
#define CONN_OUTPUT_CAP_FACTOR 4

/* May a write (of any number of pieces) be queued now? -1 once the
 * connection is closing, or when more than the output cap is already
 * queued (the connection then fails: ClientError, close). */
int conn_write_check(struct conn *c);

/* Queue bytes for the client, after conn_write_check said yes. */
void conn_write(struct conn *c, const char *data, size_t len);

/* Queue a then b (blen may be 0) as one write, or do nothing at all and
 * return -1 when conn_write_check would refuse or memory runs out: then
 * the caller takes the way through conn_write_check, which fails the
 * connection. 0 when queued. Never calls into Lua, so LuaJIT's FFI may
 * call it (client:write's fast path). */
int conn_write_pair(struct conn *c, const char *a, size_t alen,
                    const char *b, size_t blen);

/* Close once everything queued is sent; ClientDisconnected(reason) follows
 * from the event loop, never from inside the caller. */
void conn_close(struct conn *c, const char *reason);

/* Write what is queued straight to the socket; whatever does not go out
 * at once waits for the write event. Finishes the connection if it
 * is closing and everything is sent. The child calls this once per loop
 * iteration for every connection written to, so a reply costs one write
 * and no epoll_ctl. */
void conn_flush(struct conn *c);

/* Stop (paused = 1) or restart reading this client's input. */
void conn_set_paused(struct conn *c, int paused);

/* Close now, dropping whatever is queued, with reason for
 * ClientDisconnected (which follows once no callback of c waits). */
void conn_abort(struct conn *c, const char *reason);

/* Is c's input held back (closing, paused, back-pressure, a callback of
 * c waiting)? Held input stays buffered, in order. */
int conn_input_held(const struct conn *c);

/* Bytes queued for c and not yet sent. */
size_t conn_output_queued(const struct conn *c);

/* For callers that start a task of c's (HTTP handlers): pass
 * conn_task_done as the task's done function with c as owner, then give
 * the start's result to conn_task_begun, which holds c's input while the
 * task waits; -1 if the task failed at once. */
void conn_task_done(void *owner, int cb, int failed, const char *err);
int conn_task_begun(struct conn *c, enum sched_result r);

/* Input held back is released (conn_set's queue): deliver what was
 * buffered meanwhile, and close after the client's EOF. */
void conn_deliver_held(struct conn *c);

/* All of c's output has gone out (conn_set's queue): ClientFlushed. */
void conn_notify_flushed(struct conn *c);

#endif
