/* sock_api.c: the socket object of tine.tcp(). Each method either
 * finishes at once or records the running task as the socket's waiter and
 * suspends it; sock.c's done callback (or the resolver's) pushes the
 * method's results on the task's thread and resumes it. */
#include "sock_api.h"

#include <arpa/inet.h>
#include <lauxlib.h>
#include <lua.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
#include <sys/un.h>

#include "resolve.h"
#include "scheduler.h"
#include "sock.h"
#include "sock_pool.h"
#include "sock_api_int.h"
#include "tine_err.h"

struct lsock *sock_api_check(lua_State *L)
{
    return luaL_checkudata(L, 1, SOCK_MT);
}

/* nil, err: a method's failure; returns 2. */
int sock_api_fail(lua_State *L, const char *err)
{
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
}

/* nil and the text of a socket error. */
int sock_api_push_err(lua_State *L, struct lsock *ls, enum sock_err err)
{
    char buf[128];
    return sock_api_fail(L, sock_error_text(ls->s, err, buf, sizeof(buf)));
}

/* The running task, which is about to wait on ls; errors outside one. */
void sock_api_need_task(lua_State *L, struct lsock *ls)
{
    if (!sched_current(ls->api->sched))
        luaL_error(L, "tine.tcp: sockets work only inside a callback, "
                      "not at the script's top level");
    if (ls->waiting != WAIT_NONE) luaL_error(L, "socket busy");
}

/* Suspend the running task until ls's operation ends. */
int sock_api_wait(lua_State *L, struct lsock *ls, enum waiting what)
{
    ls->waiter = sched_current(ls->api->sched);
    ls->waiting = what;
    return sched_wait(L);
}

/* The operation ls waited for has pushed n results on its task's thread:
 * resume the task. */
static void resume_waiter(struct lsock *ls, int n)
{
    struct sched_task *t = ls->waiter;
    ls->waiter = NULL;
    ls->waiting = WAIT_NONE;
    sched_resume(ls->api->sched, t, n);
}

/* sock.c reports the end of an operation ls waited for. */
static void on_sock_done(struct sock *s, enum sock_op op, enum sock_err err,
                         void *arg)
{
    struct lsock *ls = arg;
    lua_State *co = sched_thread(ls->waiter);
    int n = 1;
    (void)s;
    if (op == SOCK_OP_RECEIVE)
        n = sock_api_push_received(co, ls, ls->receiving, err);
    else if (op == SOCK_OP_HANDSHAKE && err == SOCK_ERR_NONE)
        n = sock_api_push_handshake(co, ls);
    else if (err != SOCK_ERR_NONE)
        n = sock_api_push_err(co, ls, err);
    else if (op == SOCK_OP_SEND)
        lua_pushnumber(co, (lua_Number)ls->sent);
    else
        lua_pushboolean(co, 1);
    resume_waiter(ls, n);
}

struct sock *sock_api_take_sock(struct sock_api *api, struct lsock *ls)
{
    struct sock *s = api->nspare > 0 ? api->spare[--api->nspare]
                                     : sock_new(api->base, on_sock_done, ls);
    if (s) s->arg = ls;
    return s;
}

void sock_api_give_sock(struct sock_api *api, struct sock *s)
{
    if (api->closed || api->nspare == SOCK_API_SPARES) return sock_free(s);
    sock_close(s);
    sock_set_timeouts(s, SOCK_DEFAULT_TIMEOUT, SOCK_DEFAULT_TIMEOUT,
                      SOCK_DEFAULT_TIMEOUT);
    api->spare[api->nspare++] = s;
}

struct resolver *sock_api_resolver(struct sock_api *api, char *err,
                                   size_t len)
{
    if (!api->resolver)
        api->resolver = resolver_new(api->base, api->nameservers,
                                     api->nnameservers, err, len);
    return api->resolver;
}

/* Connect to ls->addr: true now, a wait, or nil, err. */
static int start_connect(lua_State *L, struct lsock *ls)
{
    enum sock_err err;
    switch (sock_connect(ls->s, (struct sockaddr *)&ls->addr, ls->addrlen,
                         &err)) {
    case SOCK_DONE: lua_pushboolean(L, 1); return 1;
    case SOCK_PENDING: return sock_api_wait(L, ls, WAIT_CONNECT);
    default: return sock_api_push_err(L, ls, err);
    }
}

/* Keep the first address of a lookup, with the port to connect to. */
static void take_address(struct lsock *ls, const struct addrinfo *ai)
{
    memcpy(&ls->addr, ai->ai_addr, ai->ai_addrlen);
    ls->addrlen = ai->ai_addrlen;
    if (ai->ai_family == AF_INET6)
        ((struct sockaddr_in6 *)&ls->addr)->sin6_port = htons(ls->port);
    else
        ((struct sockaddr_in *)&ls->addr)->sin_port = htons(ls->port);
}

/* A lookup for connect has answered: at once (kept for connect to go on
 * with), or later (connect goes on from here). */
