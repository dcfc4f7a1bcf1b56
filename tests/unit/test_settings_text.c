/* test_settings_text.c: names and flags, `tine --check`'s listing, near
 * misses, and the help and README texts made from the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "settings.h"

#include "settings_fixture.h"
#include "test_util.h"

/* ---- names and flags --------------------------------------------------- */

/* Every setting's flag, in table order, and settings_find_flag back to the
 * same definition. */
static void test_flag_names(void **state)
{
    static const char *const flags[] = {
        "port", "address", "listen", "max-server", "start-server",
        "min-server", "min-spare-server", "max-spare-server",
        "master-heart-beat-time", "server-heart-beat-time",
        "max-session-per-server", "max-server-expire-time",
        "grace-expire-time", "max-server-spare-time", "max-server-life-time",
        "max-server-life-times", "max-server-memory", "recycle-jitter",
        "filter", "max-line-length", "log-level",
        "log-file", "pid-file", "user", "group", "allow", "deny",
        "max-output-buffer", "daemonize", "resolver", "max-lua-memory",
        "idle-timeout", "max-header-size", "max-body-size", "request-timeout",
        "keep-alive-timeout", "max-keep-alive-requests", "access-log",
        "proxy-protocol", "trusted-proxies", "tls-certificate", "tls-key",
        "sslkeycert", "tls-protocols", "max-dequeue",
        "dequeue-interval", "shared-dict", "status-listen"};
    char buf[64];
    (void)state;
    assert_int_equal(settings_count, (int)(sizeof(flags) / sizeof(flags[0])));
    for (int i = 0; i < settings_count; i++) {
        settings_flag_name(&settings_table[i], buf, sizeof(buf));
        assert_string_equal(buf, flags[i]);
        assert_ptr_equal(settings_find_flag(buf), &settings_table[i]);
        assert_ptr_equal(settings_find(settings_table[i].name),
                         &settings_table[i]);
    }
}

/* Lookups that must find nothing: CamelCase as a flag, snake case, case
 * differences, the empty string. */
static void test_find_misses(void **state)
{
    (void)state;
    assert_null(settings_find_flag("MaxServer"));
    assert_null(settings_find_flag("max_server"));
    assert_null(settings_find_flag("maxserver"));
    assert_null(settings_find_flag(""));
    assert_null(settings_find_flag("check"));
    assert_null(settings_find("maxserver"));
    assert_null(settings_find("max-server"));
    assert_null(settings_find(""));
}

/* A short buffer truncates the flag name and stays terminated. */
static void test_flag_name_truncates(void **state)
{
    char buf[8];
    (void)state;
    memset(buf, 'x', sizeof(buf));
    settings_flag_name(def_of("MasterHeartBeatTime"), buf, sizeof(buf));
    assert_true(memchr(buf, '\0', sizeof(buf)) != NULL);
    assert_int_equal(strncmp(buf, "master-heart", strlen(buf)), 0);
    assert_true(strlen(buf) >= 5);
}

/* ---- printing ---------------------------------------------------------- */

/* Does text hold exactly this line? */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

#define assert_line(text, line)                                             \
    do {                                                                    \
        if (!has_line((text), (line)))                                      \
            fail_msg("no line `%s` in:\n%s", (line), (text));               \
    } while (0)

/* The defaults print as Lua: numbers, quoted strings, {} and nil. */
static void test_print_defaults(void **state)
{
    struct settings *s = *state;
    finish_ok(s);
    char *text = print_to_string(s);
    assert_line(text, "Port = 10000");
    assert_line(text, "Address = \"127.0.0.1\"");
    assert_line(text, "Listen = {}");
    assert_line(text, "LogFile = nil");
    assert_line(text, "Daemonize = false");
    assert_line(text, "Filter = \"line\"");
    assert_line(text, "MasterHeartBeatTime = 10");
    assert_line(text, "ServerHeartBeatTime = 5");
    assert_line(text, "MaxSpareServer = 15");
    assert_line(text, "MaxOutputBuffer = 1048576");
    free(text);
}

/* One line per setting, in table order, each `Name = value`. */
static void test_print_one_line_per_setting(void **state)
{
    struct settings *s = *state;
    finish_ok(s);
    char *text = print_to_string(s), *line = text;
    for (int i = 0; i < settings_count; i++) {
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "%s = ", settings_table[i].name);
        assert_int_equal(strncmp(line, prefix, strlen(prefix)), 0);
        line = strchr(line, '\n');
        assert_non_null(line);
        line++;
    }
    assert_string_equal(line, "");
    free(text);
}

/* Set values print too: a two-item list, true, a fraction, enums by name,
 * and a string with a quote, a backslash and a newline escaped for Lua. */
