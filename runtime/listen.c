/* listen.c: parse, bind and close listening sockets. */
#include "listen.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "digits.h"
#include "tine_err.h"

#define BACKLOG 4096

/* Parse "port" (1..65535) into *port; -1 if it is not one. */
static int parse_port(const char *text, int *port)
{
    unsigned long p;
    if (digits_whole(text, strlen(text), 65535, &p) < 0 || p < 1) return -1;
    *port = (int)p;
    return 0;
}

int listen_parse(const char *text, struct listen_spec *out, char *err,
                 size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (strncmp(text, "tls:", 4) == 0 && strncmp(text + 4, "unix:", 5) != 0) {
        if (listen_parse(text + 4, out, err, errlen) < 0) return -1;
        out->tls = 1;
        return 0;
    }
    if (strncmp(text, "unix:", 5) == 0) {
        const char *path = text + 5;
        if (path[0] == '\0' || strlen(path) >= sizeof(out->path)) {
            snprintf(err, errlen, "\"%s\": unix socket path is empty or "
                     "longer than %zu bytes", text, sizeof(out->path) - 1);
            return -1;
        }
        out->family = AF_UNIX;
        strcpy(out->path, path);
        return 0;
    }
    const char *colon = strrchr(text, ':'), *host = text;
    size_t hostlen = colon ? (size_t)(colon - text) : 0;
    if (colon && text[0] == '[') {
        if (hostlen < 2 || text[hostlen - 1] != ']') colon = NULL;
        host = text + 1;
        hostlen -= 2;
        out->family = AF_INET6;
    } else if (colon && memchr(text, ':', hostlen)) {
        colon = NULL;   /* a bare v6 address needs brackets */
    } else {
        out->family = AF_INET;
    }
    if (!colon || hostlen >= sizeof(out->host) ||
        parse_port(colon + 1, &out->port) < 0) {
        snprintf(err, errlen, "\"%s\" is not host:port, [v6addr]:port or "
                 "unix:/path", text);
        return -1;
    }
    memcpy(out->host, host, hostlen);
    out->host[hostlen] = '\0';
    if (out->host[0] == '\0' || strcmp(out->host, "*") == 0)
        strcpy(out->host, out->family == AF_INET6 ? "::" : "0.0.0.0");
    return 0;
}

int listen_is_local(const struct listen_spec *spec)
{
    unsigned char a[16];
    if (spec->family == AF_UNIX || strcmp(spec->host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, spec->host, a) == 1) return a[0] == 127;
    if (inet_pton(AF_INET6, spec->host, a) != 1) return 0;
    if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) return a[12] == 127;
    return IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a);
}

int listen_specs(const struct settings *s, struct listen_spec **out, int *n,
                 char *err, size_t errlen)
{
    char one[300], why[400];
    *out = calloc((size_t)s->listen.n + 1, sizeof(**out));
    *n = 0;
    if (!*out) abort();
    if (s->port != 0) {
        int v6 = strchr(s->address, ':') != NULL;
        snprintf(one, sizeof(one), v6 ? "[%s]:%ld" : "%s:%ld", s->address,
                 s->port);
        if (listen_parse(one, &(*out)[(*n)++], why, sizeof(why)) < 0) {
            snprintf(err, errlen, "Address: %s", why);
            return -1;
        }
        (*out)[*n - 1].tls = s->tls_certificate != NULL;
    }
    for (int i = 0; i < s->listen.n; i++) {
        struct listen_spec *spec = &(*out)[(*n)++];
        if (listen_parse(s->listen.items[i], spec, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "Listen: %s", why);
            return -1;
        }
        if (spec->tls && !s->tls_certificate) {
            snprintf(err, errlen, "Listen: \"%s\" needs TLSCertificate and "
                     "TLSKey", s->listen.items[i]);
            return -1;
        }
    }
    return 0;
}

/* Remove a unix socket file that no process listens on any more. */
static int clear_stale_unix(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0) return 0;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "unix:%s exists and is not a socket", path);
        return -1;
    }
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    int live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
    close(fd);
    if (live) {
        snprintf(err, errlen, "unix:%s: address in use by a live server",
                 path);
        return -1;
    }
    unlink(path);
    return 0;
}

