/* test_settings_check.c: settings that contradict each other, whom
 * settings_finish blames, and TTIN / TTOU resizing. */
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
         {{"ServerHeartBeatTime", "50", SOURCE_FLAG},
          {"MaxServerExpireTime", "50", SOURCE_SCRIPT}},
         "ServerHeartBeatTime", "MaxServerExpireTime", SOURCE_FLAG},
        {"ServerHeartBeatTime > MaxServerExpireTime",
         {{"ServerHeartBeatTime", "60", SOURCE_SCRIPT},
          {"MaxServerExpireTime", "50", SOURCE_SCRIPT}},
         "ServerHeartBeatTime", "MaxServerExpireTime", SOURCE_SCRIPT},
        {"MaxServerExpireTime flag below ServerHeartBeatTime script",
         {{"ServerHeartBeatTime", "5", SOURCE_SCRIPT},
          {"MaxServerExpireTime", "3", SOURCE_FLAG}},
         "ServerHeartBeatTime", "MaxServerExpireTime", SOURCE_FLAG},
        {"SSLKEYCERT with one entry",
         {{"SSLKEYCERT", "/k.pem", SOURCE_SCRIPT}},
         "SSLKEYCERT", "{ key, cert }", SOURCE_SCRIPT},
        {"TLSKey without TLSCertificate",
         {{"TLSKey", "/k.pem", SOURCE_FLAG}},
         "TLSCertificate", "TLSKey", SOURCE_FLAG},
        {"TLSCertificate without TLSKey",
         {{"TLSCertificate", "/c.pem", SOURCE_SCRIPT}},
         "TLSKey", "TLSCertificate", SOURCE_SCRIPT},
        {"MaxServer flag below StartServer script",
         {{"StartServer", "5", SOURCE_SCRIPT}, {"MaxServer", "3", SOURCE_FLAG}},
         "StartServer", "MaxServer", SOURCE_FLAG},
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

/* Only values the user gave are refused: a --max-server flag below the
 * defaults brings StartServer, MinServer and MinSpareServer within it. */
static void test_finish_defaults_follow_max_server(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServer", "3", SOURCE_FLAG);
    finish_ok(s);
    assert_int_equal(s->start_server, 3);
    assert_int_equal(s->min_server, 3);
    assert_int_equal(s->min_spare_server, 3);
    assert_int_equal(s->max_spare_server, 0);
}

/* A given MinServer stays and a derived StartServer is still capped. */
static void test_finish_defaults_follow_given_min_server(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServer", "4", SOURCE_FLAG);
    set(s, "MinServer", "2", SOURCE_SCRIPT);
    finish_ok(s);
    assert_int_equal(s->start_server, 4);
    assert_int_equal(s->min_server, 2);
    assert_int_equal(s->max_spare_server, 2);
    assert_int_equal(s->min_spare_server, 2);
}

/* A given MaxServerExpireTime below the derived ServerHeartBeatTime pulls
 * the heartbeat under it; a given ServerHeartBeatTime above the derived
 * MaxServerExpireTime pushes the expiry over it. */
static void test_finish_derived_times_follow_given(void **state)
{
    struct settings *s = *state;
    set(s, "MaxServerExpireTime", "3", SOURCE_FLAG);
    finish_ok(s);
    assert_float_equal(s->server_heart_beat_time, 1.5, 0);
    settings_free(s);
    settings_init(s);
    set(s, "ServerHeartBeatTime", "60", SOURCE_FLAG);
    finish_ok(s);
    assert_true(s->max_server_expire_time > 60);
    assert_float_equal(s->grace_expire_time, s->max_server_expire_time, 0);
}

/* SSLKEYCERT = { key, cert } fills TLSKey and TLSCertificate where they
 * are not given; a given one wins. */
static void test_finish_sslkeycert(void **state)
{
    struct settings *s = *state;
    set(s, "SSLKEYCERT", "/k.pem", SOURCE_SCRIPT);
    set(s, "SSLKEYCERT", "/c.pem", SOURCE_SCRIPT);
    set(s, "TLSCertificate", "/given.pem", SOURCE_FLAG);
    finish_ok(s);
    assert_string_equal(s->tls_key, "/k.pem");
    assert_string_equal(s->tls_certificate, "/given.pem");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_finish_contradictions),
        T(test_finish_start_server_flag_blamed),
        T(test_finish_defaults_follow_max_server),
        T(test_finish_sslkeycert),
        T(test_finish_defaults_follow_given_min_server),
        T(test_finish_derived_times_follow_given),
        T(test_finish_edges_accepted),
        T(test_finish_null_culprit),
        T(test_resize_up),
        T(test_resize_down),
        T(test_resize_floor),
        T(test_resize_min_spare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
