/* proxy.h: the PROXY protocol header (versions 1 and 2) that a load
 * balancer sends before the client's bytes, parsed from the start of a
 * buffer. Pure: no I/O, no allocation, no state between calls; a caller
 * feeds what it has read so far and calls again with more. */
#ifndef TINE_PROXY_H
#define TINE_PROXY_H

#include <stddef.h>
#include <sys/socket.h>

#define PROXY_V1_MAX 107                /* longest v1 line, CRLF included */
#define PROXY_V2_MAX (16 + 65535)       /* fixed part + the largest length */
#define PROXY_HEADER_MAX PROXY_V2_MAX   /* no header is longer than this */

enum proxy_status {
    PROXY_NEED_MORE,    /* a header may still come: read more, call again */
    PROXY_MALFORMED,    /* not a valid header, whatever follows */
    PROXY_DONE          /* a valid header of `consumed` bytes */
};

/* One end of the original connection. */
struct proxy_endpoint {
    int family;                     /* AF_INET or AF_INET6 */
    struct sockaddr_storage addr;   /* its family set, port in network order */
    unsigned port;                  /* the same port, host order */
};

struct proxy_header {
    int version;            /* 1 or 2, once known */
    size_t consumed;        /* PROXY_DONE: bytes the header takes */
    int keep_peer;          /* PROXY_DONE: LOCAL, UNSPEC or UNKNOWN: use the
                             * connection's own addresses; src and dst are
                             * then zero (AF_UNSPEC) */
    struct proxy_endpoint src, dst;   /* the client, and what it reached */
    const char *reason;     /* PROXY_MALFORMED: static text, for a log */
};

/* Parse a PROXY header from the first len bytes of buf, filling *out.
 * PROXY_NEED_MORE while no verdict can be reached yet, which ends by
 * PROXY_V1_MAX bytes for a v1 line and by the length it names for v2; a
 * verdict (MALFORMED or DONE) depends only on bytes already seen, so more
 * bytes never change it. Safe for any bytes and any len (buf may be NULL
 * when len is 0). */
enum proxy_status proxy_parse(const unsigned char *buf, size_t len,
                              struct proxy_header *out);

#endif
