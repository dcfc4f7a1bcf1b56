/* conn_int.h: what conn.c (the connection's life and its input) and
 * conn_output.c (its output) share; nothing else includes it. */
#ifndef TINE_CONN_INT_H
#define TINE_CONN_INT_H

#include <event2/util.h>

struct conn;

/* Read input only while nothing holds it back, and not after EOF. */
void conn_update_reading(struct conn *c);

/* Input is no longer held: deliver what was buffered meanwhile, from the
 * loop rather than from the caller. */
void conn_release_input(struct conn *c);

/* The end, once no callback of c is waiting: free c and run
 * ClientDisconnected. */
void conn_finish(struct conn *c);

/* A connection-level error: close, then ClientError(message). */
void conn_fail(struct conn *c, const char *message);

/* The socket is broken (errno err): ClientError, drop what is queued,
 * finish. */
void conn_broken(struct conn *c, int err);

/* The write event: the socket is writable again; retry a TLS read that
 * needed it, and send on. */
void conn_on_writable(evutil_socket_t fd, short what, void *arg);

#endif
