/* resolve.h: host names to addresses on a child's loop without blocking,
 * with libevent's own resolver (evdns): /etc/hosts first, then the
 * nameservers of /etc/resolv.conf, or the ones the Resolver setting
 * names. */
#ifndef TINE_RESOLVE_H
#define TINE_RESOLVE_H

#include <stddef.h>

struct event_base;
struct addrinfo;
struct resolver;

/* A lookup has ended: err is NULL and ai the addresses (freed after the
 * call returns), or err is a short message ("no such host", ...). */
typedef void (*resolve_done_fn)(void *arg, const char *err,
                                const struct addrinfo *ai);

/* A resolver on base using nameservers[0..n) ("127.0.0.1", "[::1]:5353")
 * or, with n == 0, /etc/resolv.conf. NULL and err if it cannot be set up. */
struct resolver *resolver_new(struct event_base *base,
                              char *const *nameservers, int n,
                              char *err, size_t errlen);

/* Free r; lookups under way are dropped without a call to their done. */
void resolver_free(struct resolver *r);

/* Look name up (IPv4 and IPv6, TCP). done runs exactly once: possibly
 * before this returns (a numeric address, /etc/hosts, or an error), else
 * from the loop. Returns 1 if it already ran, 0 if it will. */
int resolve_start(struct resolver *r, const char *name, resolve_done_fn done,
                  void *arg);

#endif
