/* test_settings.c: the settings table itself: its rows, the defaults
 * settings_init takes from it, and the derived defaults. */
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

/* ---- the table --------------------------------------------------------- */

/* The table has the 27 settings of the contract, the 2 of recycling
 * (MaxServerMemory, RecycleJitter), Resolver, MaxLuaMemory, IdleTimeout,
 * HTTP's six, PROXY's two, TLS's four, dequeue's two, SharedDict and
 * StatusListen; a new one needs its default checked below. */
static void test_table_size(void **state)
{
    (void)state;
    assert_int_equal(settings_count, 48);
    assert_int_equal(SETTINGS_COUNT, 48);
}

struct id_case {
    enum setting_id id;
    const char *name;
};

/* Each enum setting_id is the row of the setting it is named for, and every
 * row is filled in: a kind and a meaning for help, choices for an enum, and
 * either a plain default or a derivation, not both. */
static void test_ids_name_their_rows(void **state)
{
    static const struct id_case ids[] = {
        {SET_PORT, "Port"}, {SET_ADDRESS, "Address"}, {SET_LISTEN, "Listen"},
        {SET_MAX_SERVER, "MaxServer"}, {SET_START_SERVER, "StartServer"},
        {SET_MIN_SERVER, "MinServer"},
        {SET_MIN_SPARE_SERVER, "MinSpareServer"},
        {SET_MAX_SPARE_SERVER, "MaxSpareServer"},
        {SET_MASTER_HEART_BEAT_TIME, "MasterHeartBeatTime"},
        {SET_SERVER_HEART_BEAT_TIME, "ServerHeartBeatTime"},
        {SET_MAX_SESSION_PER_SERVER, "MaxSessionPerServer"},
        {SET_MAX_SERVER_EXPIRE_TIME, "MaxServerExpireTime"},
        {SET_GRACE_EXPIRE_TIME, "GraceExpireTime"},
        {SET_MAX_SERVER_SPARE_TIME, "MaxServerSpareTime"},
        {SET_MAX_SERVER_LIFE_TIME, "MaxServerLifeTime"},
        {SET_MAX_SERVER_LIFE_TIMES, "MaxServerLifeTimes"},
        {SET_MAX_SERVER_MEMORY, "MaxServerMemory"},
        {SET_RECYCLE_JITTER, "RecycleJitter"}, {SET_FILTER, "Filter"},
        {SET_MAX_LINE_LENGTH, "MaxLineLength"}, {SET_LOG_LEVEL, "LogLevel"},
        {SET_LOG_FILE, "LogFile"}, {SET_PID_FILE, "PidFile"},
        {SET_USER, "User"}, {SET_GROUP, "Group"}, {SET_ALLOW, "Allow"},
        {SET_DENY, "Deny"}, {SET_MAX_OUTPUT_BUFFER, "MaxOutputBuffer"},
        {SET_DAEMONIZE, "Daemonize"}, {SET_RESOLVER, "Resolver"},
        {SET_MAX_LUA_MEMORY, "MaxLuaMemory"},
        {SET_IDLE_TIMEOUT, "IdleTimeout"},
        {SET_MAX_HEADER_SIZE, "MaxHeaderSize"},
        {SET_MAX_BODY_SIZE, "MaxBodySize"},
        {SET_REQUEST_TIMEOUT, "RequestTimeout"},
        {SET_KEEP_ALIVE_TIMEOUT, "KeepAliveTimeout"},
        {SET_MAX_KEEP_ALIVE_REQUESTS, "MaxKeepAliveRequests"},
        {SET_ACCESS_LOG, "AccessLog"},
        {SET_PROXY_PROTOCOL, "ProxyProtocol"},
        {SET_TRUSTED_PROXIES, "TrustedProxies"},
        {SET_TLS_CERTIFICATE, "TLSCertificate"}, {SET_TLS_KEY, "TLSKey"},
        {SET_SSLKEYCERT, "SSLKEYCERT"}, {SET_TLS_PROTOCOLS, "TLSProtocols"},
        {SET_MAX_DEQUEUE, "MaxDequeue"},
        {SET_DEQUEUE_INTERVAL, "DequeueInterval"},
        {SET_SHARED_DICT, "SharedDict"},
        {SET_STATUS_LISTEN, "StatusListen"}};
    (void)state;
    assert_int_equal(sizeof(ids) / sizeof(ids[0]), SETTINGS_COUNT);
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const struct setting_def *def = settings_def(ids[i].id);
        assert_string_equal(def->name, ids[i].name);
        assert_ptr_equal(settings_find(ids[i].name), def);
        assert_true(def->kind && def->kind[0]);
        assert_true(def->meaning && def->meaning[0]);
        assert_null(strchr(def->meaning, '\n'));
        assert_true((def->type == SETTING_ENUM) == (def->choices != NULL));
        if (def->derivation)
            assert_true(def->dflt == 0 && def->dflt_str == NULL);
    }
}

