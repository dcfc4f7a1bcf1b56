/* test_settings_set.c: setting one value: what is accepted, what is
 * refused and with which message, list semantics, copies. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "settings.h"

#include "settings_fixture.h"
#include "test_util.h"

/* ---- setters: values accepted ------------------------------------------ */

/* Text is parsed per type: whole numbers, fractions, booleans, enums. */
static void test_set_text_accepts(void **state)
{
    struct settings *s = *state;
    set(s, "Port", "0", SOURCE_FLAG);
    assert_int_equal(s->port, 0);
    set(s, "Port", "65535", SOURCE_FLAG);
    assert_int_equal(s->port, 65535);
    set(s, "MasterHeartBeatTime", "0.25", SOURCE_FLAG);
    assert_float_equal(s->master_heart_beat_time, 0.25, 0);
    set(s, "Daemonize", "true", SOURCE_FLAG);
    assert_int_equal(s->daemonize, 1);
    set(s, "Daemonize", "0", SOURCE_FLAG);
    assert_int_equal(s->daemonize, 0);
    set(s, "Daemonize", "1", SOURCE_FLAG);
    assert_int_equal(s->daemonize, 1);
    set(s, "Daemonize", "false", SOURCE_FLAG);
    assert_int_equal(s->daemonize, 0);
    set(s, "Filter", "stream", SOURCE_FLAG);
    assert_int_equal(s->filter, FILTER_STREAM);
    set(s, "LogLevel", "debug", SOURCE_FLAG);
    assert_int_equal(s->log_level, LOG_DEBUG);
    set(s, "LogFile", "/tmp/t.log", SOURCE_FLAG);
    assert_string_equal(s->log_file, "/tmp/t.log");
    assert_int_equal(source(s, "LogFile"), SOURCE_FLAG);
}

/* Flag text goes through digits_decimal (test_digits has its cases): an
 * exponent, leading zeros (not octal) and a bare fraction are read. */
static void test_set_text_decimal(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServer", "1e3", SOURCE_FLAG);
    set(s, "Port", "010", SOURCE_FLAG);
    set(s, "MasterHeartBeatTime", ".5", SOURCE_FLAG);
    assert_int_equal(s->max_server, 1000);
    assert_int_equal(s->port, 10);
    assert_float_equal(s->master_heart_beat_time, 0.5, 0);
}

/* A hexadecimal number is refused, not read as its value: the message
 * names the setting and quotes the text. */
static void test_set_text_hex_refused(void **state)
{
    struct settings *s = *state;
    char err[256] = "";
    assert_int_equal(settings_set_text(s, def_of("Port"), "0x7d01",
                                       SOURCE_FLAG, err, sizeof(err)), -1);
    assert_string_equal(err, "Port: expected a whole number, got \"0x7d01\"");
    assert_int_equal(s->port, 10000);
}

/* The typed setters store what they are given, with its source. */
static void test_typed_setters(void **state)
{
    struct settings *s = *state;
    char err[256];
    assert_int_equal(settings_set_number(s, def_of("MaxServer"), 8,
                                         SOURCE_SCRIPT, err, sizeof(err)), 0);
    assert_int_equal(s->max_server, 8);
    assert_int_equal(source(s, "MaxServer"), SOURCE_SCRIPT);
    assert_int_equal(settings_set_bool(s, def_of("Daemonize"), 5,
                                       SOURCE_SCRIPT, err, sizeof(err)), 0);
    assert_int_equal(s->daemonize, 1);
    assert_int_equal(settings_set_string(s, def_of("User"), "nobody",
                                         SOURCE_SCRIPT, err, sizeof(err)), 0);
    assert_string_equal(s->user, "nobody");
    /* a string for a number setting is parsed as text */
    assert_int_equal(settings_set_string(s, def_of("MaxServer"), "9",
                                         SOURCE_FLAG, err, sizeof(err)), 0);
    assert_int_equal(s->max_server, 9);
}

/* ---- setters: refusals ------------------------------------------------- */

struct text_case {
    const char *name;
    const char *text;
};

/* Every malformed text is refused with -1, a message naming the setting,
 * and the setting left as it was. */
