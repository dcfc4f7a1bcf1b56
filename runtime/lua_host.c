/* lua_host.c: the script's LuaJIT state. The traceback handler sits at
 * stack index 1 for the state's whole life, so every call is a lua_pcall
 * with it and none allocates a new closure. */
#include "lua_host.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "lua_api.h"
#include "scoreboard.h"

#define TRACEBACK_INDEX 1

/* Error handler: the message (or a description of a non-string error)
 * with a traceback appended. */
static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_isstring(L, -1))
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)",
                                  luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int host_pcall(struct lua_host *h, int cb, int nargs, char *err,
               size_t errlen)
{
    lua_State *L = h->L;
    struct scoreboard_mark saved = {0, 0};
    scoreboard_enter(h->env.slot, cb, clock_coarse(), &saved);
    int status = lua_pcall(L, nargs, 0, TRACEBACK_INDEX);
    scoreboard_leave(h->env.slot, &saved);
    if (status == 0) return 0;
    const char *msg = lua_tostring(L, -1);
    snprintf(err, errlen, "%s", msg ? msg : "(error without a message)");
    lua_pop(L, 1);  /* error message */
    return -1;
}

/* Seed math.random from the kernel's entropy, so forked children do not
 * share one sequence. */
static void seed_random(lua_State *L)
{
    uint64_t bits = 0;
    if (getrandom(&bits, sizeof(bits), 0) != (ssize_t)sizeof(bits))
        bits = (uint64_t)clock_now() ^ ((uint64_t)getpid() << 32);
    lua_getglobal(L, "math");
    lua_getfield(L, -1, "randomseed");
    lua_pushnumber(L, (double)(bits >> 11));  /* 53 bits fit a double */
    lua_call(L, 1, 0);
    lua_pop(L, 1);  /* math */
}

/* The state's allocator under MaxLuaMemory: LuaJIT's own, refusing to
 * grow past the limit while a task runs (the task fails with "not enough
 * memory"). tine's own work between tasks (tracebacks, client objects) is
 * never refused, so no error escapes protected mode; the child is
 * recycled soon after. Shrinking and freeing always pass. */
static void *guarded_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct host_memory *m = ud;
    if (m->enforce && nsize > osize && m->used - osize + nsize > m->limit) {
        m->refused = 1;
        return NULL;
    }
    void *p = m->orig(m->orig_ud, ptr, osize, nsize);
    if (p || nsize == 0) m->used = m->used - osize + nsize;
    return p;
}

/* Put the state under a limit of mib MiB (0: none). */
static void guard_memory(struct lua_host *h, long mib)
{
    if (mib <= 0) return;
    struct host_memory *m = &h->mem;
    m->orig = lua_getallocf(h->L, &m->orig_ud);
    m->used = (size_t)lua_gc(h->L, LUA_GCCOUNT, 0) * 1024 +
              (size_t)lua_gc(h->L, LUA_GCCOUNTB, 0);
    m->limit = (size_t)mib * 1048576;
    lua_setallocf(h->L, guarded_alloc, m);
}

int host_memory_exceeded(const struct lua_host *h) { return h->mem.refused; }

/* Put the script's own directory first on package.path, so `require
 * "app.util"` finds DIR/app/util.lua whatever the working directory;
 * LUA_PATH and LUA_CPATH (read by luaL_openlibs) and LuaJIT's defaults
 * follow. */
static void add_script_dir(lua_State *L, const char *script)
{
    const char *slash = strrchr(script, '/');
    size_t len = !slash || slash == script ? 1 : (size_t)(slash - script);
    lua_getglobal(L, "package");
    lua_pushlstring(L, slash ? script : ".", len);
    const char *dir = lua_tostring(L, -1);
    lua_getfield(L, -2, "path");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir,
                    lua_tostring(L, -1));
    lua_setfield(L, -4, "path");
    lua_pop(L, 3);  /* path, dir, package */
}

char *host_read_script(const char *path, size_t *len, char *err,
                       size_t errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    /* Sized by fstat (one byte over, so the end shows as a read of 0) and
     * read with read(2): no stdio buffer, so a fresh child's heap holds
     * nothing but the text. Grows if the file did since. */
    size_t cap = (size_t)st.st_size + 1;
    char *text = malloc(cap);
    int failure = text ? 0 : ENOMEM;  /* an errno */
    *len = 0;
    while (!failure) {
        ssize_t n = read(fd, text + *len, cap - *len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            failure = n < 0 ? errno : 0;
            break;
        }
        *len += (size_t)n;
        if (*len < cap) continue;
        char *bigger = realloc(text, cap *= 2);
        if (bigger) text = bigger;
        else failure = ENOMEM;
    }
    close(fd);
    if (failure) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(failure));
        free(text);
        return NULL;
    }
    return text;
}