/* The rows a reload keeps (restart to change) are the listeners' (the
 * status page's included), and
 * settings_keep_fixed copies exactly those. */
static void test_restart_rows_kept(void **state)
{
    struct settings *old = *state, fresh;
    for (int i = 0; i < SETTINGS_COUNT; i++)
        assert_int_equal(settings_table[i].restart,
                         i == SET_PORT || i == SET_ADDRESS || i == SET_LISTEN ||
                         i == SET_STATUS_LISTEN);
    set(old, "Listen", "unix:/a", SOURCE_FLAG);
    settings_init(&fresh);
    set(&fresh, "Port", "81", SOURCE_SCRIPT);
    set(&fresh, "Address", "::1", SOURCE_SCRIPT);
    set(&fresh, "MaxServer", "9", SOURCE_SCRIPT);
    set(&fresh, "Filter", "stream", SOURCE_SCRIPT);
    settings_keep_fixed(&fresh, old);
    assert_int_equal(fresh.port, 10000);
    assert_string_equal(fresh.address, "127.0.0.1");
    assert_int_equal(fresh.listen.n, 1);
    assert_string_equal(fresh.listen.items[0], "unix:/a");
    assert_int_equal(source(&fresh, "Listen"), SOURCE_FLAG);
    assert_int_equal(fresh.max_server, 9);
    assert_int_equal(fresh.filter, FILTER_STREAM);
    settings_free(&fresh);
}

/* The value after settings_init, printed as `tine --check` does, for the
 * row at i. */
static void init_value_text(const struct settings *s, int i, char *buf,
                            size_t len)
{
    char *text = NULL, *line;
    size_t size = 0, name_len = strlen(settings_table[i].name);
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    settings_print(s, f);
    fclose(f);
    for (line = text; line; line = strchr(line, '\n')) {
        if (*line == '\n') line++;
        if (strncmp(line, settings_table[i].name, name_len) == 0 &&
            strncmp(line + name_len, " = ", 3) == 0)
            break;
    }
    assert_non_null(line);
    snprintf(buf, len, "%.*s", (int)strcspn(line + name_len + 3, "\n"),
             line + name_len + 3);
    free(text);
}

/* settings_init takes every plain default from the table: what it sets is
 * what --help and the README show (nil and {} are shown as none). */
static void test_init_matches_shown_defaults(void **state)
{
    struct settings *s = *state;
    char got[128], shown[128];
    for (int i = 0; i < SETTINGS_COUNT; i++) {
        if (settings_table[i].derivation) continue;
        init_value_text(s, i, got, sizeof(got));
        settings_default_text(&settings_table[i], shown, sizeof(shown));
        if (strcmp(got, "nil") == 0 || strcmp(got, "{}") == 0)
            snprintf(got, sizeof(got), "none");
        if (strcmp(got, shown) != 0)
            fail_msg("%s: settings_init gives %s, the table shows %s",
                     settings_table[i].name, got, shown);
    }
}

/* ---- defaults ---------------------------------------------------------- */

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
    assert_int_equal(s->filter, FILTER_LINE);
    assert_int_equal(s->max_line_length, 65536);
    assert_int_equal(s->log_level, LOG_INFO);
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
    assert_int_equal(s->max_header_size, 16384);
    assert_int_equal(s->max_body_size, 1048576);
    assert_true(s->request_timeout == 30);
    assert_true(s->keep_alive_timeout == 15);
    assert_int_equal(s->max_keep_alive_requests, 1000);
    assert_null(s->access_log);
    assert_int_equal(s->proxy_protocol, 0);
    assert_int_equal(s->trusted_proxies.n, 0);
    assert_null(s->tls_certificate);
    assert_null(s->tls_key);
    assert_int_equal(s->sslkeycert.n, 0);
    assert_string_equal(s->tls_protocols, "TLSv1.2 TLSv1.3");
    assert_int_equal(s->max_dequeue, 0);
    assert_true(s->dequeue_interval == 30);
    assert_int_equal(s->shared_dict.n, 0);
    assert_null(s->status_listen);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_table_size),
        T(test_ids_name_their_rows),
        T(test_restart_rows_kept),
        T(test_init_matches_shown_defaults),
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
