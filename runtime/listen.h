/* listen.h: listener addresses ("host:port", "[v6]:port", "unix:/path"),
 * binding them once in the master, and closing them at exit. */
#ifndef TINE_LISTEN_H
#define TINE_LISTEN_H

#include <stddef.h>
#include <sys/un.h>

#include "settings.h"

struct listen_spec {
    int family;                 /* AF_INET, AF_INET6 or AF_UNIX */
    char host[256];             /* numeric or a name; empty for AF_UNIX */
    int port;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int tls;                    /* "tls:host:port", or the Port listener
                                 * when TLSCertificate is set */
};

struct listener {
    int fd;
    int family;
    int port;                   /* the bound port; 0 for AF_UNIX */
    char name[300];             /* for the log: "127.0.0.1:10000" */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int inherited;              /* from the service manager: not ours to
                                 * remove */
    int tls;                    /* its connections speak TLS */
};

/* Parse one Listen entry ("tls:" before host:port for a TLS one); 0, or
 * -1 with err. */
int listen_parse(const char *text, struct listen_spec *out, char *err,
                 size_t errlen);

/* Can only this host reach spec: a unix socket, "localhost", or a
 * loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104)? */
int listen_is_local(const struct listen_spec *spec);

/* The specs the settings ask for: Address:Port (unless Port is 0), then
 * each Listen entry. *out is malloc'd. 0, or -1 with err naming the
 * setting. */
int listen_specs(const struct settings *s, struct listen_spec **out, int *n,
                 char *err, size_t errlen);

/* Bind and listen (nonblocking, close-on-exec). A unix socket file left
 * over by an earlier run is replaced; a live one is "in use". 0 or -1. */
int listen_open(const struct listen_spec *spec, struct listener *out,
                char *err, size_t errlen);

/* The listening sockets a service manager handed over (LISTEN_FDS and
 * LISTEN_PID naming this process, from descriptor 3 on), made nonblocking
 * and close-on-exec; the variables are removed. *out is malloc'd (NULL and
 * *n = 0 when none were handed over). 0, or -1 with err if a handed-over
 * descriptor is not a listening stream socket. */
int listen_inherit(struct listener **out, int *n, char *err, size_t errlen);

/* Every listener the server uses: the service manager's sockets if it
 * handed any over (*inherited = 1), else those the settings ask for,
 * bound now. *out is malloc'd (freed by the caller in every case). 0, or
 * -1 with err; on failure the ones bound so far are closed. */
int listen_open_all(const struct settings *s, struct listener **out, int *n,
                    int *inherited, char *err, size_t errlen);

/* Close every listener; remove unix socket files when remove_files. */
void listen_close_all(struct listener *ls, int n, int remove_files);

#endif
