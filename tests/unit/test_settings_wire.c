/* test_settings_wire.c: the settings a reload's reading process sends the
 * master: what settings_encode writes, settings_decode gives back exactly
 * (values and sources), and malformed bytes are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytebuf.h"
#include "settings.h"

#include "settings_fixture.h"
#include "test_util.h"

/* settings_print's text of s, finished first. */
static char *printed(struct settings *s)
{
    finish_ok(s);
    return print_to_string(s);
}

/* Every type of setting, from the script and from flags, survives the
 * trip with its source; derived values come back derived. */
static void test_round_trip(void **state)
{
    struct settings *s = *state, back;
    struct bytebuf wire = {0};
    char err[256] = "";
    set(s, "MaxServer", "7", SOURCE_FLAG);
    set(s, "MasterHeartBeatTime", "0.25", SOURCE_SCRIPT);
    set(s, "Address", "::1", SOURCE_SCRIPT);
    set(s, "Filter", "stream", SOURCE_SCRIPT);
    set(s, "Daemonize", "true", SOURCE_FLAG);
    set(s, "Listen", "unix:/tmp/a b", SOURCE_SCRIPT);
    set(s, "Listen", "[::1]:9000", SOURCE_SCRIPT);
    set(s, "LogFile", "/tmp/\"odd\"\\name", SOURCE_FLAG);
    char *want = printed(s);
    assert_int_equal(settings_encode(s, &wire), 0);
    settings_init(&back);
    assert_int_equal(settings_decode(&back, bytebuf_head(&wire),
                                     bytebuf_len(&wire), err, sizeof(err)),
                     0);
    for (int i = 0; i < SETTINGS_COUNT; i++)
        assert_int_equal(back.source[i], s->source[i]);
    char *got = printed(&back);
    assert_string_equal(got, want);
    free(want);
    free(got);
    settings_free(&back);
    bytebuf_free(&wire);
}

/* Nothing given: nothing sent, and the defaults come back. */
static void test_nothing_given(void **state)
{
    struct settings *s = *state;
    struct bytebuf wire = {0};
    finish_ok(s);
    assert_int_equal(settings_encode(s, &wire), 0);
    assert_int_equal(bytebuf_len(&wire), 0);
}

/* Decode bytes into fresh settings; its return value, err filled. */
static int decode(const void *p, size_t len, char *err, size_t errlen)
{
    struct settings s;
    settings_init(&s);
    int rc = settings_decode(&s, p, len, err, errlen);
    settings_free(&s);
    return rc;
}

/* Cut records, unknown ids and sources, wrong payload sizes, an ENUM or
 * BOOL out of range, a LIST without its last NUL: refused, never read
 * past the end. */
static void test_malformed_refused(void **state)
{
    struct settings *s = *state;
    struct bytebuf wire = {0};
    char err[256];
    set(s, "MaxServer", "7", SOURCE_FLAG);
    assert_int_equal(settings_encode(s, &wire), 0);
    const unsigned char *good = (const unsigned char *)bytebuf_head(&wire);
    size_t len = bytebuf_len(&wire);
    for (size_t cut = 1; cut < len; cut++)
        assert_int_equal(decode(good, cut, err, sizeof(err)), -1);
    unsigned char bad[64];
    memcpy(bad, good, len);
    bad[0] = SETTINGS_COUNT;
    assert_int_equal(decode(bad, len, err, sizeof(err)), -1);
    assert_contains(err, "malformed");
    memcpy(bad, good, len);
    bad[1] = 9;
    assert_int_equal(decode(bad, len, err, sizeof(err)), -1);
    /* MaxServer's payload said to be 4 bytes long */
    memcpy(bad, good, len);
    bad[2] = 4;
    assert_int_equal(decode(bad, len - 4, err, sizeof(err)), -1);
    /* Filter (an ENUM) with choice 7; Listen without its last NUL */
    unsigned char filter[10] = {SET_FILTER, SOURCE_SCRIPT, 4, 0, 0, 0, 7};
    assert_int_equal(decode(filter, 10, err, sizeof(err)), -1);
    unsigned char listen[9] = {SET_LISTEN, SOURCE_SCRIPT, 3, 0, 0, 0,
                               'a', ':', '1'};
    assert_int_equal(decode(listen, 9, err, sizeof(err)), -1);
    bytebuf_free(&wire);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_round_trip),
        T(test_nothing_given),
        T(test_malformed_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
