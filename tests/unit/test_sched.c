/* test_sched.c: tasks over pooled threads in a real LuaJIT state. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler.h"
#include "scoreboard.h"
#include "test_util.h"

static struct sched sched;
static struct scoreboard_slot slot;
static struct sched_task *waiter;   /* the task that called wait() */
static int done_calls, done_failed;
static char done_err[4096];

/* wait(): suspend the calling task until the test resumes it. */
static int lua_wait_fn(lua_State *L)
{
    waiter = sched_current(&sched);
    if (!waiter) return luaL_error(L, "cannot wait here");
    return sched_wait(L);
}

static void on_done(void *owner, int cb, int failed, const char *err)
{
    (void)owner;
    assert_int_equal(cb, 3);
    done_calls++;
    done_failed = failed;
    snprintf(done_err, sizeof(done_err), "%s", err ? err : "");
}

static int setup(void **state)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    sched_init(&sched, L, &slot);
    lua_register(L, "wait", lua_wait_fn);
    if (luaL_dostring(L,
            "function quick(a) result = a end\n"
            "function slow(a) local got = wait() result = a .. got end\n"
            "function boom() error('boom on purpose') end\n"
            "function late() wait() error('late boom') end\n"
            "function bad_tostring()\n"
            "  error(setmetatable({}, {__tostring = function() error('x') end}))\n"
            "end\n"
            "function own_yield() coroutine.yield(1) end\n"
            "function nested()\n"
            "  local co = coroutine.create(function() coroutine.yield('own') return 'end' end)\n"
            "  local _, a = coroutine.resume(co) local _, b = coroutine.resume(co)\n"
            "  result = a .. b\n"
            "end\n") != 0)
        return -1;
    *state = L;
    return 0;
}

static int teardown(void **state)
{
    sched_close(&sched);
    lua_close(*state);
    return 0;
}

/* Call global fn with one string argument. */
static enum sched_result call(lua_State *L, const char *fn, const char *arg,
                              char *err)
{
    lua_getglobal(L, fn);
    lua_pushstring(L, arg);
    return sched_call(&sched, L, 3, 1, on_done, NULL, err, 4096);
}

static const char *global(lua_State *L, const char *name)
{
    lua_getglobal(L, name);
    const char *v = lua_tostring(L, -1);
    lua_pop(L, 1);
    return v;
}

/* A task that never waits returns at once, and its thread is reused. */
static void test_quick_reuses_thread(void **state)
{
    lua_State *L = *state;
    char err[4096];
    for (int i = 0; i < 1000; i++)
        assert_int_equal(call(L, "quick", "x", err), SCHED_DONE);
    assert_string_equal(global(L, "result"), "x");
    assert_int_equal(sched.threads_made, 1);
    assert_int_equal(lua_gettop(L), 0);
}

/* A task that waits is suspended; resumed, it gets the wait's results and
 * its end is reported through done. */
static void test_wait_and_resume(void **state)
{
    lua_State *L = *state;
    char err[4096];
    done_calls = 0;
    assert_int_equal(call(L, "slow", "a", err), SCHED_WAITING);
    assert_int_equal(sched.waiting, 1);
    assert_int_equal(slot.waiting, 1);     /* the master sees it waiting */
    assert_int_equal(slot.callback, 0);    /* and running nothing */
    assert_int_equal(call(L, "quick", "other", err), SCHED_DONE);
    lua_pushstring(sched_thread(waiter), "b");
    sched_resume(&sched, waiter, 1);
    assert_int_equal(done_calls, 1);
    assert_int_equal(done_failed, 0);
    assert_int_equal(sched.waiting, 0);
    assert_int_equal(slot.waiting, 0);
    assert_string_equal(global(L, "result"), "ab");
}

/* An error carries file:line and a traceback, at once or after a wait. */
static void test_errors(void **state)
{
    lua_State *L = *state;
    char err[4096];
    assert_int_equal(call(L, "boom", "", err), SCHED_FAILED);
    assert_contains(err, ":3: boom on purpose");
    assert_contains(err, "stack traceback:");
    done_calls = 0;
    assert_int_equal(call(L, "late", "", err), SCHED_WAITING);
    sched_resume(&sched, waiter, 0);
    assert_int_equal(done_calls, 1);
    assert_int_equal(done_failed, 1);
    assert_contains(done_err, ":4: late boom");
    assert_int_equal(call(L, "quick", "after", err), SCHED_DONE);
    assert_int_equal(lua_gettop(L), 0);
}

/* An error object whose __tostring fails still names where it came from. */
static void test_bad_tostring_keeps_location(void **state)
{
    lua_State *L = *state;
    char err[4096];
    assert_int_equal(call(L, "bad_tostring", "", err), SCHED_FAILED);
    assert_contains(err, ":6: (error object is not a string)");
}

/* A script's own yield outside a coroutine of its own is an error, and
 * its own coroutines work as in plain Lua. */
static void test_script_yields(void **state)
{
    lua_State *L = *state;
    char err[4096];
    assert_int_equal(call(L, "own_yield", "", err), SCHED_FAILED);
    assert_contains(err, "attempt to yield from outside a coroutine");
    assert_int_equal(call(L, "nested", "", err), SCHED_DONE);
    assert_string_equal(global(L, "result"), "ownend");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quick_reuses_thread),
        cmocka_unit_test(test_wait_and_resume),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_bad_tostring_keeps_location),
        cmocka_unit_test(test_script_yields),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
