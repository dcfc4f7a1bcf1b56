/* test_settings.c: the settings table: defaults, derivations, setters and
 * their refusals, contradictions, list semantics, flag names, printing and
 * near misses. */
#include <math.h>
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

#include "test_util.h"

/* The definition named `name`; fails the test if there is none. */
static const struct setting_def *def_of(const char *name)
{
    const struct setting_def *def = settings_find(name);
    if (!def) fail_msg("no setting named %s", name);
    return def;
}

/* The source recorded for setting `name`. */
static enum setting_source source(const struct settings *s, const char *name)
{
    return s->source[def_of(name) - settings_table];
}

/* Set `name` from text; the test fails if it is refused. */
static void set(struct settings *s, const char *name, const char *text,
                enum setting_source src)
{
    char err[256] = "";
    if (settings_set_text(s, def_of(name), text, src, err, sizeof(err)) < 0)
        fail_msg("%s = %s refused: %s", name, text, err);
}

/* settings_finish, which must succeed. */
static void finish_ok(struct settings *s)
{
    char err[256] = "";
    if (settings_finish(s, err, sizeof(err), NULL) < 0)
        fail_msg("settings_finish refused: %s", err);
}

/* Test fixture: a fresh settings struct, freed after the test. */
static int setup(void **state)
{
    struct settings *s = malloc(sizeof(*s));
    if (!s) return -1;
    settings_init(s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    settings_free(*state);
    free(*state);
    return 0;
}

/* ---- defaults ---------------------------------------------------------- */

/* The table has the 27 settings of the contract, the 2 of recycling
 * (MaxServerMemory, RecycleJitter), Resolver, MaxLuaMemory and IdleTimeout; a new one needs its
 * default checked below. */
static void test_table_size(void **state)
{
    (void)state;
    assert_int_equal(settings_count, 32);
}

/* Every setting's default after settings_init and settings_finish. */
static void test_defaults(void **state)
{
    struct settings *s = *state;
    finish_ok(s);
    assert_int_equal(s->port, 10000);
    assert_string_equal(s->address, "127.0.0.1");
    assert_int_equal(s->listen.n, 0);
    assert_int_equal(s->max_server, 20);
    assert_int_equal(s->start_server, 5);
    assert_int_equal(s->min_server, 5);
    assert_int_equal(s->min_spare_server, 5);
    assert_int_equal(s->max_spare_server, 15);
    assert_true(s->master_heart_beat_time == 10);
    assert_true(s->server_heart_beat_time == 5);
    assert_int_equal(s->max_session_per_server, 0);
    assert_true(s->max_server_expire_time == 50);
    assert_true(s->grace_expire_time == 50);
    assert_true(s->max_server_spare_time == 0);
    assert_true(s->max_server_life_time == 0);
    assert_int_equal(s->max_server_life_times, 0);
    assert_int_equal(s->max_server_memory, 0);
    assert_true(s->recycle_jitter == 0.1);
    assert_string_equal(s->filter, "line");
    assert_int_equal(s->max_line_length, 65536);
    assert_string_equal(s->log_level, "info");
    assert_null(s->log_file);
    assert_null(s->pid_file);
    assert_null(s->user);
    assert_null(s->group);
    assert_int_equal(s->allow.n, 0);
    assert_int_equal(s->deny.n, 0);
    assert_int_equal(s->max_output_buffer, 1048576);
    assert_int_equal(s->daemonize, 0);
    assert_int_equal(s->resolver.n, 0);
    assert_int_equal(s->max_lua_memory, 0);
    assert_true(s->idle_timeout == 0);
}

/* After settings_init every source is SOURCE_DEFAULT, and settings_finish
 * does not change that for derived settings. */
static void test_default_sources(void **state)
{
    struct settings *s = *state;
    finish_ok(s);
    for (int i = 0; i < settings_count; i++)
        assert_int_equal(s->source[i], SOURCE_DEFAULT);
}

/* ---- derivations ------------------------------------------------------- */

/* MinServer follows StartServer; MaxSpareServer = MaxServer - MinServer;
 * MinSpareServer = MinServer. */
static void test_derive_pool_sizes(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServer", "12", SOURCE_SCRIPT);
    set(s, "StartServer", "4", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(s->min_server, 4);
    assert_int_equal(s->max_spare_server, 8);
    assert_int_equal(s->min_spare_server, 4);
}

/* An explicit MinServer (not StartServer) feeds the spare derivations. */
static void test_derive_from_explicit_min_server(void **state)
{
    struct settings *s = *state;
    set(s, "MinServer", "3", SOURCE_FLAG);
    finish_ok(s);
    assert_int_equal(s->min_server, 3);
    assert_int_equal(s->max_spare_server, 17);
    assert_int_equal(s->min_spare_server, 3);
}

/* A derived MinSpareServer is capped at a MaxSpareServer above 0. */
static void test_derive_min_spare_capped(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServer", "6", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(s->min_server, 5);
    assert_int_equal(s->max_spare_server, 1);
    assert_int_equal(s->min_spare_server, 1);
}

/* No cap when MaxSpareServer is 0 (derived: MaxServer == MinServer). */
static void test_derive_min_spare_uncapped_at_zero(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServer", "5", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(s->max_spare_server, 0);
    assert_int_equal(s->min_spare_server, 5);
}

/* No cap either when MaxSpareServer is an explicit 0. */
static void test_derive_min_spare_with_explicit_zero_max_spare(void **state)
{
    struct settings *s = *state;
    set(s, "MaxSpareServer", "0", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(s->max_spare_server, 0);
    assert_int_equal(s->min_spare_server, 5);
}

/* An explicit MinSpareServer is not capped by a derived MaxSpareServer
 * quietly: it is kept when it fits. */
static void test_explicit_min_spare_kept(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServer", "10", SOURCE_SCRIPT);
    set(s, "MinSpareServer", "5", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(s->max_spare_server, 5);
    assert_int_equal(s->min_spare_server, 5);
    assert_int_equal(source(s, "MinSpareServer"), SOURCE_SCRIPT);
}

/* The times follow MasterHeartBeatTime: /2, x5, and Grace = Expire. */
static void test_derive_times(void **state)
{
    struct settings *s = *state;
    set(s, "MasterHeartBeatTime", "0.5", SOURCE_FLAG);
    finish_ok(s);
    assert_float_equal(s->server_heart_beat_time, 0.25, 1e-12);
    assert_float_equal(s->max_server_expire_time, 2.5, 1e-12);
    assert_float_equal(s->grace_expire_time, 2.5, 1e-12);
}

/* GraceExpireTime follows an explicit MaxServerExpireTime. */
static void test_derive_grace_from_explicit_expire(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServerExpireTime", "30", SOURCE_SCRIPT);
    finish_ok(s);
    assert_float_equal(s->max_server_expire_time, 30, 0);
    assert_float_equal(s->grace_expire_time, 30, 0);
    assert_float_equal(s->server_heart_beat_time, 5, 0);
}

/* Explicit values, from the script or a flag, are never overwritten by a
 * derivation, and keep their source. */
static void test_explicit_not_overwritten(void **state)
{
    struct settings *s = *state;
    set(s, "MinServer", "2", SOURCE_SCRIPT);
    set(s, "MaxSpareServer", "7", SOURCE_FLAG);
    set(s, "MinSpareServer", "1", SOURCE_SCRIPT);
    set(s, "ServerHeartBeatTime", "3", SOURCE_FLAG);
    set(s, "MaxServerExpireTime", "40", SOURCE_SCRIPT);
    set(s, "GraceExpireTime", "60", SOURCE_FLAG);
    finish_ok(s);
    assert_int_equal(s->min_server, 2);
    assert_int_equal(s->max_spare_server, 7);
    assert_int_equal(s->min_spare_server, 1);
    assert_float_equal(s->server_heart_beat_time, 3, 0);
    assert_float_equal(s->max_server_expire_time, 40, 0);
    assert_float_equal(s->grace_expire_time, 60, 0);
    assert_int_equal(source(s, "MinServer"), SOURCE_SCRIPT);
    assert_int_equal(source(s, "MaxSpareServer"), SOURCE_FLAG);
    assert_int_equal(source(s, "GraceExpireTime"), SOURCE_FLAG);
}

/* An explicit 0 stays 0: it is never read as "use the default". */
static void test_explicit_zero_stays_zero(void **state)
{
    struct settings *s = *state;
    set(s, "MinServer", "0", SOURCE_SCRIPT);
    set(s, "MaxSpareServer", "0", SOURCE_SCRIPT);
    set(s, "MinSpareServer", "0", SOURCE_FLAG);
    set(s, "MaxSessionPerServer", "0", SOURCE_SCRIPT);
    set(s, "GraceExpireTime", "0", SOURCE_SCRIPT);
    set(s, "MaxServerSpareTime", "0", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(s->min_server, 0);
    assert_int_equal(s->max_spare_server, 0);
    assert_int_equal(s->min_spare_server, 0);
    assert_int_equal(s->max_session_per_server, 0);
    assert_float_equal(s->grace_expire_time, 0, 0);
    assert_float_equal(s->max_server_spare_time, 0, 0);
}

/* A non-zero MaxSessionPerServer and recycling limits are kept. */
static void test_limits_kept(void **state)
{
    struct settings *s = *state;
    set(s, "MaxSessionPerServer", "100", SOURCE_SCRIPT);
    set(s, "MaxServerLifeTime", "3600", SOURCE_SCRIPT);
    set(s, "MaxServerLifeTimes", "1000", SOURCE_FLAG);
    set(s, "MaxServerSpareTime", "2.5", SOURCE_FLAG);
    finish_ok(s);
    assert_int_equal(s->max_session_per_server, 100);
    assert_float_equal(s->max_server_life_time, 3600, 0);
    assert_int_equal(s->max_server_life_times, 1000);
    assert_float_equal(s->max_server_spare_time, 2.5, 0);
}

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
    set(s, "MasterHeartBeatTime", "0.01", SOURCE_FLAG);  /* the floor */
    assert_float_equal(s->master_heart_beat_time, 0.01, 0);
    set(s, "MaxServerLifeTime", " 1.5e2 ", SOURCE_FLAG);
    assert_float_equal(s->max_server_life_time, 150, 0);
    set(s, "MaxServerLifeTime", ".5", SOURCE_FLAG);
    assert_float_equal(s->max_server_life_time, 0.5, 0);
    set(s, "Daemonize", "true", SOURCE_FLAG);
    assert_int_equal(s->daemonize, 1);
    set(s, "Daemonize", "0", SOURCE_FLAG);
    assert_int_equal(s->daemonize, 0);
    set(s, "Daemonize", "1", SOURCE_FLAG);
    assert_int_equal(s->daemonize, 1);
    set(s, "Daemonize", "false", SOURCE_FLAG);
    assert_int_equal(s->daemonize, 0);
    set(s, "Filter", "stream", SOURCE_FLAG);
    assert_string_equal(s->filter, "stream");
    set(s, "LogLevel", "debug", SOURCE_FLAG);
    assert_string_equal(s->log_level, "debug");
    set(s, "LogFile", "/tmp/t.log", SOURCE_FLAG);
    assert_string_equal(s->log_file, "/tmp/t.log");
    assert_int_equal(source(s, "LogFile"), SOURCE_FLAG);
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
        {"Port", "0x7d01"},           {"MaxServer", "1e"},
        {"MaxServer", "+"},           {"MaxServer", "."},
        {"MasterHeartBeatTime", "0.005"}, {"ServerHeartBeatTime", "0.001"},
        {"IdleTimeout", "NaN"},       {"MaxServerLifeTime", "infinity"},
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
    assert_string_equal(s->filter, "line");
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
        {"MasterHeartBeatTime", 0.005},
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
    assert_contains(err, "got NaN");  /* never "-nan" */
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
    assert_string_equal(s->log_level, "info");
}

/* ---- contradictions ---------------------------------------------------- */

struct finish_case {
    const char *what;
    struct {
        const char *name, *text;
        enum setting_source src;
    } set[3];
    const char *names;        /* the setting the message must start with */
    const char *mentions;     /* and another text it must contain, or NULL */
    enum setting_source culprit;
};

/* Apply one case's values and run settings_finish: it must refuse with a
 * message starting with the offending setting and report that setting's
 * source as the culprit. */
static void check_finish_case(const struct finish_case *c)
{
    struct settings s;
    char err[256] = "", prefix[64];
    enum setting_source culprit = (enum setting_source)-1;
    settings_init(&s);
    for (int k = 0; k < 3 && c->set[k].name; k++)
        set(&s, c->set[k].name, c->set[k].text, c->set[k].src);
    int rc = settings_finish(&s, err, sizeof(err), &culprit);
    settings_free(&s);
    if (rc != -1) fail_msg("%s: accepted", c->what);
    snprintf(prefix, sizeof(prefix), "%s:", c->names);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("%s: \"%s\" does not start with \"%s\"", c->what, err,
                 prefix);
    if (c->mentions) assert_contains(err, c->mentions);
    if (culprit != c->culprit)
        fail_msg("%s: culprit source %d, expected %d", c->what, (int)culprit,
                 (int)c->culprit);
}

/* The contradictions settings_finish refuses, with the culprit's source. */
static void test_finish_contradictions(void **state)
{
    static const struct finish_case cases[] = {
        {"MinServer > MaxServer (script)",
         {{"MinServer", "30", SOURCE_SCRIPT}},
         "MinServer", "MaxServer", SOURCE_SCRIPT},
        {"MinServer > MaxServer (flag)",
         {{"MinServer", "21", SOURCE_FLAG}},
         "MinServer", "MaxServer", SOURCE_FLAG},
        {"StartServer > MaxServer, MinServer explicit",
         {{"MinServer", "2", SOURCE_SCRIPT}, {"StartServer", "8", SOURCE_FLAG},
          {"MaxServer", "6", SOURCE_SCRIPT}},
         "StartServer", "MaxServer", SOURCE_FLAG},
        {"StartServer > MaxServer, both script",
         {{"MinServer", "1", SOURCE_SCRIPT},
          {"StartServer", "30", SOURCE_SCRIPT}},
         "StartServer", NULL, SOURCE_SCRIPT},
        {"MinSpareServer > MaxServer",
         {{"MinSpareServer", "25", SOURCE_FLAG}},
         "MinSpareServer", "MaxServer", SOURCE_FLAG},
        {"explicit MinSpareServer > derived MaxSpareServer",
         {{"MinSpareServer", "16", SOURCE_SCRIPT}},
         "MinSpareServer", "MaxSpareServer", SOURCE_SCRIPT},
        {"explicit MinSpareServer > explicit MaxSpareServer",
         {{"MinSpareServer", "8", SOURCE_FLAG},
          {"MaxSpareServer", "4", SOURCE_SCRIPT}},
         "MinSpareServer", "MaxSpareServer", SOURCE_FLAG},
        {"ServerHeartBeatTime == MaxServerExpireTime",
         {{"ServerHeartBeatTime", "50", SOURCE_FLAG}},
         "ServerHeartBeatTime", "MaxServerExpireTime", SOURCE_FLAG},
        {"ServerHeartBeatTime > MaxServerExpireTime",
         {{"ServerHeartBeatTime", "60", SOURCE_SCRIPT}},
         "ServerHeartBeatTime", "MaxServerExpireTime", SOURCE_SCRIPT},
        {"Port 0 and no Listen (flag)",
         {{"Port", "0", SOURCE_FLAG}},
         "Port", "Listen", SOURCE_FLAG},
        {"Port 0 and no Listen (script)",
         {{"Port", "0", SOURCE_SCRIPT}},
         "Port", "Listen", SOURCE_SCRIPT},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_finish_case(&cases[i]);
}

/* A --start-server flag above MaxServer, with MinServer left to follow it,
 * is the flag's fault: the message names StartServer (the setting the
 * user gave) and the culprit is SOURCE_FLAG (a usage error, exit 2), not
 * the derived MinServer with SOURCE_DEFAULT. */
static void test_finish_start_server_flag_blamed(void **state)
{
    static const struct finish_case c = {
        "StartServer > MaxServer, MinServer derived",
        {{"StartServer", "30", SOURCE_FLAG}},
        "StartServer", "MaxServer", SOURCE_FLAG};
    (void)state;
    check_finish_case(&c);
}

/* A --max-server-expire-time flag at or below the derived
 * ServerHeartBeatTime is the flag's fault: culprit SOURCE_FLAG.
 * Runtime bug: the culprit is the derived ServerHeartBeatTime's source,
 * SOURCE_DEFAULT, so the error is reported as the script's (exit 1). */
static void test_finish_expire_flag_blamed(void **state)
{
    struct settings *s = *state;
    char err[256] = "";
    enum setting_source culprit = (enum setting_source)-1;
    set(s, "MaxServerExpireTime", "3", SOURCE_FLAG);
    assert_int_equal(settings_finish(s, err, sizeof(err), &culprit), -1);
    assert_contains(err, "MaxServerExpireTime");
    assert_int_equal(culprit, SOURCE_FLAG);
}

/* The contradictions' edges are accepted: MinServer == MaxServer,
 * ServerHeartBeatTime just under MaxServerExpireTime, Port 0 with a
 * Listen entry. */
static void test_finish_edges_accepted(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServer", "5", SOURCE_SCRIPT);
    set(s, "MinServer", "5", SOURCE_SCRIPT);
    set(s, "MinSpareServer", "5", SOURCE_SCRIPT);
    set(s, "ServerHeartBeatTime", "49.5", SOURCE_SCRIPT);
    set(s, "Port", "0", SOURCE_SCRIPT);
    set(s, "Listen", "unix:/tmp/x.sock", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(s->port, 0);
    assert_int_equal(s->listen.n, 1);
}

/* A NULL culprit pointer is allowed. */
static void test_finish_null_culprit(void **state)
{
    struct settings *s = *state;
    char err[256] = "";
    set(s, "MinServer", "30", SOURCE_SCRIPT);
    assert_int_equal(settings_finish(s, err, sizeof(err), NULL), -1);
    assert_contains(err, "MinServer");
}

/* ---- resize (TTIN / TTOU) --------------------------------------------- */

/* TTIN moves MaxServer and MinServer up by one, and a derived
 * MinSpareServer with them; the other settings stay. */
static void test_resize_up(void **state)
{
    struct settings *s = *state;
    finish_ok(s);
    assert_int_equal(settings_resize(s, 1), 0);
    assert_int_equal(s->max_server, 21);
    assert_int_equal(s->min_server, 6);
    assert_int_equal(s->min_spare_server, 6);
    assert_int_equal(s->max_spare_server, 15);
    assert_int_equal(s->start_server, 5);
}

/* TTOU moves them down by one. */
static void test_resize_down(void **state)
{
    struct settings *s = *state;
    finish_ok(s);
    assert_int_equal(settings_resize(s, -1), 0);
    assert_int_equal(s->max_server, 19);
    assert_int_equal(s->min_server, 4);
    assert_int_equal(s->min_spare_server, 4);
}

/* TTOU at MaxServer 1 is refused and changes nothing; MinServer never
 * drops below 1 while MaxServer does move. */
static void test_resize_floor(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServer", "2", SOURCE_SCRIPT);
    set(s, "StartServer", "1", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(settings_resize(s, -1), 0);
    assert_int_equal(s->max_server, 1);
    assert_int_equal(s->min_server, 1);
    assert_int_equal(settings_resize(s, -1), -1);
    assert_int_equal(s->max_server, 1);
    assert_int_equal(s->min_server, 1);
}

/* An explicit MinSpareServer is not moved; a derived one stays capped at
 * MaxSpareServer. */
static void test_resize_min_spare(void **state)
{
    struct settings *s = *state, t;
    set(s, "MinSpareServer", "2", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(settings_resize(s, 1), 0);
    assert_int_equal(s->min_spare_server, 2);
    settings_init(&t);
    set(&t, "MaxServer", "6", SOURCE_SCRIPT);
    finish_ok(&t);
    assert_int_equal(t.min_spare_server, 1);
    assert_int_equal(settings_resize(&t, 1), 0);
    assert_int_equal(t.min_server, 6);
    assert_int_equal(t.min_spare_server, 1);
    settings_free(&t);
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
        "idle-timeout"};
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

/* settings_print's output for s, as a malloc'd string. */
static char *print_to_string(const struct settings *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    settings_print(s, f);
    fclose(f);
    return text;
}

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

/* Set values print too: a two-item list, true, a fraction, and a string
 * with a quote, a backslash and a newline escaped for Lua. */
static void test_print_values(void **state)
{
    struct settings *s = *state;
    set(s, "Allow", "a", SOURCE_SCRIPT);
    set(s, "Allow", "b", SOURCE_SCRIPT);
    set(s, "Daemonize", "true", SOURCE_FLAG);
    set(s, "MasterHeartBeatTime", "0.5", SOURCE_FLAG);
    set(s, "User", "a\"b\\c\nd", SOURCE_SCRIPT);
    finish_ok(s);
    char *text = print_to_string(s);
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

/* A test that gets a fresh settings struct. */
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_table_size),
        T(test_defaults),
        T(test_default_sources),
        T(test_derive_pool_sizes),
        T(test_derive_from_explicit_min_server),
        T(test_derive_min_spare_capped),
        T(test_derive_min_spare_uncapped_at_zero),
        T(test_derive_min_spare_with_explicit_zero_max_spare),
        T(test_explicit_min_spare_kept),
        T(test_derive_times),
        T(test_derive_grace_from_explicit_expire),
        T(test_explicit_not_overwritten),
        T(test_explicit_zero_stays_zero),
        T(test_limits_kept),
        T(test_set_text_accepts),
        T(test_typed_setters),
        T(test_set_text_refusals),
        T(test_set_number_refusals),
        T(test_set_number_not_finite),
        T(test_set_bool_refusals),
        T(test_enum_refusal_lists_choices),
        T(test_finish_contradictions),
        T(test_finish_start_server_flag_blamed),
        T(test_finish_expire_flag_blamed),
        T(test_finish_edges_accepted),
        T(test_finish_null_culprit),
        T(test_resize_up),
        T(test_resize_down),
        T(test_resize_floor),
        T(test_resize_min_spare),
        T(test_list_sources),
        T(test_lists_independent),
        T(test_copy_one),
        T(test_copy_one_unset),
        T(test_flag_names),
        T(test_find_misses),
        T(test_flag_name_truncates),
        T(test_print_defaults),
        T(test_print_one_line_per_setting),
        T(test_print_values),
        T(test_print_is_lua),
        T(test_near_miss),
        T(test_near_miss_transposition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
