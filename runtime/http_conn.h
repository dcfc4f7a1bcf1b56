/* http_conn.h: HTTP mode on one connection: requests read with
 * http_reader, handed one at a time to the script (tine.http writes each
 * response), refusals answered here, and the connection's clocks:
 * RequestTimeout for a request being received, KeepAliveTimeout between
 * requests. */
#ifndef TINE_HTTP_CONN_H
#define TINE_HTTP_CONN_H

#include <stddef.h>

struct conn;
struct settings;

struct http_conn;

/* HTTP state for a new connection under settings s. */
struct http_conn *http_conn_new(const struct settings *s);

void http_conn_free(struct http_conn *hc);

/* Read requests out of data[0..len) and serve them one at a time, in
 * order, while c's input is not held (a waiting handler holds the next
 * request); the bytes taken (all of them once a refused request is
 * answered and c closes). */
size_t http_conn_deliver(struct conn *c, const char *data, size_t len);

/* The child's sweep at time now: a request received too slowly is a 408,
 * an idle keep-alive connection past its time closes. */
void http_conn_sweep(struct conn *c, double now);

/* The child is stopping: close c now if it is idle between requests; a
 * request under way is answered with Connection: close, and so is a new
 * connection's first request if its bytes have arrived (accepted just
 * before the stop, it was not read yet). */
void http_conn_stopping(struct conn *c);

#endif