static void test_set_text_refusals(void **state)
{
    static const struct text_case cases[] = {
        {"MaxServer", "-1"},          {"StartServer", "-3"},
        {"MinServer", "-1"},          {"MaxSpareServer", "-2"},
        {"MaxSessionPerServer", "-1"}, {"MaxServer", "2.5"},
        {"MaxServer", "abc"},         {"MaxServer", ""},
        {"MaxServer", "5x"},          {"MaxServer", "inf"},
        {"MaxServer", "nan"},         {"MaxServer", "0"},
        {"MasterHeartBeatTime", "0"}, {"MasterHeartBeatTime", "-1"},
        {"MasterHeartBeatTime", "0.005"}, {"ServerHeartBeatTime", "0.001"},
        {"IdleTimeout", "NaN"},       {"MaxLuaMemory", "-1"},
        {"ServerHeartBeatTime", "0"}, {"MaxServerExpireTime", "0"},
        {"Port", "65536"},            {"Port", "-1"},
        {"Port", "80.5"},             {"Filter", "lines"},
        {"Filter", "LINE"},           {"LogLevel", "verbose"},
        {"LogLevel", ""},             {"Address", ""},
        {"Listen", ""},               {"LogFile", ""},
        {"Daemonize", "maybe"},       {"Daemonize", ""},
        {"MaxLineLength", "0"},       {"MaxOutputBuffer", "0"},
        {"MaxServerLifeTime", "-5"},  {"GraceExpireTime", "-1"},
        {"MaxServerMemory", "-1"},    {"MaxServerMemory", "1.5"},
        {"RecycleJitter", "1.5"},     {"RecycleJitter", "-0.1"},
        {"Port", "0x50"},             {"MaxServer", "0x7d01"},
        {"MasterHeartBeatTime", "0x1p-2"}, {"RecycleJitter", "nan"},
        {"MasterHeartBeatTime", "infinity"}, {"MaxServer", " 8"},
        {"MaxServer", "8 "},          {"MaxServerLifeTime", "1e400"},
        {"MaxServer", "+"},           {"MasterHeartBeatTime", "."},
        {"MaxServer", "1e"},          {"MasterHeartBeatTime", "1.5.2"},
    };
    struct settings *s = *state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        const struct setting_def *def = def_of(cases[i].name);
        int rc = settings_set_text(s, def, cases[i].text, SOURCE_FLAG, err,
                                   sizeof(err));
        if (rc != -1)
            fail_msg("%s = \"%s\" was accepted", cases[i].name, cases[i].text);
        assert_contains(err, cases[i].name);
        assert_int_equal(source(s, cases[i].name), SOURCE_DEFAULT);
    }
    finish_ok(s);
    assert_int_equal(s->max_server, 20);
    assert_int_equal(s->port, 10000);
    assert_int_equal(s->filter, FILTER_LINE);
    assert_string_equal(s->address, "127.0.0.1");
}

struct number_case {
    const char *name;
    double value;
};

/* Numbers out of range, not whole, not finite, or for a setting that is
 * not a number are refused by settings_set_number. */
static void test_set_number_refusals(void **state)
{
    static const struct number_case cases[] = {
        {"MaxServer", -1},          {"MaxServer", 2.5},
        {"MaxServer", 0},           {"MaxServer", 1e12},
        {"MasterHeartBeatTime", 0}, {"ServerHeartBeatTime", -0.5},
        {"Port", 70000},            {"Port", -1},
        {"Address", 5},             {"Listen", 3},
        {"Filter", 1},              {"Daemonize", 1},
        {"LogFile", 0},
    };
    struct settings *s = *state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        int rc = settings_set_number(s, def_of(cases[i].name), cases[i].value,
                                     SOURCE_SCRIPT, err, sizeof(err));
        if (rc != -1)
            fail_msg("%s = %g was accepted", cases[i].name, cases[i].value);
        assert_contains(err, cases[i].name);
        assert_int_equal(source(s, cases[i].name), SOURCE_DEFAULT);
    }
}

/* NaN and infinities are refused for number settings. */
static void test_set_number_not_finite(void **state)
{
    struct settings *s = *state;
    char err[256] = "";
    assert_int_equal(settings_set_number(s, def_of("MasterHeartBeatTime"),
                                         NAN, SOURCE_SCRIPT, err, sizeof(err)),
                     -1);
    assert_contains(err, "MasterHeartBeatTime");
    err[0] = '\0';
    assert_int_equal(settings_set_number(s, def_of("MaxServerLifeTime"),
                                         INFINITY, SOURCE_SCRIPT, err,
                                         sizeof(err)), -1);
    assert_contains(err, "MaxServerLifeTime");
    assert_float_equal(s->master_heart_beat_time, 10, 0);
}

/* A boolean is refused by every setting that is not a boolean. */
static void test_set_bool_refusals(void **state)
{
    static const char *const names[] = {"Address", "MaxServer", "Listen",
                                        "MasterHeartBeatTime", "Filter",
                                        "LogFile"};
    struct settings *s = *state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char err[256] = "";
        assert_int_equal(settings_set_bool(s, def_of(names[i]), 1,
                                           SOURCE_SCRIPT, err, sizeof(err)),
                         -1);
        assert_contains(err, names[i]);
        assert_contains(err, "boolean");
    }
}