static int open_unix(const struct listen_spec *spec, struct listener *out,
                     char *err, size_t errlen)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (clear_stale_unix(spec->path, err, errlen) < 0) return -1;
    strcpy(sun.sun_path, spec->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        listen(fd, BACKLOG) < 0) {
        snprintf(err, errlen, "unix:%s: %s", spec->path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    out->fd = fd;
    out->family = AF_UNIX;
    out->port = 0;
    strcpy(out->path, spec->path);
    snprintf(out->name, sizeof(out->name), "unix:%s", spec->path);
    return 0;
}

static int open_inet(const struct listen_spec *spec, struct listener *out,
                     char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *ai = NULL;
    char port[16];
    hints.ai_family = spec->family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", spec->port);
    snprintf(out->name, sizeof(out->name),
             spec->family == AF_INET6 ? "[%s]:%d" : "%s:%d", spec->host,
             spec->port);
    int rc = getaddrinfo(spec->host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", out->name, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
                    SOCK_CLOEXEC, 0);
    int one = 1, v6only = strcmp(spec->host, "::") != 0;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
                       sizeof(v6only));
    }
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
        listen(fd, BACKLOG) < 0) {
        snprintf(err, errlen, "%s: %s", out->name, strerror(errno));
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    out->fd = fd;
    out->family = spec->family;
    out->port = spec->port;
    return 0;
}

int listen_open(const struct listen_spec *spec, struct listener *out,
                char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    out->tls = spec->tls;
    if (spec->family == AF_UNIX) return open_unix(spec, out, err, errlen);
    return open_inet(spec, out, err, errlen);
}

/* Describe an inherited listening socket fd from its own address. */
static int describe_inherited(int fd, struct listener *l, char *err,
                              size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int listening = 0;
    socklen_t optlen = sizeof(listening);
    memset(l, 0, sizeof(*l));
    l->fd = fd;
    l->inherited = 1;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) < 0 ||
        !listening || getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        snprintf(err, errlen, "LISTEN_FDS: descriptor %d is not a listening "
                 "socket", fd);
        return -1;
    }
    l->family = ss.ss_family;
    if (ss.ss_family == AF_UNIX) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;
        memcpy(l->path, sun->sun_path, sizeof(l->path) - 1);
        snprintf(l->name, sizeof(l->name), "unix:%s", l->path);
        return 0;
    }
    char host[ADDR_TEXT_MAX];
    addr_text((const struct sockaddr *)&ss, host, sizeof(host), &l->port);
    snprintf(l->name, sizeof(l->name),
             ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, l->port);
    return 0;
}

int listen_inherit(struct listener **out, int *n, char *err, size_t errlen)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    int count = fds ? atoi(fds) : 0;
    *out = NULL;
    *n = 0;
    if (!pid || atol(pid) != (long)getpid() || count <= 0) return 0;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    *out = calloc((size_t)count, sizeof(**out));
    if (!*out) abort();
    for (int i = 0; i < count; i++) {
        int fd = 3 + i;
        if (describe_inherited(fd, &(*out)[i], err, errlen) < 0) return -1;
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        (*n)++;
    }
    return 0;
}

void listen_close_all(struct listener *ls, int n, int remove_files)
{
    for (int i = 0; i < n; i++) {
        if (ls[i].fd >= 0) close(ls[i].fd);
        ls[i].fd = -1;
        if (remove_files && ls[i].family == AF_UNIX && !ls[i].inherited)
            unlink(ls[i].path);
    }
}

int listen_open_all(const struct settings *s, struct listener **out, int *n,
                    int *inherited, char *err, size_t errlen)
{
    struct listen_spec *specs = NULL;
    int nspecs = 0;
    *n = 0;
    *inherited = 0;
    if (listen_inherit(out, n, err, errlen) < 0) return -1;
    if (*n > 0) {
        *inherited = 1;
        return 0;
    }
    free(*out);
    if (listen_specs(s, &specs, &nspecs, err, errlen) < 0) {
        free(specs);
        *out = NULL;
        return -1;
    }
    *out = calloc((size_t)(nspecs ? nspecs : 1), sizeof(**out));
    if (!*out) abort();
    for (int i = 0; i < nspecs; i++) {
        char why[TINE_ERR_MAX];
        if (listen_open(&specs[i], &(*out)[i], why, sizeof(why)) < 0) {
            snprintf(err, errlen, "cannot listen on %s", why);
            listen_close_all(*out, *n, 1);
            free(specs);
            return -1;
        }
        (*n)++;
    }
    free(specs);
    return 0;
}
