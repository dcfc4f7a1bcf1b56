/* sock_api.h: tine.tcp() and tine.resolve() in Lua, OpenResty's cosocket
 * API over sock.c, resolve.c and sock_pool.c: a call that cannot finish
 * at once suspends its task (sched.c) until it can. */
#ifndef TINE_SOCK_API_H
#define TINE_SOCK_API_H

struct event_base;
struct lua_State;
struct ssl_ctx_st;
struct resolver;
struct sched;
struct sock;
struct sock_pool;

/* Closed sockets kept for reuse: a round trip through a keep-alive pool
 * swaps sockets with it, and each tine.tcp() object takes one. */
#define SOCK_API_SPARES 64

/* What the socket functions need, owned by the Lua host; the resolver and
 * the pools are made at first use. */
struct sock_api {
    struct sched *sched;
    struct event_base *base;
    char *const *nameservers;     /* the Resolver setting; none: resolv.conf */
    int nnameservers;
    struct resolver *resolver;
    struct sock_pool *pools;
    struct sock *spare[SOCK_API_SPARES];  /* closed, for the next tcp() */
    int nspare;
    int closed;                   /* sock_api_close ran: keep no spares */
    struct ssl_ctx_st *tls_client;  /* for sslhandshake, made on first use */
};

/* Add tcp and resolve to the table at the top of L's stack (the socket
 * metatable is made by the first tcp()). api must outlive the state. */
void sock_api_open(struct lua_State *L, struct sock_api *api);

/* Free the resolver, the pools (their idle connections close) and the
 * spare sockets; no spares are kept after. */
void sock_api_close(struct sock_api *api);

#endif
