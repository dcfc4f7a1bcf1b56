/* http_api.c: see http_api.h. The request's parts are pushed here (the
 * headers as a table, names as the reader lowered them, repeated headers
 * joined with ", "); the request table made from them and what is derived
 * from it (path, query, args, captures) are tine.http's work, done lazily
 * where it can be. */
#include "http_api.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <time.h>

#include "access_log.h"
#include "callback.h"
#include "log.h"
#include "lua_api.h"
#include "lua_host.h"
#include "tine_err.h"

const char *http_reason(int status)
{
    static const struct { int status; const char *reason; } reasons[] = {
        {100, "Continue"}, {101, "Switching Protocols"}, {200, "OK"},
        {201, "Created"}, {202, "Accepted"}, {204, "No Content"},
        {206, "Partial Content"}, {301, "Moved Permanently"},
        {302, "Found"}, {303, "See Other"}, {304, "Not Modified"},
        {307, "Temporary Redirect"}, {308, "Permanent Redirect"},
        {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"},
        {404, "Not Found"}, {405, "Method Not Allowed"},
        {406, "Not Acceptable"}, {408, "Request Timeout"},
        {409, "Conflict"}, {410, "Gone"}, {411, "Length Required"},
        {412, "Precondition Failed"}, {413, "Content Too Large"},
        {414, "URI Too Long"}, {415, "Unsupported Media Type"},
        {416, "Range Not Satisfiable"}, {417, "Expectation Failed"},
        {422, "Unprocessable Content"}, {426, "Upgrade Required"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"}, {501, "Not Implemented"},
        {502, "Bad Gateway"}, {503, "Service Unavailable"},
        {504, "Gateway Timeout"}, {505, "HTTP Version Not Supported"}};
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status) return reasons[i].reason;
    return "Unknown";
}

const char *http_date(void)
{
    static char text[40];
    static time_t made = -1;
    time_t now = time(NULL);
    if (now != made) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        made = now;
    }
    return text;
}

/* tine.http's hook for the Date header. */
static int lua_http_date(lua_State *L)
{
    lua_pushstring(L, http_date());
    return 1;
}

/* tine.http's hook for reason phrases. */
static int lua_http_reason(lua_State *L)
{
    lua_pushstring(L, http_reason((int)luaL_checkinteger(L, 1)));
    return 1;
}

/* tine.http's hook for AccessLog lines. */
static int lua_http_access(lua_State *L)
{
    size_t len;
    const char *line = luaL_checklstring(L, 1, &len);
    access_log_write(line, len);
    return 0;
}

/* Push tine.http's serve, loading and binding it on first use. */
static void push_serve(struct lua_host *h)
{
    lua_State *L = h->L;
    if (h->http_serve_ref) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, h->http_serve_ref);
        return;
    }
    lua_getglobal(L, "require");
    lua_pushliteral(L, "tine.http");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "bind");
    lua_remove(L, -2);
    lua_pushcfunction(L, lua_http_date);
    lua_pushcfunction(L, lua_http_reason);
    if (access_log_fd() >= 0) lua_pushcfunction(L, lua_http_access);
    else lua_pushnil(L);
    lua_call(L, 3, 1);  /* serve */
    lua_pushvalue(L, -1);
    h->http_serve_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Push the headers as a table: lower-case names, repeats joined. */
static void push_headers(lua_State *L, const struct http_request *req)
{
    lua_createtable(L, 0, (int)req->n_headers);
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct http_header *hd = &req->headers[i];
        lua_pushlstring(L, hd->name.at, hd->name.len);
        lua_pushvalue(L, -1);
        lua_rawget(L, -3);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushlstring(L, hd->value.at, hd->value.len);
        } else {
            lua_pushliteral(L, ", ");
            lua_pushlstring(L, hd->value.at, hd->value.len);
            lua_concat(L, 3);
        }
        lua_rawset(L, -3);
    }
}

/* Push the request's parts, as serve takes them after the client:
 * method, target, version, headers, body, keep_alive, nth, id. serve
 * makes the request table from them with one constructor, which is
 * cheaper than setting its fields through the C API. */
enum { REQUEST_ARGS = 8 };
static void push_request(lua_State *L, const struct http_request *req,
                         long nth)
{
    static unsigned long next_id;
    lua_pushstring(L, req->method);
    lua_pushlstring(L, req->target.at, req->target.len);
    lua_pushstring(L, req->version);
    push_headers(L, req);
    lua_pushlstring(L, req->body.at, req->body.len);
    lua_pushboolean(L, req->keep_alive);
    lua_pushnumber(L, (lua_Number)nth);
    lua_pushnumber(L, (lua_Number)++next_id);
}

enum sched_result api_call_http(struct lua_host *h, int client_ref,
                                unsigned long conn_id,
                                const struct http_request *req, long nth,
                                sched_done_fn done, void *owner)
{
    char err[TINE_ERR_MAX];
    push_serve(h);
    api_client_push(h, client_ref);
    push_request(h->L, req, nth);
    enum sched_result r = sched_call(&h->sched, h->L, CB_HTTP_REQUEST,
                                     1 + REQUEST_ARGS,
                                     done, owner, err, sizeof(err));
    if (r == SCHED_FAILED)
        log_error("%s failed for client %lu: %s",
                  callback_name(CB_HTTP_REQUEST), conn_id, err);
    return r;
}
