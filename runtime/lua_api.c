/* lua_api.c: the tine module's C functions and the client object.
 *
 * A client is a plain table (so scripts can keep fields on it) whose
 * metatable holds the methods. It reaches its connection through a full
 * userdata stored under a key only C uses; the userdata's pointer is
 * cleared when the connection ends, so a client kept by the script is
 * always safe to call. */
#include "lua_api.h"

#include <event2/event.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "callback.h"
#include "child.h"
#include "clock.h"
#include "conn.h"
#include "log.h"
#include "lua_host.h"
#include "http_src.h"
#include "ngx_src.h"
#include "prelude_bc.h"
#include "scheduler.h"
#include "shdict_api.h"
#include "sock_api.h"
#include "timer_api.h"
#include "tine_err.h"

#define CLIENT_MT "tine.client"
#define HANDLE_MT "tine.client_handle"

static const char handle_key;  /* its address keys the handle in a client */

static struct lua_host *host_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* The child, or an error naming fn when called in the master. */
static struct child *need_child(lua_State *L, const char *fn)
{
    struct child *ch = host_of(L)->env.child;
    if (!ch) luaL_error(L, "tine.%s() works only in a child", fn);
    return ch;
}

/* The connection behind the client at index 1; NULL once it has ended.
 * The client methods carry the handle metatable as upvalue 2, so telling
 * a real handle from anything else needs no lookup by name. */
static struct conn *check_client(lua_State *L)
{
    struct conn *c = NULL;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushlightuserdata(L, (void *)&handle_key);
    lua_rawget(L, 1);
    if (lua_getmetatable(L, -1)) {
        if (lua_rawequal(L, -1, lua_upvalueindex(2)))
            c = *(struct conn **)lua_touserdata(L, -2);
        lua_pop(L, 1);  /* metatable */
    }
    lua_pop(L, 1);  /* handle */
    return c;
}

