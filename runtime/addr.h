/* addr.h: a socket address as text, for the log and the client object. */
#ifndef TINE_ADDR_H
#define TINE_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Room for the longest text addr_text writes (an IPv6 address). */
#define ADDR_TEXT_MAX 46

/* The address of sa in buf ("127.0.0.1", "::1"; "unix" for a unix-domain
 * address) and its port in *port (0 for unix). */
void addr_text(const struct sockaddr *sa, char *buf, size_t len, int *port);

#endif
