/* conn_proxy.h: ProxyProtocol on a connection: the PROXY header a load
 * balancer sends before the client's bytes, read before any callback. It
 * names the original client (remote_ip, remote_port), to whom Allow and
 * Deny then apply. */
#ifndef TINE_CONN_PROXY_H
#define TINE_CONN_PROXY_H

#include <stddef.h>

struct conn;

/* Seconds a connection may take to send its whole header. */
#define CONN_PROXY_SECONDS 5.0

/* Read c's header from the front of data[0..len). 0: more is needed; 1:
 * it was read (its *took bytes are the header), c names the original
 * client, who may come in; -1:
 * c must be closed (a malformed header, or Allow/Deny refuse the client),
 * which is logged at debug and counted in the connection set. */
int conn_proxy_read(struct conn *c, const char *data, size_t len,
                    size_t *took);

/* c has not sent a whole header within CONN_PROXY_SECONDS: counted and
 * logged the same way; the caller closes it. */
void conn_proxy_timed_out(struct conn *c);

#endif