/* client:write(...): queue strings and numbers, in order. */
static int client_write(lua_State *L)
{
    struct conn *c = check_client(L);
    int n = lua_gettop(L);
    for (int i = 2; i <= n; i++)
        if (!lua_isstring(L, i))  /* strings and numbers */
            luaL_argerror(L, i, lua_pushfstring(L, "string expected, got %s",
                                                luaL_typename(L, i)));
    if (!c || conn_write_check(c) < 0) {
        lua_pushnil(L);
        lua_pushliteral(L, "closed");
        return 2;
    }
    for (int i = 2; i <= n; i++) {  /* one write, however many pieces */
        size_t len;
        const char *s = lua_tolstring(L, i, &len);
        conn_write(c, s, len);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int client_close(lua_State *L)
{
    struct conn *c = check_client(L);
    if (c) conn_close(c, "closed");
    return 0;
}

static int client_pause(lua_State *L)
{
    struct conn *c = check_client(L);
    if (c) conn_set_paused(c, 1);
    return 0;
}

static int client_resume(lua_State *L)
{
    struct conn *c = check_client(L);
    if (c) conn_set_paused(c, 0);
    return 0;
}

static int client_tostring(lua_State *L)
{
    lua_getfield(L, 1, "id");
    lua_getfield(L, 1, "remote_ip");
    lua_getfield(L, 1, "remote_port");
    lua_pushfstring(L, "client %s (%s:%s)", lua_tostring(L, -3),
                    lua_tostring(L, -2), lua_tostring(L, -1));
    return 1;
}

int api_client_new(struct lua_host *h, struct conn *c)
{
    lua_State *L = h->L;
    lua_createtable(L, 0, 6);
    luaL_getmetatable(L, CLIENT_MT);
    lua_setmetatable(L, -2);
    lua_pushlightuserdata(L, (void *)&handle_key);
    struct conn **slot = lua_newuserdata(L, sizeof(*slot));
    *slot = c;
    luaL_getmetatable(L, HANDLE_MT);
    lua_setmetatable(L, -2);
    lua_rawset(L, -3);  /* client[handle_key] = handle */
    lua_pushnumber(L, (lua_Number)c->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, c->remote_ip);
    lua_setfield(L, -2, "remote_ip");
    lua_pushinteger(L, c->remote_port);
    lua_setfield(L, -2, "remote_port");
    lua_pushinteger(L, c->local_port);
    lua_setfield(L, -2, "local_port");
    return luaL_ref(L, LUA_REGISTRYINDEX);  /* pops the client */
}

void api_client_push(struct lua_host *h, int ref)
{
    lua_rawgeti(h->L, LUA_REGISTRYINDEX, ref);
}

enum sched_result api_call_client(struct lua_host *h, int cb, int client_ref,
                                  unsigned long id, const char *arg,
                                  size_t len, sched_done_fn done, void *owner)
{
    lua_State *L = h->L;
    char err[TINE_ERR_MAX];
    if (!host_push_callback(h, cb)) return SCHED_DONE;
    api_client_push(h, client_ref);
    if (arg) lua_pushlstring(L, arg, len);
    enum sched_result r = sched_call(&h->sched, L, cb, arg ? 2 : 1, done,
                                     owner, err, sizeof(err));
    if (r == SCHED_FAILED)
        log_error("%s failed for client %lu: %s", callback_name(cb), id, err);
    return r;
}

void api_client_detach(struct lua_host *h, int ref)
{
    lua_State *L = h->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushlightuserdata(L, (void *)&handle_key);
    lua_rawget(L, -2);
    struct conn **slot = lua_touserdata(L, -1);
    if (slot) *slot = NULL;
    lua_pop(L, 2);  /* handle, client */
}

void api_client_release(struct lua_host *h, int ref)
{
    luaL_unref(h->L, LUA_REGISTRYINDEX, ref);
}

static int tine_shutdown(lua_State *L)
{
    child_request_shutdown(need_child(L, "shutdown"));
    return 0;
}

static int tine_recycle(lua_State *L)
{
    child_request_recycle(need_child(L, "recycle"));
    return 0;
}

static int tine_pause(lua_State *L)
{
    child_set_script_paused(need_child(L, "pause"), 1);
    return 0;
}

static int tine_resume(lua_State *L)
{
    child_set_script_paused(need_child(L, "resume"), 0);
    return 0;
}

static int tine_connections(lua_State *L)
{
    lua_pushinteger(L, child_connections(need_child(L, "connections")));
    return 1;
}

/* tine.stopping(): has this child been told to stop? */
static int tine_stopping(lua_State *L)
{
    struct child *ch = host_of(L)->env.child;
    lua_pushboolean(L, ch && child_is_stopping(ch));
    return 1;
}

/* tine.log(level, message) */
static int tine_log(lua_State *L)
{
    size_t len;
    const char *name = luaL_checkstring(L, 1);
    const char *msg = luaL_checklstring(L, 2, &len);
    int level = log_level_from_name(name);
    if (level < 0)
        return luaL_argerror(L, 1, "expected \"error\", \"warn\", \"info\" "
                             "or \"debug\"");
    log_text((enum log_level)level, msg, len);
    return 0;
}

/* Push the effective settings as a plain table. */
static void push_settings(lua_State *L, const struct settings *s)
{
    lua_createtable(L, 0, settings_count);
    for (int i = 0; i < settings_count; i++) {
        const struct setting_def *def = &settings_table[i];
        const void *f = (const char *)s + def->offset;
        switch (def->type) {
        case SETTING_INT: lua_pushnumber(L, (lua_Number)*(const long *)f); break;
        case SETTING_NUM: lua_pushnumber(L, *(const double *)f); break;
        case SETTING_BOOL: lua_pushboolean(L, *(const int *)f); break;
        case SETTING_LIST: {
            const struct string_list *l = f;
            lua_createtable(L, l->n, 0);
            for (int k = 0; k < l->n; k++) {
                lua_pushstring(L, l->items[k]);
                lua_rawseti(L, -2, k + 1);
            }
            break;
        }
        default:
            lua_pushstring(L, settings_string(s, def));  /* NULL: nil */
        }
        lua_setfield(L, -2, def->name);
    }
}

/* tine.settings' source: builds the settings table when a script first
 * reads tine.settings, so a state that never does holds no copy. Upvalue:
 * the settings (a light userdata; they outlive the state). */
static int build_settings(lua_State *L)
{
    push_settings(L, lua_touserdata(L, lua_upvalueindex(1)));
    return 1;
}

/* Register fns as closures over the host in the table at the top. */
static void set_functions(lua_State *L, struct lua_host *h,
                          const luaL_Reg *fns)
{
    for (; fns->name; fns++) {
        lua_pushlightuserdata(L, h);
        lua_pushcclosure(L, fns->func, 1);
        lua_setfield(L, -2, fns->name);
    }
}

/* Register the client methods as closures over the host and the handle
 * metatable (at the top of the stack) into the table below it. */
static void set_client_methods(lua_State *L, struct lua_host *h,
                               const luaL_Reg *fns)
{
    for (; fns->name; fns++) {
        lua_pushlightuserdata(L, h);
        lua_pushvalue(L, -2);              /* handle metatable */
        lua_pushcclosure(L, fns->func, 2);
        lua_setfield(L, -3, fns->name);  /* methods[name] = closure */
    }
}

/* What client:write's fast path in tine.prelude needs (core.client):
 * the methods (whose write it wraps), the key and metatable of a client's
 * handle, and conn_write_pair as a pointer for LuaJIT's FFI. */
static void push_client_parts(lua_State *L)
{
    lua_createtable(L, 0, 4);
    luaL_getmetatable(L, CLIENT_MT);
    lua_getfield(L, -1, "__index");
    lua_setfield(L, -3, "methods");
    lua_pop(L, 1);  /* client metatable */
    lua_pushlightuserdata(L, (void *)&handle_key);
    lua_setfield(L, -2, "handle_key");
    luaL_getmetatable(L, HANDLE_MT);
    lua_setfield(L, -2, "handle_mt");
    lua_pushlightuserdata(L, (void *)(uintptr_t)conn_write_pair);
    lua_setfield(L, -2, "write_pair");
}

static void register_metatables(lua_State *L, struct lua_host *h)
{
    static const luaL_Reg client_methods[] = {
        {"write", client_write}, {"close", client_close},
        {"pause", client_pause}, {"resume", client_resume}, {NULL, NULL}};
    luaL_newmetatable(L, CLIENT_MT);
    lua_newtable(L);                       /* methods */
    luaL_newmetatable(L, HANDLE_MT);
    set_client_methods(L, h, client_methods);
    lua_pop(L, 1);  /* handle metatable */
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, client_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);  /* client metatable */
}

/* package.preload's loader of a built-in module: its source is compiled
 * only when the module is first required, so a state that never requires
 * it does not hold its functions. Upvalues: the source (a light
 * userdata), its length and the chunk's name. */
static int load_builtin(lua_State *L)
{
    const char *src = lua_touserdata(L, lua_upvalueindex(1));
    size_t len = (size_t)lua_tointeger(L, lua_upvalueindex(2));
    if (luaL_loadbuffer(L, src, len, lua_tostring(L, lua_upvalueindex(3))) != 0)
        return lua_error(L);  /* built-in source: cannot happen */
    lua_insert(L, 1);         /* the chunk, below require's arguments */
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Make the built-in module `name` (source src, named as the file it comes
 * from, lua/tine/NAME.lua, in its errors and tracebacks) loadable by
 * require: package.preload[name], a load_builtin closure. */
static void preload(lua_State *L, const char *name, const char *chunkname,
                    const unsigned char *src, size_t len)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushlightuserdata(L, (void *)src);
    lua_pushinteger(L, (lua_Integer)len);
    lua_pushstring(L, chunkname);
    lua_pushcclosure(L, load_builtin, 3);
    lua_setfield(L, -2, name);
    lua_pop(L, 2);  /* preload, package */
}

int api_open(struct lua_host *h, char *err, size_t errlen)
{
    static const luaL_Reg core_functions[] = {
        {"shutdown", tine_shutdown}, {"recycle", tine_recycle},
        {"pause", tine_pause}, {"resume", tine_resume},
        {"connections", tine_connections}, {"log", tine_log},
        {"stopping", tine_stopping}, {NULL, NULL}};
    lua_State *L = h->L;
    register_metatables(L, h);
    preload(L, "tine.ngx", "@lua/tine/ngx.lua", tine_source_ngx,
            tine_source_ngx_SIZE);
    preload(L, "tine.http", "@lua/tine/http.lua", tine_source_http,
            tine_source_http_SIZE);
    if (luaL_loadbuffer(L, (const char *)luaJIT_BC_tine_prelude,
                        luaJIT_BC_tine_prelude_SIZE, "=tine.prelude") != 0) {
        snprintf(err, errlen, "tine.prelude: %s", lua_tostring(L, -1));
        lua_pop(L, 1);  /* message */
        return -1;
    }
    lua_call(L, 0, 1);                   /* the prelude module */
    lua_getfield(L, -1, "install");
    lua_newtable(L);                     /* core */
    set_functions(L, h, core_functions);
    timer_api_open(L, &h->sched, h->env.base);
    sock_api_open(L, &h->sock);
    shdict_api_open(L, h->env.zones, h->env.settings);
    sched_push_marker(L);
    lua_setfield(L, -2, "wait_mark");
    sched_push_entries(&h->sched);
    lua_setfield(L, -2, "task_threads");
    push_client_parts(L);
    lua_setfield(L, -2, "client");
    lua_pushlightuserdata(L, NULL);      /* ngx.null, cjson.null */
    lua_setfield(L, -2, "null");
    lua_pushinteger(L, h->env.worker_id);
    lua_setfield(L, -2, "worker_id");
    lua_pushinteger(L, h->env.child ? (lua_Integer)getpid() : 0);
    lua_setfield(L, -2, "pid");
    lua_pushinteger(L, h->env.master_pid);
    lua_setfield(L, -2, "master_pid");
    lua_pushinteger(L, h->env.generation);
    lua_setfield(L, -2, "generation");
    lua_pushlightuserdata(L, (void *)h->env.settings);
    lua_pushcclosure(L, build_settings, 1);
    int rc = host_pcall(h, CB_LOAD, 2, err, errlen);
    lua_pop(L, 1);                       /* the prelude module */
    return rc;
}
