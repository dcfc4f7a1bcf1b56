/* conn.h: one client connection in a child: its bufferevent, line or
 * stream framing, back-pressure, and the calls into the script. */
#ifndef TINE_CONN_H
#define TINE_CONN_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

struct child;
struct bufferevent;

struct conn {
    struct child *child;
    struct bufferevent *bev;  /* output and input buffers; writes left over */
    struct event *read_ev;    /* input: read with recv, see conn.c */
    int reading;              /* read_ev is added */
    unsigned long id;
    int client_ref;           /* registry reference to the Lua client */
    int closing;              /* no more input; finished once drained */
    int script_paused;        /* client:pause() */
    int backpressure;         /* output over MaxOutputBuffer */
    int eof_seen;             /* the client has closed its side */
    int writing;              /* libevent's write event is finishing a reply
                               * that did not go out at once */
    int dirty;                /* queued for the child's next flush */
    int tasks;                /* its callbacks waiting now */
    int finish_pending;       /* ended, once those callbacks have */
    struct conn *next_dirty;
    const char *reason;       /* for ClientDisconnected */
    char remote_ip[INET6_ADDRSTRLEN];
    int remote_port;
    int local_port;
    struct conn *prev, *next; /* the child's list */
};

/* Take over the accepted socket fd, make the client object and call
 * ClientConnected. NULL if the connection could not be set up (fd is
 * closed then). */
struct conn *conn_open(struct child *ch, int fd, const struct sockaddr *peer,
                       int local_port);

/* Queued output may reach this many times MaxOutputBuffer (writes from
 * timers, say, while the client reads nothing); a write past it is a
 * connection error: ClientError, then the connection closes. */
#define CONN_OUTPUT_CAP_FACTOR 4

/* Queue bytes for the client. -1 once the connection is closing, or when
 * the write would pass the output cap (the connection then closes). */
int conn_write(struct conn *c, const char *data, size_t len);

/* Close once everything queued is sent; ClientDisconnected(reason) follows
 * from the event loop, never from inside the caller. */
void conn_close(struct conn *c, const char *reason);

/* Write what is queued straight to the socket; whatever does not go out
 * at once is left to libevent's write event. Finishes the connection if it
 * is closing and everything is sent. The child calls this once per loop
 * iteration for every connection written to, so a reply costs one write
 * and no epoll_ctl. */
void conn_flush(struct conn *c);

/* Stop (paused = 1) or restart reading this client's input. */
void conn_set_paused(struct conn *c, int paused);

#endif