static void on_resolved(void *arg, const char *err, const struct addrinfo *ai)
{
    struct lsock *ls = arg;
    if (!err && ai) take_address(ls, ai);
    if (ls->resolving_now) {
        ls->resolve_err = err ? err : ai ? NULL : "no such host";
        return;
    }
    lua_State *co = sched_thread(ls->waiter);
    enum sock_err serr;
    if (err || !ai) return resume_waiter(ls, sock_api_fail(co, err ? err
                                                           : "no such host"));
    switch (sock_connect(ls->s, (struct sockaddr *)&ls->addr, ls->addrlen,
                         &serr)) {
    case SOCK_DONE: lua_pushboolean(co, 1); return resume_waiter(ls, 1);
    case SOCK_PENDING: ls->waiting = WAIT_CONNECT; return;
    default: return resume_waiter(ls, sock_api_push_err(co, ls, serr));
    }
}

/* Resolve host, then connect: at once for a numeric address. */
static int connect_host(lua_State *L, struct lsock *ls, const char *host)
{
    char err[TINE_ERR_MAX];
    struct resolver *r = sock_api_resolver(ls->api, err, sizeof(err));
    if (!r) return sock_api_fail(L, err);
    ls->resolving_now = 1;
    int ran = resolve_start(r, host, on_resolved, ls);
    ls->resolving_now = 0;
    if (!ran) return sock_api_wait(L, ls, WAIT_RESOLVE);
    if (ls->resolve_err) return sock_api_fail(L, ls->resolve_err);
    return start_connect(L, ls);
}

/* Fill ls->addr for "unix:/path"; 0, or -1 if the path is too long. */
static int unix_address(struct lsock *ls, const char *path)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&ls->addr;
    if (strlen(path) >= sizeof(un->sun_path)) return -1;
    memset(un, 0, sizeof(*un));
    un->sun_family = AF_UNIX;
    strcpy(un->sun_path, path);
    ls->addrlen = sizeof(*un);
    return 0;
}

/* ls->pool = "host:port", cut to fit as snprintf would, without
 * snprintf's cost on every connect. */
static void name_pool(struct lsock *ls, const char *host, int port)
{
    char digits[8];
    int n = 0;
    do digits[n++] = (char)('0' + port % 10); while ((port /= 10) > 0);
    size_t len = strlen(host), room = sizeof(ls->pool) - 1;
    if (len > room) len = room;
    memcpy(ls->pool, host, len);
    if (len < room) ls->pool[len++] = ':';
    while (n > 0 && len < room) ls->pool[len++] = digits[--n];
    ls->pool[len] = '\0';
}

/* sock:connect(host, port [, opts]) or sock:connect("unix:/path" [, opts]) */
static int sock_m_connect(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    const char *host = luaL_checkstring(L, 2);
    int is_unix = strncmp(host, "unix:", 5) == 0, opts = is_unix ? 3 : 4;
    sock_api_need_task(L, ls);
    if (!is_unix) ls->port = (int)luaL_checkinteger(L, 3);
    luaL_argcheck(L, is_unix || (ls->port > 0 && ls->port < 65536), 3,
                  "port out of range");
    if (lua_type(L, opts) == LUA_TTABLE)
        lua_getfield(L, opts, "pool");
    else
        lua_pushnil(L);
    if (lua_isstring(L, -1))
        snprintf(ls->pool, sizeof(ls->pool), "%s", lua_tostring(L, -1));
    else if (is_unix)
        snprintf(ls->pool, sizeof(ls->pool), "%s", host);
    else
        name_pool(ls, host, ls->port);
    lua_pop(L, 1);  /* opts.pool */
    sock_close(ls->s);
    if (sock_api_from_pool(ls)) {
        lua_pushboolean(L, 1);
        return 1;
    }
    ls->reused = 0;
    if (!is_unix) return connect_host(L, ls, host);
    if (unix_address(ls, host + 5) < 0) return sock_api_fail(L, "path too long");
    return start_connect(L, ls);
}

/* Bytes in the value at idx (a string, a number, or an array table of
 * them, nested); raises OpenResty's error for anything else. */
static size_t data_len(lua_State *L, int idx, int depth)
{
    int type = lua_type(L, idx);
    size_t len = 0;
    if (type == LUA_TSTRING || type == LUA_TNUMBER) {
        lua_tolstring(L, idx, &len);
        return len;
    }
    if (type != LUA_TTABLE || depth > 100)
        luaL_error(L, "bad argument #1 to 'send' (bad data type %s found)",
                   lua_typename(L, type));
    int n = (int)lua_objlen(L, idx);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        len += data_len(L, lua_gettop(L), depth + 1);
        lua_pop(L, 1);  /* the element */
    }
    return len;
}

/* Append the bytes of the value at idx (checked by data_len) to out. */
static void data_append(lua_State *L, int idx, struct bytebuf *out)
{
    if (lua_type(L, idx) != LUA_TTABLE) {
        size_t len;
        const char *p = lua_tolstring(L, idx, &len);
        bytebuf_append(out, p, len);  /* room was reserved */
        return;
    }
    int n = (int)lua_objlen(L, idx);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        data_append(L, lua_gettop(L), out);
        lua_pop(L, 1);  /* the element */
    }
}

