/* test_builtin_source.c: tine.http and tine.ngx are built in as their
 * source text (CMakeLists.txt embeds lua/tine/NAME.lua byte for byte, not
 * as bytecode, whose dump would lose table constructors' templates), and
 * that text compiles to the module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lauxlib.h>
#include <lualib.h>

#include "http_src.h"
#include "ngx_src.h"

/* The whole of $TINE_SOURCE_DIR/lua/tine/NAME.lua; *len its length. */
static char *read_module_file(const char *name, size_t *len)
{
    const char *dir = getenv("TINE_SOURCE_DIR");
    assert_non_null(dir);
    char path[4096];
    snprintf(path, sizeof(path), "%s/lua/tine/%s.lua", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = malloc(1 << 20);
    assert_non_null(text);
    *len = fread(text, 1, 1 << 20, f);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void check_embedded(const char *name, const unsigned char *src,
                           size_t size)
{
    size_t len;
    char *text = read_module_file(name, &len);
    assert_int_equal(size, len);
    assert_memory_equal(src, text, len);
    free(text);
}

static void test_http_is_its_file(void **state)
{
    (void)state;
    check_embedded("http", tine_source_http, tine_source_http_SIZE);
}

static void test_ngx_is_its_file(void **state)
{
    (void)state;
    check_embedded("ngx", tine_source_ngx, tine_source_ngx_SIZE);
}

/* The text compiles, and its chunk returns the module table. */
static void test_http_source_compiles(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    luaL_openlibs(L);
    assert_int_equal(luaL_loadbuffer(L, (const char *)tine_source_http,
                                     tine_source_http_SIZE,
                                     "@lua/tine/http.lua"), 0);
    assert_int_equal(lua_pcall(L, 0, 1, 0), 0);
    lua_getfield(L, -1, "bind");
    assert_int_equal(lua_type(L, -1), LUA_TFUNCTION);
    lua_close(L);
}

/* tine.ngx's text compiles (running it needs the tine module). */
static void test_ngx_source_compiles(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    assert_int_equal(luaL_loadbuffer(L, (const char *)tine_source_ngx,
                                     tine_source_ngx_SIZE,
                                     "@lua/tine/ngx.lua"), 0);
    assert_int_equal(lua_type(L, -1), LUA_TFUNCTION);
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_is_its_file),
        cmocka_unit_test(test_ngx_is_its_file),
        cmocka_unit_test(test_http_source_compiles),
        cmocka_unit_test(test_ngx_source_compiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
