/* timer_api.c: timers and sleeps on the child's loop, each running or
 * resuming a task. A timer's state is a userdata (its event inside), kept
 * alive by a registry reference while it is pending. */
#include "timer_api.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <string.h>
#include <sys/time.h>

#include "callback.h"
#include "clock.h"
#include "log.h"
#include "scheduler.h"
#include "tine_err.h"

#define TIMER_MT "tine.timer"

/* What every function here shares (upvalue 1). */
struct timer_env {
    struct sched *sched;
    struct event_base *base;
};

struct timer {
    struct event ev;
    struct timer_env *env;
    int fn_ref;      /* the function to run */
    int self_ref;    /* keeps the userdata alive while pending */
    int repeat;
    int armed;       /* ev has been assigned */
};

static struct timer_env *env_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* The loop, or an error naming fn outside a child. */
static struct event_base *need_base(lua_State *L, const char *fn)
{
    struct timer_env *env = env_of(L);
    if (!env->base) luaL_error(L, "tine.%s() works only in a child", fn);
    return env->base;
}

/* The seconds at argument idx: a Lua error naming it for NaN, a negative
 * or an infinite value (or 0 if positive), a huge one cut to
 * TIMER_MAX_SECONDS. */
static double check_seconds(lua_State *L, int idx, int positive)
{
    lua_Number s = luaL_checknumber(L, idx);
    if (s != s) luaL_argerror(L, idx, "seconds is NaN");
    if (s < 0 || (positive && s == 0))
        luaL_argerror(L, idx, positive ? "seconds must be more than 0"
                                       : "seconds must not be negative");
    if (s == (lua_Number)HUGE_VAL) luaL_argerror(L, idx, "seconds is infinite");
    return s > TIMER_MAX_SECONDS ? TIMER_MAX_SECONDS : s;
}

/* A task of a timer or tine.spawn ended with an error: log it. */
static void log_task_error(void *owner, int cb, int failed, const char *err)
{
    (void)owner;
    if (failed) log_error("%s failed: %s", callback_name(cb), err);
}

/* Release what a finished or cancelled timer holds in the registry. */
static void timer_release(lua_State *L, struct timer *t)
{
    luaL_unref(L, LUA_REGISTRYINDEX, t->fn_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, t->self_ref);
    t->fn_ref = t->self_ref = LUA_NOREF;
}

/* The timer is due: run its function as a task. */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct timer *t = arg;
    struct sched *s = t->env->sched;
    lua_State *L = s->L;
    char err[TINE_ERR_MAX];
    (void)fd;
    (void)what;
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->fn_ref);
    if (!t->repeat) timer_release(L, t);  /* the task holds the function */
    if (sched_call(s, L, CB_TIMER, 0, log_task_error, NULL, err,
                   sizeof(err)) == SCHED_FAILED)
        log_error("a timer failed: %s", err);
}

/* tine.timer / tine.every: run fn after `seconds`, once or repeatedly. */
static int start_timer(lua_State *L, int repeat)
{
    struct timer_env *env = env_of(L);
    struct event_base *base = need_base(L, repeat ? "every" : "timer");
    struct timeval tv = clock_timeval(check_seconds(L, 1, repeat));
    luaL_checktype(L, 2, LUA_TFUNCTION);
    struct timer *t = lua_newuserdata(L, sizeof(*t));
    memset(t, 0, sizeof(*t));
    t->env = env;
    t->repeat = repeat;
    luaL_getmetatable(L, TIMER_MT);
    lua_setmetatable(L, -2);
    event_assign(&t->ev, base, -1, repeat ? EV_PERSIST : 0, on_timer, t);
    t->armed = 1;
    lua_pushvalue(L, 2);
    t->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);   /* pops the function */
    lua_pushvalue(L, -1);
    t->self_ref = luaL_ref(L, LUA_REGISTRYINDEX); /* pops the copy */
    event_add(&t->ev, &tv);
    return 1;
}