void host_strip_traceback(char *err)
{
    char *tb = strstr(err, "\nstack traceback:");
    if (tb) *tb = '\0';
}

/* Does the script serve HTTP (Filter "http", from a flag or its own
 * global), so that it needs no ClientInput? */
static int speaks_http(struct lua_host *h)
{
    if (h->env.settings->filter == FILTER_HTTP) return 1;
    lua_getglobal(h->L, "Filter");
    const char *filter = lua_tostring(h->L, -1);
    int http = filter && strcmp(filter, "http") == 0;
    lua_pop(h->L, 1);
    return http;
}

struct lua_host *host_open(const char *script, const struct host_env *env,
                           char *err, size_t errlen)
{
    struct lua_host *h = calloc(1, sizeof(*h));
    if (!h) abort();
    h->env = *env;
    h->script = script;
    h->L = luaL_newstate();
    if (!h->L) {
        snprintf(err, errlen, "%s: cannot create a Lua state", script);
        free(h);
        return NULL;
    }
    guard_memory(h, env->settings->max_lua_memory);
    luaL_openlibs(h->L);
    add_script_dir(h->L, script);
    lua_pushcfunction(h->L, traceback);  /* stays at TRACEBACK_INDEX */
    sched_init(&h->sched, h->L, env->slot);
    if (h->mem.limit) h->sched.guard = &h->mem.enforce;
    h->sock.sched = &h->sched;
    h->sock.base = env->base;
    h->sock.nameservers = env->settings->resolver.items;
    h->sock.nnameservers = env->settings->resolver.n;
    for (int cb = 0; cb < CB_COUNT; cb++) {
        lua_pushstring(h->L, callback_name(cb));
        h->name_ref[cb] = luaL_ref(h->L, LUA_REGISTRYINDEX);
    }
    seed_random(h->L);
    if (api_open(h, err, errlen) < 0) goto fail;
    /* The set-up's garbage collected now, so the script's own allocations
     * reuse its pages rather than dirtying new ones (4 KiB a child). */
    lua_gc(h->L, LUA_GCCOLLECT, 0);
    int loaded = env->script_text
        ? luaL_loadbuffer(h->L, env->script_text, env->script_len,
                          lua_pushfstring(h->L, "@%s", script))
        : luaL_loadfile(h->L, script);
    if (env->script_text) lua_remove(h->L, -2);  /* the chunk name */
    if (loaded != 0) {
        snprintf(err, errlen, "%s", lua_tostring(h->L, -1));
        goto fail;
    }
    if (host_pcall(h, CB_LOAD, 0, err, errlen) < 0) {
        host_strip_traceback(err);
        goto fail;
    }
    if (!host_has_function(h, "ClientInput") && !speaks_http(h)) {
        snprintf(err, errlen, "%s: the script defines no ClientInput "
                 "function (and Filter is not \"http\")", script);
        goto fail;
    }
    return h;
fail:
    host_close(h);
    return NULL;
}

void host_close(struct lua_host *h)
{
    if (!h) return;
    sock_api_close(&h->sock);
    lua_close(h->L);
    sched_close(&h->sched);
    free(h);
}

/* Entries 1..n of the list setting def's table at the top of the stack,
 * each a string. */
static int read_array(lua_State *L, struct settings *s,
                      const struct setting_def *def, char *err, size_t errlen)
{
    int n = (int)lua_objlen(L, -1);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        int rc = lua_type(L, -1) == LUA_TSTRING
                     ? settings_set_string(s, def, lua_tostring(L, -1),
                                           SOURCE_SCRIPT, err, errlen)
                     : -1;
        if (rc < 0 && lua_type(L, -1) != LUA_TSTRING)
            snprintf(err, errlen, "%s: entry %d is a %s, not a string",
                     def->name, i, luaL_typename(L, -1));
        lua_pop(L, 1);  /* entry */
        if (rc < 0) return -1;
    }
    return 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The name = value pairs of def's table at the top of the stack (a string
 * or a number each), as "name=value" items in name order, after the
 * entries 1..n. */