/* A bad enum value's message names the setting and lists the choices. */
static void test_enum_refusal_lists_choices(void **state)
{
    struct settings *s = *state;
    char err[256] = "";
    assert_int_equal(settings_set_string(s, def_of("LogLevel"), "loud",
                                         SOURCE_SCRIPT, err, sizeof(err)), -1);
    assert_contains(err, "LogLevel");
    assert_contains(err, "\"loud\"");
    assert_contains(err, "\"error\"");
    assert_contains(err, "\"debug\"");
    assert_int_equal(s->log_level, LOG_INFO);
}

/* ---- lists ------------------------------------------------------------- */

/* Values from one source append; the first from a new source replaces the
 * list, and later ones from that source append again. */
static void test_list_sources(void **state)
{
    struct settings *s = *state;
    set(s, "Listen", "a:1", SOURCE_SCRIPT);
    set(s, "Listen", "b:2", SOURCE_SCRIPT);
    assert_int_equal(s->listen.n, 2);
    assert_string_equal(s->listen.items[0], "a:1");
    assert_string_equal(s->listen.items[1], "b:2");
    set(s, "Listen", "c:3", SOURCE_FLAG);
    assert_int_equal(s->listen.n, 1);
    assert_string_equal(s->listen.items[0], "c:3");
    set(s, "Listen", "d:4", SOURCE_FLAG);
    assert_int_equal(s->listen.n, 2);
    assert_string_equal(s->listen.items[1], "d:4");
    assert_int_equal(source(s, "Listen"), SOURCE_FLAG);
}

/* Lists are independent of each other. */
static void test_lists_independent(void **state)
{
    struct settings *s = *state;
    set(s, "Allow", "10.0.0.0/8", SOURCE_SCRIPT);
    set(s, "Deny", "10.1.0.0/16", SOURCE_FLAG);
    set(s, "Allow", "::1", SOURCE_SCRIPT);
    assert_int_equal(s->allow.n, 2);
    assert_int_equal(s->deny.n, 1);
    assert_int_equal(s->listen.n, 0);
    assert_string_equal(s->deny.items[0], "10.1.0.0/16");
}

/* ---- copy -------------------------------------------------------------- */

/* settings_copy_one copies value and source, deeply for strings and lists,
 * and leaves the other settings alone. */
static void test_copy_one(void **state)
{
    struct settings *dst = *state, src;
    settings_init(&src);
    set(&src, "MaxServer", "7", SOURCE_FLAG);
    set(&src, "LogFile", "/tmp/a.log", SOURCE_SCRIPT);
    set(&src, "Deny", "1.2.3.4", SOURCE_SCRIPT);
    set(&src, "Deny", "5.6.7.8", SOURCE_SCRIPT);
    set(&src, "Port", "81", SOURCE_SCRIPT);
    set(dst, "Deny", "9.9.9.9", SOURCE_FLAG);
    settings_copy_one(dst, &src, def_of("MaxServer"));
    settings_copy_one(dst, &src, def_of("LogFile"));
    settings_copy_one(dst, &src, def_of("Deny"));
    settings_free(&src);   /* the copies must not share memory with src */
    assert_int_equal(dst->max_server, 7);
    assert_int_equal(source(dst, "MaxServer"), SOURCE_FLAG);
    assert_string_equal(dst->log_file, "/tmp/a.log");
    assert_int_equal(source(dst, "LogFile"), SOURCE_SCRIPT);
    assert_int_equal(dst->deny.n, 2);
    assert_string_equal(dst->deny.items[0], "1.2.3.4");
    assert_string_equal(dst->deny.items[1], "5.6.7.8");
    assert_int_equal(source(dst, "Deny"), SOURCE_SCRIPT);
    assert_int_equal(dst->port, 10000);
    assert_int_equal(source(dst, "Port"), SOURCE_DEFAULT);
}

/* Copying an unset string gives NULL; copying a default keeps DEFAULT. */
static void test_copy_one_unset(void **state)
{
    struct settings *dst = *state, src;
    settings_init(&src);
    set(dst, "PidFile", "/tmp/p", SOURCE_SCRIPT);
    settings_copy_one(dst, &src, def_of("PidFile"));
    settings_copy_one(dst, &src, def_of("Daemonize"));
    settings_copy_one(dst, &src, def_of("MasterHeartBeatTime"));
    settings_free(&src);
    assert_null(dst->pid_file);
    assert_int_equal(source(dst, "PidFile"), SOURCE_DEFAULT);
    assert_int_equal(dst->daemonize, 0);
    assert_float_equal(dst->master_heart_beat_time, 10, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_set_text_accepts),
        T(test_set_text_decimal),
        T(test_set_text_hex_refused),
        T(test_typed_setters),
        T(test_set_text_refusals),
        T(test_set_number_refusals),
        T(test_set_number_not_finite),
        T(test_set_bool_refusals),
        T(test_enum_refusal_lists_choices),
        T(test_list_sources),
        T(test_lists_independent),
        T(test_copy_one),
        T(test_copy_one_unset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
