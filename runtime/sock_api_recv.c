/* sock_api_recv.c: receiving on a tine.tcp() socket: receive by "*l",
 * "*a" or a byte count, and receiveuntil's iterator. */
#include <lauxlib.h>
#include <string.h>

#include "scheduler.h"
#include "sock_api_int.h"

/* receiveuntil's iterator state: its pattern and its delimiter's bytes. */
struct until_state {
    struct recv_pattern pattern;
    char delim[];
};

int sock_api_push_received(lua_State *L, struct lsock *ls,
                         struct recv_pattern *p, enum sock_err err)
{
    struct sock *s = ls->s;
    if (err == SOCK_ERR_NONE && s->cut.end) {
        lua_pushnil(L);
        return 1;
    }
    if (err != SOCK_ERR_NONE) {
        sock_api_push_err(L, ls, err);
        lua_pushlstring(L, bytebuf_head(&s->in), bytebuf_len(&s->in));
        bytebuf_consume(&s->in, bytebuf_len(&s->in));
        if (err != SOCK_ERR_TIMEOUT) sock_close(s);
        return 3;
    }
    const char *data = bytebuf_head(&s->in);
    if (p->kind == RECV_LINE) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (size_t i = 0; i < s->cut.data; i++)
            if (data[i] != '\r') luaL_addchar(&b, data[i]);
        luaL_pushresult(&b);
    } else {
        lua_pushlstring(L, data, s->cut.data);
    }
    bytebuf_consume(&s->in, s->cut.consume);
    if (p->kind == RECV_ALL) sock_close(s);  /* read to the end */
    return 1;
}

/* Receive by pattern p: the results now, or a wait. */
static int receive_with(lua_State *L, struct lsock *ls,
                        struct recv_pattern *p)
{
    enum sock_err err = SOCK_ERR_NONE;
    sock_api_need_task(L, ls);
    switch (sock_receive(ls->s, p, &err)) {
    case SOCK_DONE: return sock_api_push_received(L, ls, p, SOCK_ERR_NONE);
    case SOCK_PENDING:
        ls->receiving = p;
        return sock_api_wait(L, ls, WAIT_RECEIVE);
    default: return sock_api_push_received(L, ls, p, err);
    }
}

/* sock:receive([pattern]): "*l" (default), "*a" or a byte count. */
int sock_api_receive(lua_State *L)
{
    struct lsock *ls = sock_api_check(L);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Number n = lua_tonumber(L, 2);
        luaL_argcheck(L, n >= 0 && n < 1e15, 2, "bad size");
        if (n == 0) {
            lua_pushliteral(L, "");
            return 1;
        }
        recv_pattern_init(&ls->pattern, RECV_SIZE, (size_t)n, NULL, 0, 0);
    } else {
        const char *pat = luaL_optstring(L, 2, "*l");
        if (strcmp(pat, "*l") == 0 || strcmp(pat, "l") == 0)
            recv_pattern_init(&ls->pattern, RECV_LINE, 0, NULL, 0, 0);
        else if (strcmp(pat, "*a") == 0 || strcmp(pat, "a") == 0)
            recv_pattern_init(&ls->pattern, RECV_ALL, 0, NULL, 0, 0);
        else
            return luaL_argerror(L, 2, "bad pattern");
    }
    return receive_with(L, ls, &ls->pattern);
}

/* The iterator of receiveuntil: reader([size]). */
static int until_reader(lua_State *L)
{
    struct lsock *ls = luaL_checkudata(L, lua_upvalueindex(1), SOCK_MT);
    struct until_state *u = lua_touserdata(L, lua_upvalueindex(2));
    lua_Number size = luaL_optnumber(L, 1, 0);
    luaL_argcheck(L, size >= 0 && size < 1e15, 1, "bad size");
    u->pattern.size = (size_t)size;
    return receive_with(L, ls, &u->pattern);
}

/* sock:receiveuntil(pattern [, {inclusive = true}]): an iterator. */
int sock_api_receiveuntil(lua_State *L)
{
    size_t dlen;
    sock_api_check(L);
    const char *delim = luaL_checklstring(L, 2, &dlen);
    luaL_argcheck(L, dlen > 0, 2, "pattern is empty");
    int inclusive = 0;
    if (lua_type(L, 3) == LUA_TTABLE) {
        lua_getfield(L, 3, "inclusive");
        inclusive = lua_toboolean(L, -1);
        lua_pop(L, 1);  /* opts.inclusive */
    }
    lua_pushvalue(L, 1);  /* the socket, upvalue 1 */
    struct until_state *u = lua_newuserdata(L, sizeof(*u) + dlen);
    memcpy(u->delim, delim, dlen);
    recv_pattern_init(&u->pattern, RECV_UNTIL, 0, u->delim, dlen, inclusive);
    lua_pushcclosure(L, until_reader, 2);
    return 1;
}

