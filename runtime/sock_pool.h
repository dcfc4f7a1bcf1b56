/* sock_pool.h: a child's keep-alive pools for outgoing connections
 * (OpenResty's setkeepalive): idle connected descriptors by pool name
 * ("host:port" or the script's own), each closed after its idle time; one
 * whose peer closed it or sent anything while it idled is closed when it
 * would have been taken. */
#ifndef TINE_SOCK_POOL_H
#define TINE_SOCK_POOL_H

struct event_base;
struct sock_pool;

/* An empty set of pools on base; NULL if memory ran out. */
struct sock_pool *sock_pool_new(struct event_base *base);

/* Close every idle descriptor and free p. */
void sock_pool_free(struct sock_pool *p);

/* Keep fd (connected, nothing unread) in pool `name` for idle seconds,
 * with `reused` the times it was taken from a pool so far. A pool holds
 * at most `size` descriptors: putting one more closes its oldest.
 * Takes fd in every case (closed on failure); 0, or -1 if memory ran out. */
int sock_pool_put(struct sock_pool *p, const char *name, int fd, double idle,
                  int size, unsigned reused);

/* An idle descriptor of pool `name` (the most recently put that is still
 * good: nothing unread, its peer still there), or -1; *reused gets its
 * count, plus one. */
int sock_pool_get(struct sock_pool *p, const char *name, unsigned *reused);

/* Idle descriptors in pool `name`. */
int sock_pool_count(struct sock_pool *p, const char *name);

#endif