/* sock:send(data): bytes sent, once all are out; or nil, err. */
static int sock_m_send(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    enum sock_err err;
    sock_api_need_task(L, ls);
    luaL_checkany(L, 2);
    size_t len = data_len(L, 2, 0);
    if (ls->s->fd < 0) return sock_api_fail(L, "closed");
    if (!bytebuf_reserve(&ls->s->out, len)) return sock_api_fail(L, "no memory");
    data_append(L, 2, &ls->s->out);
    ls->sent = len;
    switch (sock_send(ls->s, "", 0, &err)) {
    case SOCK_DONE: lua_pushnumber(L, (lua_Number)len); return 1;
    case SOCK_PENDING: return sock_api_wait(L, ls, WAIT_SEND);
    default: return sock_api_push_err(L, ls, err);
    }
}

void sock_api_ms(lua_State *L, int idx, double *t)
{
    if (lua_isnoneornil(L, idx)) return;
    lua_Number ms = luaL_checknumber(L, idx);
    luaL_argcheck(L, ms >= 0 && ms == ms && ms < 1e12, idx, "bad timeout");
    *t = ms > 0 ? ms / 1000.0 : SOCK_DEFAULT_TIMEOUT;
}

static int sock_m_settimeout(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    double t = ls->s->timeout[0];
    sock_api_ms(L, 2, &t);
    sock_set_timeouts(ls->s, t, t, t);
    return 0;
}

static int sock_m_settimeouts(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    double *t = ls->s->timeout;
    sock_api_ms(L, 2, &t[0]);
    sock_api_ms(L, 3, &t[1]);
    sock_api_ms(L, 4, &t[2]);
    return 0;
}

static int sock_m_close(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    if (ls->waiting != WAIT_NONE) return sock_api_fail(L, "socket busy");
    if (ls->s->fd < 0) return sock_api_fail(L, "closed");
    sock_close(ls->s);
    lua_pushinteger(L, 1);
    return 1;
}

/* Collected: the connection goes with it (the socket kept as a spare). */
static int sock_m_gc(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    sock_api_give_sock(ls->api, ls->s);
    ls->s = NULL;
    return 0;
}

void sock_api_push_metatable(lua_State *L, const char *name,
                             void (*build)(lua_State *L))
{
    luaL_getmetatable(L, name);
    if (!lua_isnil(L, -1)) return;
    lua_pop(L, 1);
    lua_newtable(L);
    build(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, name);
}

/* Fill the socket metatable at the top of the stack: made by the first
 * tine.tcp() of the state, so a state that makes no socket does not hold
 * its methods. */
static void build_sock_mt(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"connect", sock_m_connect},
        {"send", sock_m_send},
        {"receive", sock_api_receive},
        {"receiveuntil", sock_api_receiveuntil},
        {"settimeout", sock_m_settimeout},
        {"settimeouts", sock_m_settimeouts},
        {"setkeepalive", sock_api_setkeepalive},
        {"getreusedtimes", sock_api_getreusedtimes},
        {"close", sock_m_close},
        {"sslhandshake", sock_api_sslhandshake},
        {NULL, NULL}};
    lua_newtable(L);
    luaL_register(L, NULL, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, sock_m_gc);
    lua_setfield(L, -2, "__gc");
}

/* tine.tcp(): a new, unconnected socket. Everything that can raise an
 * error (memory) is made before the socket is taken, so none leaks. */
static int api_tcp(lua_State *L)
{
    struct sock_api *api = lua_touserdata(L, lua_upvalueindex(1));
    sock_api_push_metatable(L, SOCK_MT, build_sock_mt);
    struct lsock *ls = lua_newuserdata(L, sizeof(*ls));
    memset(ls, 0, sizeof(*ls));
    ls->api = api;
    ls->s = sock_api_take_sock(api, ls);
    if (!ls->s) return luaL_error(L, "tine.tcp: out of memory");
    lua_insert(L, -2);  /* the metatable, on top */
    lua_setmetatable(L, -2);
    return 1;
}

void sock_api_open(lua_State *L, struct sock_api *api)
{
    lua_pushlightuserdata(L, api);
    lua_pushcclosure(L, api_tcp, 1);
    lua_setfield(L, -2, "tcp");
    lua_pushlightuserdata(L, api);
    lua_pushcclosure(L, sock_api_resolve, 1);
    lua_setfield(L, -2, "resolve");
}

void sock_api_close(struct sock_api *api)
{
    resolver_free(api->resolver);
    sock_pool_free(api->pools);
    while (api->nspare > 0) sock_free(api->spare[--api->nspare]);
    api->closed = 1;
    SSL_CTX_free(api->tls_client);
    api->tls_client = NULL;
    api->resolver = NULL;
    api->pools = NULL;
}
