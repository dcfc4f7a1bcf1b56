/* status_client.c: see status_client.h. Blocking on purpose: it is a
 * command-line tool, and every wait is bounded. */
#include "status_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"
#include "tine_err.h"

#define RESPONSE_MAX (16u << 20)   /* bytes: far more than any status */

/* Connect fd to sa within the time-out, then make it blocking with
 * time-outs on each send and receive. 0, or -1 with errno. */
static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct timeval tv = {STATUS_CLIENT_TIMEOUT, 0};
    struct pollfd p = {fd, POLLOUT, 0};
    int soerr = 0;
    socklen_t errlen = sizeof(soerr);
    if (connect(fd, sa, len) < 0) {
        if (errno != EINPROGRESS) return -1;
        int got = poll(&p, 1, STATUS_CLIENT_TIMEOUT * 1000);
        if (got == 0) errno = ETIMEDOUT;
        if (got <= 0) return -1;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &errlen);
        if (soerr) {
            errno = soerr;
            return -1;
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return 0;
}

/* A socket of family connected to sa; -1 with errno. */
static int connect_one(int family, const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect_bounded(fd, sa, len) == 0) return fd;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

/* Connect to spec (a host name may give several addresses: the first
 * that answers). The socket, or -1 with err. */
static int connect_spec(const struct listen_spec *spec, const char *address,
                        char *err, size_t errlen)
{
    if (spec->family == AF_UNIX) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        strcpy(sun.sun_path, spec->path);
        int fd = connect_one(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun));
        if (fd < 0) snprintf(err, errlen, "cannot connect to %s: %s",
                             address, strerror(errno));
        return fd;
    }
    struct addrinfo hints = {0}, *ai = NULL;
    char port[16];
    hints.ai_family = spec->family == AF_INET6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", spec->port);
    int rc = getaddrinfo(spec->host, port, &hints, &ai), fd = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", address,
                 gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next)
        fd = connect_one(a->ai_family, a->ai_addr, a->ai_addrlen);
    if (fd < 0) snprintf(err, errlen, "cannot connect to %s: %s", address,
                         strerror(errno));
    freeaddrinfo(ai);
    return fd;
}

/* Send the request and read the answer to its end into *resp (malloc'd).
 * Its length, or -1 with err. */
static long exchange(int fd, const char *address, const char *path,
                     char **resp, char *err, size_t errlen)
{
    char req[512];
    size_t cap = 65536, len = 0;
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: tine\r\n"
                     "\r\n", path);
    *resp = malloc(cap);
    if (!*resp) abort();
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        snprintf(err, errlen, "cannot send to %s: %s", address,
                 strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= RESPONSE_MAX) {
                snprintf(err, errlen, "%s: the answer is too long", address);
                return -1;
            }
            *resp = realloc(*resp, cap *= 2);
            if (!*resp) abort();
        }
        ssize_t got = recv(fd, *resp + len, cap - len, 0);
        if (got == 0) return (long)len;
        if (got < 0) {
            snprintf(err, errlen, "cannot read from %s: %s", address,
                     strerror(errno));
            return -1;
        }
        len += (size_t)got;
    }
}

int status_client_body(const char *resp, size_t len, const char **body,
                       size_t *body_len, char *err, size_t errlen)
{
    const char *eol = memchr(resp, '\r', len);
    const char *end = memmem(resp, len, "\r\n\r\n", 4);
    if (!eol || !end || len < 12 || strncmp(resp, "HTTP/1.", 7) != 0) {
        snprintf(err, errlen, "the answer is not HTTP");
        return -1;
    }
    if (strncmp(resp + 8, " 200 ", 5) != 0) {
        snprintf(err, errlen, "the status page answered \"%.*s\"",
                 (int)(eol - resp), resp);
        return -1;
    }
    *body = end + 4;
    *body_len = len - (size_t)(end + 4 - resp);
    return 0;
}

int status_client_get(const char *address, const char *path, FILE *out,
                      char *err, size_t errlen)
{
    struct listen_spec spec;
    char why[TINE_ERR_MAX], *resp = NULL;
    const char *body;
    size_t body_len;
    if (listen_parse(address, &spec, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    int fd = connect_spec(&spec, address, err, errlen);
    if (fd < 0) return -1;
    long len = exchange(fd, address, path, &resp, err, errlen);
    close(fd);
    int rc = len < 0 ? -1 : status_client_body(resp, (size_t)len, &body,
                                                &body_len, err, errlen);
    if (rc == 0) fwrite(body, 1, body_len, out);
    free(resp);
    return rc;
}