static void test_print_values(void **state)
{
    struct settings *s = *state;
    set(s, "Allow", "a", SOURCE_SCRIPT);
    set(s, "Allow", "b", SOURCE_SCRIPT);
    set(s, "Daemonize", "true", SOURCE_FLAG);
    set(s, "MasterHeartBeatTime", "0.5", SOURCE_FLAG);
    set(s, "User", "a\"b\\c\nd", SOURCE_SCRIPT);
    set(s, "Filter", "stream", SOURCE_SCRIPT);
    set(s, "LogLevel", "warn", SOURCE_FLAG);
    finish_ok(s);
    char *text = print_to_string(s);
    assert_line(text, "Filter = \"stream\"");
    assert_line(text, "LogLevel = \"warn\"");
    assert_line(text, "Allow = {\"a\", \"b\"}");
    assert_line(text, "Deny = {}");
    assert_line(text, "Daemonize = true");
    assert_line(text, "MasterHeartBeatTime = 0.5");
    assert_line(text, "ServerHeartBeatTime = 0.25");
    assert_line(text, "User = \"a\\\"b\\\\c\\010d\"");
    free(text);
}

/* Run text as a Lua chunk; the state with its globals, or a failed test. */
static lua_State *run_as_lua(const char *text)
{
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    if (luaL_loadbuffer(L, text, strlen(text), "=print") != 0 ||
        lua_pcall(L, 0, 0, 0) != 0)
        fail_msg("settings_print output is not Lua: %s\n%s",
                 lua_tostring(L, -1), text);
    return L;
}

/* The Lua string global `name` equals want (compared with its length). */
static void assert_lua_string(lua_State *L, const char *name,
                              const char *want)
{
    size_t len = 0;
    lua_getglobal(L, name);
    const char *got = lua_tolstring(L, -1, &len);
    if (!got || len != strlen(want) || memcmp(got, want, len) != 0)
        fail_msg("%s reads back as \"%s\" (%zu bytes), expected \"%s\"",
                 name, got ? got : "(not a string)", len, want);
    lua_pop(L, 1);  /* the global */
}

/* settings_print's output, run as Lua, gives back every value: strings with
 * any byte, lists, numbers, booleans, nil. A newline followed by a digit
 * ("x\n1") must not print as "x\101", which Lua reads as "xe".
 * Runtime bug: print_quoted writes control bytes as "\%d" with no padding,
 * so a digit after one is swallowed into the escape. */
static void test_print_is_lua(void **state)
{
    struct settings *s = *state;
    set(s, "User", "x\n1", SOURCE_SCRIPT);
    set(s, "Group", "tab\there\t7 \"q\" \\", SOURCE_SCRIPT);
    set(s, "Listen", "unix:/t", SOURCE_SCRIPT);
    set(s, "Listen", "[::1]:9", SOURCE_SCRIPT);
    finish_ok(s);
    char *text = print_to_string(s);
    lua_State *L = run_as_lua(text);
    free(text);
    assert_lua_string(L, "Address", "127.0.0.1");
    assert_lua_string(L, "Group", "tab\there\t7 \"q\" \\");
    lua_getglobal(L, "Listen");
    assert_int_equal(lua_objlen(L, -1), 2);
    lua_rawgeti(L, -1, 2);
    assert_string_equal(lua_tostring(L, -1), "[::1]:9");
    lua_pop(L, 2);  /* the item and the list */
    lua_getglobal(L, "MaxServer");
    assert_int_equal(lua_tointeger(L, -1), 20);
    lua_getglobal(L, "LogFile");
    assert_true(lua_isnil(L, -1));
    lua_getglobal(L, "Daemonize");
    assert_true(lua_isboolean(L, -1) && !lua_toboolean(L, -1));
    lua_pop(L, 3);  /* MaxServer, LogFile, Daemonize */
    assert_lua_string(L, "User", "x\n1");
    lua_close(L);
}

/* settings_string: a string's value or NULL, an enum's value by name, NULL
 * for a setting of another type (tine.settings pushes these). */
static void test_string_values(void **state)
{
    struct settings *s = *state;
    assert_string_equal(settings_string(s, def_of("Address")), "127.0.0.1");
    assert_null(settings_string(s, def_of("LogFile")));
    assert_string_equal(settings_string(s, def_of("Filter")), "line");
    assert_string_equal(settings_string(s, def_of("LogLevel")), "info");
    set(s, "LogLevel", "error", SOURCE_SCRIPT);
    assert_string_equal(settings_string(s, def_of("LogLevel")), "error");
    assert_null(settings_string(s, def_of("Port")));
    assert_null(settings_string(s, def_of("Listen")));
}

/* ---- help and README texts --------------------------------------------- */

struct doc_case {
    const char *name, *dflt, *usage;
};

/* Defaults as users read them, and each flag as typed: the kind of its
 * value, "..." when it repeats, "[=BOOL]" when it takes no value. */
