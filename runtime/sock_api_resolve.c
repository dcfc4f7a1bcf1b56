/* sock_api_resolve.c: tine.resolve(name): the addresses of a name,
 * looked up with evdns without blocking (the running task waits). */
#include <lauxlib.h>
#include <lua.h>
#include <netdb.h>
#include <string.h>

#include "resolve.h"
#include "scheduler.h"
#include "sock_api_int.h"
#include "tine_err.h"

/* A tine.resolve() in flight, kept on the waiting task's stack. */
struct lookup {
    struct sock_api *api;
    struct sched_task *waiter;   /* NULL while resolve_start runs */
    lua_State *L;                /* where an answer at once goes */
    int pushed;                  /* results pushed at once */
};

/* Push the addresses of a lookup as a list of strings, or nil, err. */
static int push_addresses(lua_State *L, const char *err,
                          const struct addrinfo *ai)
{
    if (err) return sock_api_fail(L, err);
    lua_newtable(L);
    for (int i = 1; ai; ai = ai->ai_next) {
        char host[INET6_ADDRSTRLEN];
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
                        NULL, 0, NI_NUMERICHOST) != 0)
            continue;
        lua_pushstring(L, host);
        lua_rawseti(L, -2, i++);
    }
    return 1;
}

static void on_lookup(void *arg, const char *err, const struct addrinfo *ai)
{
    struct lookup *q = arg;
    if (!q->waiter) {
        q->pushed = push_addresses(q->L, err, ai);
        return;
    }
    int n = push_addresses(sched_thread(q->waiter), err, ai);
    sched_resume(q->api->sched, q->waiter, n);
}

/* tine.resolve(name): a list of addresses, or nil, err. */
int sock_api_resolve(lua_State *L)
{
    struct sock_api *api = lua_touserdata(L, lua_upvalueindex(1));
    const char *name = luaL_checkstring(L, 1);
    char err[TINE_ERR_MAX];
    struct resolver *r = sock_api_resolver(api, err, sizeof(err));
    if (!r) return sock_api_fail(L, err);
    struct lookup *q = lua_newuserdata(L, sizeof(*q));
    memset(q, 0, sizeof(*q));
    q->api = api;
    q->L = L;
    if (resolve_start(r, name, on_lookup, q)) return q->pushed;
    q->waiter = sched_current(api->sched);
    if (!q->waiter)
        return luaL_error(L, "tine.resolve: a lookup that waits works only "
                             "inside a callback");
    return sched_wait(L);
}

