/* sock_api_tls.c: sock:sslhandshake(reused_session, server_name,
 * ssl_verify), OpenResty's: TLS over a connected tine.tcp() socket,
 * waiting without blocking. Its result is the session (a userdata a later
 * handshake may resume), or true when reused_session is false. */
#include <lauxlib.h>
#include <openssl/ssl.h>

#include "sock_api_int.h"
#include "sock_tls.h"

#define SESSION_MT "tine.ssl_session"

static int session_gc(lua_State *L)
{
    SSL_SESSION **slot = luaL_checkudata(L, 1, SESSION_MT);
    if (*slot) SSL_SESSION_free(*slot);
    *slot = NULL;
    return 0;
}

/* Fill the session metatable at the top of the stack. */
static void build_session_mt(lua_State *L)
{
    lua_pushcfunction(L, session_gc);
    lua_setfield(L, -2, "__gc");
}

int sock_api_push_handshake(lua_State *L, struct lsock *ls)
{
    if (!ls->want_session) {
        lua_pushboolean(L, 1);
        return 1;
    }
    /* Everything that can raise a memory error first, so the session
     * taken is never left without its __gc. */
    sock_api_push_metatable(L, SESSION_MT, build_session_mt);
    SSL_SESSION **slot = lua_newuserdata(L, sizeof(*slot));
    *slot = sock_tls_session(ls->s);
    lua_insert(L, -2);  /* the metatable, on top */
    lua_setmetatable(L, -2);
    return 1;
}

/* The session at idx to resume, or NULL (nil, false, none). */
static SSL_SESSION *reused_at(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx) || lua_isboolean(L, idx)) return NULL;
    SSL_SESSION **slot = luaL_checkudata(L, idx, SESSION_MT);
    return *slot;
}

int sock_api_sslhandshake(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    enum sock_err err;
    sock_api_need_task(L, ls);
    SSL_SESSION *reuse = reused_at(L, 2);
    const char *name = luaL_optstring(L, 3, NULL);
    int verify = lua_toboolean(L, 4);
    ls->want_session = !(lua_isboolean(L, 2) && !lua_toboolean(L, 2));
    if (!ls->api->tls_client) ls->api->tls_client = sock_tls_context();
    if (!ls->api->tls_client) return sock_api_fail(L, "no TLS context");
    switch (sock_handshake(ls->s, ls->api->tls_client, name, verify, reuse,
                           &err)) {
    case SOCK_DONE: return sock_api_push_handshake(L, ls);
    case SOCK_PENDING: return sock_api_wait(L, ls, WAIT_HANDSHAKE);
    default: return sock_api_push_err(L, ls, err);
    }
}