static void test_default_and_usage_text(void **state)
{
    static const struct doc_case cases[] = {
        {"Port", "10000", "--port PORT"},
        {"Address", "\"127.0.0.1\"", "--address ADDRESS"},
        {"Listen", "none", "--listen ADDRESS..."},
        {"MaxSpareServer", "MaxServer - MinServer", "--max-spare-server N"},
        {"MasterHeartBeatTime", "10", "--master-heart-beat-time SECONDS"},
        {"ServerHeartBeatTime", "MasterHeartBeatTime / 2",
         "--server-heart-beat-time SECONDS"},
        {"RecycleJitter", "0.1", "--recycle-jitter FRACTION"},
        {"MaxServerMemory", "0", "--max-server-memory MIB"},
        {"Filter", "\"line\"", "--filter MODE"},
        {"LogLevel", "\"info\"", "--log-level LEVEL"},
        {"LogFile", "none", "--log-file PATH"},
        {"Deny", "none", "--deny CIDR..."},
        {"MaxOutputBuffer", "1048576", "--max-output-buffer BYTES"},
        {"Daemonize", "false", "--daemonize[=BOOL]"},
    };
    char buf[128];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        settings_default_text(def_of(cases[i].name), buf, sizeof(buf));
        assert_string_equal(buf, cases[i].dflt);
        settings_flag_usage(def_of(cases[i].name), buf, sizeof(buf));
        assert_string_equal(buf, cases[i].usage);
    }
}

/* A setting a reload keeps says so after its meaning; others do not. */
static void test_describe(void **state)
{
    char buf[1024], want[1024];
    (void)state;
    settings_describe(def_of("Listen"), buf, sizeof(buf));
    snprintf(want, sizeof(want), "%s; a reload keeps it: restart to change",
             def_of("Listen")->meaning);
    assert_string_equal(buf, want);
    settings_describe(def_of("MaxServer"), buf, sizeof(buf));
    assert_string_equal(buf, "most children at once");
}

/* The README's table: a header, then one row per setting in table order,
 * each `| Name | `flag` | default | meaning |`. */
static void test_markdown(void **state)
{
    char *text = NULL, row[1400], flag[96], dflt[96], meaning[1024];
    size_t len = 0;
    (void)state;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    settings_markdown(f);
    fclose(f);
    static const char header[] = "| Setting | Flag | Default | Meaning |\n"
                                 "|---|---|---|---|\n";
    const char *line = text;
    assert_int_equal(strncmp(line, header, strlen(header)), 0);
    line += strlen(header);
    for (int i = 0; i < SETTINGS_COUNT; i++) {
        const struct setting_def *def = &settings_table[i];
        settings_flag_usage(def, flag, sizeof(flag));
        settings_default_text(def, dflt, sizeof(dflt));
        settings_describe(def, meaning, sizeof(meaning));
        snprintf(row, sizeof(row), "| %s | `%s` | %s | %s |\n", def->name,
                 flag, dflt, meaning);
        assert_int_equal(strncmp(line, row, strlen(row)), 0);
        line += strlen(row);
    }
    assert_string_equal(line, "");
    free(text);
}

/* ---- near misses ------------------------------------------------------- */

/* Misspellings give the setting meant; exact names and names far from any
 * setting give NULL. */
static void test_near_miss(void **state)
{
    (void)state;
    assert_string_equal(settings_near_miss("MaxServers"), "MaxServer");
    assert_string_equal(settings_near_miss("maxserver"), "MaxServer");
    assert_string_equal(settings_near_miss("MAXSERVER"), "MaxServer");
    assert_string_equal(settings_near_miss("StartServers"), "StartServer");
    assert_string_equal(settings_near_miss("LogLevle"), "LogLevel");
    assert_null(settings_near_miss("MaxServer"));
    assert_null(settings_near_miss("Port"));
    assert_null(settings_near_miss("ClientInput"));
    assert_null(settings_near_miss("ClientConnected"));
    assert_null(settings_near_miss("ChildStart"));
    assert_null(settings_near_miss("Hello"));
}

/* A swapped pair of letters in a short name is a near miss: "Prot" meant
 * "Port". Runtime bug: edit_distance is plain Levenshtein, so a
 * transposition costs 2, above the 1 allowed for names under 8 letters. */
static void test_near_miss_transposition(void **state)
{
    (void)state;
    const char *got = settings_near_miss("Prot");
    if (!got) fail_msg("settings_near_miss(\"Prot\") is NULL, expected Port");
    assert_string_equal(got, "Port");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_flag_names),
        T(test_find_misses),
        T(test_flag_name_truncates),
        T(test_print_defaults),
        T(test_print_one_line_per_setting),
        T(test_print_values),
        T(test_print_is_lua),
        T(test_string_values),
        T(test_default_and_usage_text),
        T(test_describe),
        T(test_markdown),
        T(test_near_miss),
        T(test_near_miss_transposition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
