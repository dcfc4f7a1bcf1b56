/* lua_boundary.c: what one request costs at the Lua/C boundary, the way a
 * child makes it: C calls the script's handler with the client and the
 * input line, and the handler writes the line back with "\n".
 *
 *   capi   the line pushed as a Lua string; client:write through the C
 *          API (a lua_CFunction that finds the connection as lua_api.c's
 *          check_client does: a handle userdata under a light key, its
 *          metatable checked) appending to a bytebuf
 *   ffi    the line pushed as a Lua string; the write a LuaJIT FFI call
 *          into the same bytebuf (the handle read with ffi.cast)
 *   ffiptr no Lua string: the line passed as pointer and length, written
 *          by the FFI call from the pointer
 *
 * Prints ns per request for each, the median of ROUNDS runs of N requests,
 * and each against capi. Usage: lua_boundary [N [ROUNDS]]. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bytebuf.h"

static char handle_key;
static struct bytebuf out;

/* The C side's write, for both ways: append, and start over now and then
 * as a flush would. */
__attribute__((visibility("default"))) int bench_write(struct bytebuf *b,
                                                       const char *s,
                                                       size_t len)
{
    if (bytebuf_len(b) > 65536) bytebuf_consume(b, bytebuf_len(b));
    return bytebuf_append(b, s, len);
}

/* client:write(...) through the C API, finding its buffer as lua_api.c's
 * check_client finds its connection. */
static int client_write(lua_State *L)
{
    struct bytebuf *b = NULL;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushlightuserdata(L, &handle_key);
    lua_rawget(L, 1);
    if (lua_getmetatable(L, -1)) {
        if (lua_rawequal(L, -1, lua_upvalueindex(1)))
            b = *(struct bytebuf **)lua_touserdata(L, -2);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    int n = lua_gettop(L);
    for (int i = 2; i <= n; i++)
        if (!lua_isstring(L, i)) luaL_argerror(L, i, "string expected");
    if (!b) return 0;
    for (int i = 2; i <= n; i++) {
        size_t len;
        const char *s = lua_tolstring(L, i, &len);
        bench_write(b, s, len);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static const char script[] =
    "local ffi = require 'ffi'\n"
    "ffi.cdef[[int bench_write(void *b, const char *s, size_t len);]]\n"
    "local C, cast = ffi.C, ffi.cast\n"
    "local client, handle = ...\n"
    "local buf = cast('void **', handle)[0]\n"
    "local function fwrite(self, s) C.bench_write(buf, s, #s)\n"
    "  C.bench_write(buf, '\\n', 1) return true end\n"
    "return function(c, line) c:write(line, '\\n') end,\n"
    "       function(c, line) fwrite(c, line) end,\n"
    "       function(c, p, n) C.bench_write(buf, cast('const char *', p), n)\n"
    "         C.bench_write(buf, '\\n', 1) end\n";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* n requests to the handler at registry ref: ns per request. */
static double run(lua_State *L, int ref, int client, int as_pointer, long n)
{
    static const char line[] = "0000042 0000017 abcdefghijklmnop";
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        lua_rawgeti(L, LUA_REGISTRYINDEX, client);
        if (as_pointer) {
            lua_pushlightuserdata(L, (void *)line);
            lua_pushinteger(L, (lua_Integer)sizeof(line) - 1);
        } else {
            lua_pushlstring(L, line, sizeof(line) - 1);
        }
        if (lua_pcall(L, 2 + as_pointer, 0, 0) != 0) {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            exit(1);
        }
    }
    return (now_ns() - t0) / (double)n;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    struct bytebuf *b = &out;
    /* the client: a table with the handle under a light key */
    lua_newtable(L);
    lua_newtable(L);  /* the handle's metatable */
    int mt = lua_gettop(L);
    lua_newtable(L);
    lua_pushvalue(L, mt);
    lua_pushcclosure(L, client_write, 1);
    lua_setfield(L, -2, "write");
    lua_newtable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -3);  /* the client's metatable */
    struct bytebuf **slot = lua_newuserdata(L, sizeof(*slot));
    *slot = b;
    lua_pushvalue(L, mt);
    lua_setmetatable(L, -2);
    lua_pushlightuserdata(L, &handle_key);
    lua_pushvalue(L, -2);
    lua_rawset(L, mt - 1);
    int handle = lua_gettop(L);
    if (luaL_loadstring(L, script) != 0) return 1;
    lua_pushvalue(L, mt - 1);
    lua_pushvalue(L, handle);
    if (lua_pcall(L, 2, 3, 0) != 0) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        return 1;
    }
    int refs[3];
    for (int i = 2; i >= 0; i--) refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, mt - 1);
    int client = luaL_ref(L, LUA_REGISTRYINDEX);
    static const char *names[] = {"capi", "ffi", "ffiptr"};
    double med[3];
    printf("%ld requests per round, %d rounds, median ns per request\n", n,
           rounds);
    for (int w = 0; w < 3; w++) {
        double t[64];
        run(L, refs[w], client, w == 2, n / 10);  /* warm up, JIT */
        for (int r = 0; r < rounds && r < 64; r++)
            t[r] = run(L, refs[w], client, w == 2, n);
        qsort(t, (size_t)rounds, sizeof(t[0]), by_value);
        med[w] = t[rounds / 2];
        printf("%-7s %7.1f ns/request  %.2f x capi's time\n", names[w],
               med[w], med[w] / med[0]);
    }
    lua_close(L);
    bytebuf_free(b);
    return 0;
}
