/* scheduler.c: tasks over pooled LuaJIT threads. A thread that returned is
 * reused as it is (LuaJIT resumes a finished thread afresh); one that
 * raised an error is dropped, after its traceback is taken. */
#include "scheduler.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>

#include "callback.h"
#include "clock.h"
#include "scoreboard.h"
#include "tine_err.h"

struct sched_task {
    lua_State *co;
    int ref;                  /* registry reference keeping co alive */
    int cb;                   /* what it runs, for the scoreboard */
    sched_done_fn done;
    void *owner;
    struct sched_task *next;  /* in the idle list */
    struct sched_task *all_next;
};

static char wait_marker;      /* its address marks tine's own yields */

void sched_init(struct sched *s, lua_State *L, struct scoreboard_slot *slot)
{
    s->L = L;
    s->slot = slot;
    s->idle = s->all = s->current = NULL;
    s->waiting = s->threads_made = 0;
    s->guard = NULL;
    lua_newtable(L);                       /* the weak set of threads */
    lua_createtable(L, 0, 1);              /* its metatable */
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    s->entries_ref = luaL_ref(L, LUA_REGISTRYINDEX);  /* pops the set */
}

void sched_close(struct sched *s)
{
    while (s->all) {
        struct sched_task *t = s->all;
        s->all = t->all_next;
        free(t);
    }
    s->idle = NULL;
}

void sched_push_entries(struct sched *s)
{
    lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->entries_ref);
}

/* Give t a fresh thread, listed among the entry threads. */
static void new_thread(struct sched *s, struct sched_task *t)
{
    lua_State *L = s->L;
    t->co = lua_newthread(L);
    s->threads_made++;
    sched_push_entries(s);
    lua_pushvalue(L, -2);           /* the thread */
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);                  /* the set */
    t->ref = luaL_ref(L, LUA_REGISTRYINDEX);  /* pops the thread */
}

/* An idle task with a thread ready to run. */
static struct sched_task *take_task(struct sched *s)
{
    struct sched_task *t = s->idle;
    if (t) {
        s->idle = t->next;
        if (t->co) return t;
    } else {
        t = calloc(1, sizeof(*t));
        if (!t) abort();  /* as LuaJIT itself does when memory runs out */
        t->all_next = s->all;
        s->all = t;
    }
    new_thread(s, t);
    return t;
}

/* t's thread raised an error or broke the rules: drop the thread (the
 * collector frees it) and keep the task for reuse. */
static void drop_thread(struct sched *s, struct sched_task *t)
{
    luaL_unref(s->L, LUA_REGISTRYINDEX, t->ref);
    t->co = NULL;
    t->next = s->idle;
    s->idle = t;
}

/* v's __tostring result, or v itself if it has none; called in
 * protected mode, since a __tostring may itself fail. */
static int safe_tostring(lua_State *L)
{
    luaL_callmeta(L, 1, "__tostring");
    return 1;
}

/* Where the innermost Lua function of co is: "file:line: ", or "". */
static void location(lua_State *co, char *buf, size_t len)
{
    lua_Debug ar;
    buf[0] = '\0';
    for (int level = 0; lua_getstack(co, level, &ar); level++) {
        lua_getinfo(co, "Sl", &ar);
        if (ar.currentline > 0) {
            snprintf(buf, len, "%s:%d: ", ar.short_src, ar.currentline);
            return;
        }
    }
}

/* Put t's error, with its location if the message lacks one, and the
 * thread's traceback into err. */
static void describe_error(struct sched *s, struct sched_task *t, char *err,
                           size_t errlen)
{
    lua_State *L = s->L, *co = t->co;
    char where[256] = "";
    const char *msg = lua_isstring(co, -1) ? lua_tostring(co, -1) : NULL;
    if (!msg) {
        location(co, where, sizeof(where));
        lua_pushcfunction(L, safe_tostring);
        lua_xmove(co, L, 1);                   /* the error object */
        if (lua_pcall(L, 1, 1, 0) == 0 && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_pushfstring(L, "%s%s", where, lua_tostring(L, -1));
        else
            msg = lua_pushfstring(L, "%s(error object is not a string)",
                                  where);
        lua_xmove(L, co, 1);
        lua_pop(L, 1);                         /* the result or error */
        msg = lua_tostring(co, -1);
    }
    luaL_traceback(L, co, msg, 0);
    snprintf(err, errlen, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);                             /* the traceback */
}

/* Resume t with nargs values (and, the first time, its function). */
static enum sched_result run(struct sched *s, struct sched_task *t,
                             int nargs, char *err, size_t errlen)
{
    struct sched_task *outer = s->current;
    struct scoreboard_slot *slot = s->slot;
    struct scoreboard_mark saved = {0, 0};
    scoreboard_enter(slot, t->cb, clock_coarse(), &saved);
    int guarded = s->guard ? *s->guard : 0;
    s->current = t;
    if (s->guard) *s->guard = 1;
    int status = lua_resume(t->co, nargs);
    if (s->guard) *s->guard = guarded;
    s->current = outer;
    scoreboard_leave(slot, &saved);
    if (status == 0) {
        lua_settop(t->co, 0);
        t->next = s->idle;
        s->idle = t;
        return SCHED_DONE;
    }
    if (status == LUA_YIELD && lua_gettop(t->co) >= 1 &&
        lua_touserdata(t->co, 1) == &wait_marker) {
        lua_settop(t->co, 0);
        s->waiting++;
        if (slot) slot->waiting = (int32_t)s->waiting;
        return SCHED_WAITING;
    }
    if (status == LUA_YIELD)
        snprintf(err, errlen, "attempt to yield from outside a coroutine");
    else
        describe_error(s, t, err, errlen);
    drop_thread(s, t);
    return SCHED_FAILED;
}

enum sched_result sched_call(struct sched *s, lua_State *from, int cb,
                             int nargs, sched_done_fn done, void *owner,
                             char *err, size_t errlen)
{
    struct sched_task *t = take_task(s);
    if (s->slot && (cb == CB_CLIENT_INPUT || cb == CB_HTTP_REQUEST))
        s->slot->requests++;  /* the status page's "requests" */
    t->cb = cb;
    t->done = done;
    t->owner = owner;
    lua_xmove(from, t->co, nargs + 1);  /* the function and its arguments */
    return run(s, t, nargs, err, errlen);
}

struct sched_task *sched_current(struct sched *s) { return s->current; }

void sched_push_marker(lua_State *L)
{
    lua_pushlightuserdata(L, &wait_marker);
}

int sched_wait(lua_State *L)
{
    sched_push_marker(L);
    return lua_yield(L, 1);
}

lua_State *sched_thread(struct sched_task *t) { return t->co; }

void sched_resume(struct sched *s, struct sched_task *t, int nresults)
{
    char err[TINE_ERR_MAX];
    sched_done_fn done = t->done;
    void *owner = t->owner;
    int cb = t->cb;
    s->waiting--;
    if (s->slot) s->slot->waiting = (int32_t)s->waiting;
    enum sched_result r = run(s, t, nresults, err, sizeof(err));
    if (r != SCHED_WAITING) done(owner, cb, r == SCHED_FAILED, err);
}
