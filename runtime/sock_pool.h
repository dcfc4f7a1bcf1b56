/* sock_pool.h: a child's keep-alive pools for outgoing connections
 * (OpenResty's setkeepalive): idle connected sockets by pool name
 * ("host:port" or the script's own), each closed after its idle time; one
 * whose peer closed it or sent anything while it idled is closed when it
 * would have been taken. */
#ifndef TINE_SOCK_POOL_H
#define TINE_SOCK_POOL_H

struct event_base;
struct sock;
struct sock_pool;

/* An empty set of pools on base; NULL if memory ran out. */
struct sock_pool *sock_pool_new(struct event_base *base);

/* Free every idle socket (closing it) and p. */
void sock_pool_free(struct sock_pool *p);

/* Keep s (sock_idle) in pool `name` for idle seconds, with `reused` the
 * times it was taken from a pool so far. A pool holds at most `size`
 * sockets: putting one more frees its oldest. Takes s in every case
 * (freed on failure); 0, or -1 if memory ran out. */
int sock_pool_put(struct sock_pool *p, const char *name, struct sock *s,
                  double idle, int size, unsigned reused);

/* An idle socket of pool `name` (the most recently put that is
 * sock_reusable; the others met on the way are freed), or NULL; *reused
 * gets its count, plus one. The caller owns it (its events still call
 * its done with its arg: set them). */
struct sock *sock_pool_get(struct sock_pool *p, const char *name,
                           unsigned *reused);

/* Idle sockets in pool `name`. */
int sock_pool_count(struct sock_pool *p, const char *name);

#endif
