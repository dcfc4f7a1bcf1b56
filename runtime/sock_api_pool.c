/* sock_api_pool.c: keep-alive for tine.tcp() sockets. A socket put in a
 * pool goes there whole (its events stay registered) and the object gets
 * a spare closed socket in its place; connect takes a pooled one back the
 * same way. Timeouts belong to the object, so they move with it. */
#include <lauxlib.h>
#include <string.h>

#include "sock_api_int.h"
#include "sock_pool.h"

#define DEFAULT_POOL_SIZE 30
#define DEFAULT_IDLE_SECONDS 60.0

/* Make s ls's socket, with ls's timeouts; returns the one it had. */
static struct sock *swap_in(struct lsock *ls, struct sock *s)
{
    struct sock *old = ls->s;
    memcpy(s->timeout, old->timeout, sizeof(s->timeout));
    s->arg = ls;
    ls->s = s;
    return old;
}

int sock_api_from_pool(struct lsock *ls)
{
    struct sock_pool *pools = ls->api->pools;
    struct sock *s = pools ? sock_pool_get(pools, ls->pool, &ls->reused)
                           : NULL;
    if (!s) return 0;
    sock_api_give_sock(ls->api, swap_in(ls, s));
    return 1;
}

/* sock:setkeepalive([idle_ms [, size]]): into the pool instead of closed. */
int sock_api_setkeepalive(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    struct sock_api *api = ls->api;
    double idle = DEFAULT_IDLE_SECONDS;
    int size = (int)luaL_optinteger(L, 3, DEFAULT_POOL_SIZE);
    sock_api_ms(L, 2, &idle);
    if (ls->waiting != WAIT_NONE) return sock_api_fail(L, "socket busy");
    if (ls->s->fd < 0) return sock_api_fail(L, "closed");
    if (ls->s->tls) {  /* TLS connections are not pooled: closed */
        sock_close(ls->s);
        lua_pushinteger(L, 1);
        return 1;
    }
    if (!sock_idle(ls->s)) {
        sock_close(ls->s);
        return sock_api_fail(L, "unread data in buffer");
    }
    if (!api->pools) api->pools = sock_pool_new(api->base);
    struct sock *fresh = api->pools ? sock_api_take_sock(api, ls) : NULL;
    if (!fresh) {
        sock_close(ls->s);
        return sock_api_fail(L, "out of memory");
    }
    if (sock_pool_put(api->pools, ls->pool, swap_in(ls, fresh), idle,
                      size > 0 ? size : 1, ls->reused) < 0)
        return sock_api_fail(L, "out of memory");
    lua_pushinteger(L, 1);
    return 1;
}

int sock_api_getreusedtimes(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    if (ls->s->fd < 0) return sock_api_fail(L, "closed");
    lua_pushinteger(L, ls->reused);
    return 1;
}