static int tine_timer(lua_State *L) { return start_timer(L, 0); }
static int tine_every(lua_State *L) { return start_timer(L, 1); }

/* handle:cancel(): the function will not run (again). */
static int timer_cancel(lua_State *L)
{
    struct timer *t = luaL_checkudata(L, 1, TIMER_MT);
    if (t->armed) event_del(&t->ev);
    if (t->self_ref != LUA_NOREF) timer_release(L, t);
    return 0;
}

static int timer_gc(lua_State *L)
{
    struct timer *t = luaL_checkudata(L, 1, TIMER_MT);
    if (t->armed) event_del(&t->ev);
    t->armed = 0;
    return 0;
}

#define SLEEPER_MT "tine.sleeper"

/* A sleep's state, on the sleeping task's own stack. */
struct sleeper {
    struct event ev;
    struct sched *sched;
    struct sched_task *task;
};

/* A sleeper collected with its task (the child ends): unhook its event. */
static int sleeper_gc(lua_State *L)
{
    struct sleeper *z = lua_touserdata(L, 1);
    event_del(&z->ev);
    return 0;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct sleeper *z = arg;
    (void)fd;
    (void)what;
    sched_resume(z->sched, z->task, 0);
}

/* tine.sleep(seconds): let the child serve others meanwhile. */
static int tine_sleep(lua_State *L)
{
    struct timer_env *env = env_of(L);
    struct event_base *base = need_base(L, "sleep");
    struct timeval tv = clock_timeval(check_seconds(L, 1, 0));
    struct sched_task *task = sched_current(env->sched);
    if (!task)
        return luaL_error(L, "tine.sleep() waits only inside a callback");
    struct sleeper *z = lua_newuserdata(L, sizeof(*z));
    luaL_getmetatable(L, SLEEPER_MT);
    lua_setmetatable(L, -2);
    z->sched = env->sched;
    z->task = task;
    event_assign(&z->ev, base, -1, 0, on_wake, z);
    event_add(&z->ev, &tv);
    return sched_wait(L);
}

/* tine.now(): wall-clock seconds, with a fraction. */
static int tine_now(lua_State *L)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    lua_pushnumber(L, (lua_Number)tv.tv_sec + (lua_Number)tv.tv_usec / 1e6);
    return 1;
}

/* tine.spawn(fn, ...): run fn(...) as a task of its own, now. */
static int tine_spawn(lua_State *L)
{
    struct timer_env *env = env_of(L);
    char err[TINE_ERR_MAX];
    luaL_checktype(L, 1, LUA_TFUNCTION);
    int nargs = lua_gettop(L) - 1;
    if (sched_call(env->sched, L, CB_SPAWN, nargs, log_task_error, NULL, err,
                   sizeof(err)) == SCHED_FAILED)
        log_error("tine.spawn failed: %s", err);
    lua_pushboolean(L, 1);
    return 1;
}

void timer_api_open(lua_State *L, struct sched *sched,
                    struct event_base *base)
{
    static const luaL_Reg fns[] = {
        {"timer", tine_timer}, {"every", tine_every}, {"sleep", tine_sleep},
        {"now", tine_now}, {"spawn", tine_spawn}, {NULL, NULL}};
    struct timer_env *env = lua_newuserdata(L, sizeof(*env));
    env->sched = sched;
    env->base = base;
    int env_idx = lua_gettop(L);
    luaL_newmetatable(L, TIMER_MT);
    lua_newtable(L);
    lua_pushvalue(L, env_idx);
    lua_pushcclosure(L, timer_cancel, 1);
    lua_setfield(L, -2, "cancel");
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, timer_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);  /* the metatable */
    luaL_newmetatable(L, SLEEPER_MT);
    lua_pushcfunction(L, sleeper_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);  /* the sleeper metatable */
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushvalue(L, env_idx);
        lua_pushcclosure(L, f->func, 1);
        lua_setfield(L, -3, f->name);
    }
    lua_setfield(L, LUA_REGISTRYINDEX, "tine.timer_env");  /* keeps env */
}