static int read_pairs(lua_State *L, struct settings *s,
                      const struct setting_def *def, char *err, size_t errlen)
{
    char **items = NULL;
    int n = 0, rc = read_array(L, s, def, err, errlen);
    if (rc < 0) return -1;
    for (lua_pushnil(L); rc == 0 && lua_next(L, -2) != 0; lua_pop(L, 1)) {
        if (lua_type(L, -2) == LUA_TNUMBER) continue;  /* read_array's */
        int vt = lua_type(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(err, errlen, "%s: a %s key, not a name", def->name,
                     luaL_typename(L, -2));
            rc = -1;
        } else if (vt != LUA_TSTRING && vt != LUA_TNUMBER) {
            snprintf(err, errlen, "%s: %s is a %s, not a string or a number",
                     def->name, lua_tostring(L, -2), luaL_typename(L, -1));
            rc = -1;
        }
        if (rc < 0) continue;
        lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
        items = realloc(items, sizeof(*items) * (size_t)(n + 1));
        if (!items || !(items[n++] = strdup(lua_tostring(L, -1)))) abort();
        lua_pop(L, 1);  /* the item */
    }
    if (rc < 0) lua_pop(L, 1);  /* the key lua_next left */
    if (n) qsort(items, (size_t)n, sizeof(*items), compare_strings);
    for (int i = 0; i < n; i++) {
        if (rc == 0)
            rc = settings_set_string(s, def, items[i], SOURCE_SCRIPT, err,
                                     errlen);
        free(items[i]);
    }
    free(items);
    return rc;
}

/* Read the global at the top of the stack into def's setting. */
static int read_one(lua_State *L, struct settings *s,
                    const struct setting_def *def, char *err, size_t errlen)
{
    switch (lua_type(L, -1)) {
    case LUA_TNUMBER:
        return settings_set_number(s, def, lua_tonumber(L, -1), SOURCE_SCRIPT,
                                   err, errlen);
    case LUA_TSTRING:
        return settings_set_string(s, def, lua_tostring(L, -1), SOURCE_SCRIPT,
                                   err, errlen);
    case LUA_TBOOLEAN:
        return settings_set_bool(s, def, lua_toboolean(L, -1), SOURCE_SCRIPT,
                                 err, errlen);
    case LUA_TTABLE:
        if (def->type == SETTING_LIST && def->pairs)
            return read_pairs(L, s, def, err, errlen);
        if (def->type == SETTING_LIST)
            return read_array(L, s, def, err, errlen);
        /* fall through */
    default:
        snprintf(err, errlen, "%s: got a %s value", def->name,
                 luaL_typename(L, -1));
        return -1;
    }
}

int host_read_settings(struct lua_host *h, struct settings *s, char *err,
                       size_t errlen)
{
    lua_State *L = h->L;
    for (int i = 0; i < settings_count; i++) {
        const struct setting_def *def = &settings_table[i];
        lua_getglobal(L, def->name);
        int rc = lua_isnil(L, -1) ? 0 : read_one(L, s, def, err, errlen);
        lua_pop(L, 1);  /* the global */
        if (rc < 0) return -1;
    }
    return 0;
}

void host_warn_near_misses(struct lua_host *h)
{
    lua_State *L = h->L;
    lua_pushnil(L);
    while (lua_next(L, LUA_GLOBALSINDEX) != 0) {
        lua_pop(L, 1);  /* value */
        if (lua_type(L, -1) != LUA_TSTRING) continue;
        const char *name = lua_tostring(L, -1);
        const char *meant = settings_near_miss(name);
        if (meant && name[0] >= 'A' && name[0] <= 'Z')
            log_warn("%s: global %s is not a setting; did you mean %s?",
                     h->script, name, meant);
    }
}

int host_has_function(struct lua_host *h, const char *name)
{
    lua_getglobal(h->L, name);
    int yes = lua_isfunction(h->L, -1);
    lua_pop(h->L, 1);  /* the global */
    return yes;
}

int host_push_callback(struct lua_host *h, int cb)
{
    lua_rawgeti(h->L, LUA_REGISTRYINDEX, h->name_ref[cb]);
    lua_rawget(h->L, LUA_GLOBALSINDEX);
    if (lua_isfunction(h->L, -1)) return 1;
    lua_pop(h->L, 1);  /* not a function */
    return 0;
}

enum sched_result host_call_hook(struct lua_host *h, int cb,
                                 sched_done_fn done, void *owner,
                                 char *err, size_t errlen)
{
    if (!host_push_callback(h, cb)) return SCHED_DONE;
    return sched_call(&h->sched, h->L, cb, 0, done, owner, err, errlen);
}

unsigned host_heap_kb(struct lua_host *h)
{
    return (unsigned)lua_gc(h->L, LUA_GCCOUNT, 0);
}
