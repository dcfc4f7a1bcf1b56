/* test_sock_api.c: the socket API's metatables, made on first use, are
 * registered only once whole: a memory error while one is made (as
 * MaxLuaMemory can raise inside a task) leaves none half-made for later
 * calls to find. */
#include <lauxlib.h>
#include <lua.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sock_api_int.h"

#define TEST_MT "test.metatable"

/* LuaJIT's allocator, refusing to grow once `left` growths are spent
 * (while `left` is not negative). */
struct failing_alloc {
    lua_Alloc orig;
    void *orig_ud;
    long left;
};

static void *failing_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct failing_alloc *f = ud;
    if (nsize > osize && f->left >= 0 && f->left-- == 0) return NULL;
    return f->orig(f->orig_ud, ptr, osize, nsize);
}

static int dummy(lua_State *L)
{
    (void)L;
    return 0;
}

/* A metatable with some allocations to it: __index with three methods,
 * and __gc. */
static void build_test_mt(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"one", dummy}, {"two", dummy}, {"three", dummy}, {NULL, NULL}};
    lua_newtable(L);
    luaL_register(L, NULL, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, dummy);
    lua_setfield(L, -2, "__gc");
}

static int push_test_mt(lua_State *L)
{
    sock_api_push_metatable(L, TEST_MT, build_test_mt);
    return 1;
}

/* Is the table at the top whole, and the one registered? */
static int whole_and_registered(lua_State *L)
{
    int ok = lua_istable(L, -1);
    luaL_getmetatable(L, TEST_MT);
    ok = ok && lua_rawequal(L, -1, -2);
    lua_pop(L, 1);
    lua_getfield(L, -1, "__gc");
    ok = ok && lua_iscfunction(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, -1, "__index");
    const char *names[] = {"one", "two", "three"};
    for (int i = 0; i < 3 && ok; i++) {
        lua_getfield(L, -1, names[i]);
        ok = lua_iscfunction(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return ok;
}

/* Refuse the first, second, ... growth while the metatable is made; each
 * time, a later call with memory to spare gets it whole. */
static void test_memory_error_leaves_nothing_half_made(void **state)
{
    (void)state;
    int refused = 0;
    for (long n = 0; n < 1000; n++) {
        lua_State *L = luaL_newstate();
        assert_non_null(L);
        struct failing_alloc f = {NULL, NULL, -1};
        f.orig = lua_getallocf(L, &f.orig_ud);
        lua_setallocf(L, failing_alloc, &f);
        lua_pushcfunction(L, push_test_mt);
        f.left = n;  /* from here on, only inside the protected call */
        int first = lua_pcall(L, 0, 1, 0);
        f.left = -1;
        if (first != 0) {
            refused++;
            lua_pop(L, 1);  /* the error */
            lua_pushcfunction(L, push_test_mt);
            assert_int_equal(lua_pcall(L, 0, 1, 0), 0);
        }
        assert_true(whole_and_registered(L));
        lua_setallocf(L, f.orig, f.orig_ud);
        lua_close(L);
        if (first == 0) break;
    }
    assert_true(refused > 3);  /* the failures were met, at several points */
}

/* Made once: later calls push the same table. */
static void test_made_once(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    sock_api_push_metatable(L, TEST_MT, build_test_mt);
    sock_api_push_metatable(L, TEST_MT, build_test_mt);
    assert_true(lua_rawequal(L, -1, -2));
    assert_true(whole_and_registered(L));
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_error_leaves_nothing_half_made),
        cmocka_unit_test(test_made_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
