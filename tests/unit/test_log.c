/* test_log.c: log lines, levels and the flood cut, written to a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "test_util.h"

static char path[] = "/tmp/tine-test-log-XXXXXX";

/* Everything logged so far (malloc'd). */
static char *contents(void)
{
    FILE *f = fopen(path, "r");
    static char buf[65536];
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static int lines_in(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++) n += *p == '\n';
    return n;
}

static int setup(void **state)
{
    (void)state;
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    log_set_level(LOG_INFO);
    return log_open(path);
}

static int teardown(void **state)
{
    (void)state;
    log_open(NULL);
    unlink(path);
    return 0;
}

/* A line carries the level and the message; lines below LogLevel are not
 * written. */
static void test_levels(void **state)
{
    (void)state;
    log_info("hello %s", "there");
    log_debug("not shown");
    log_set_level(LOG_DEBUG);
    log_debug("shown now");
    char *text = contents();
    assert_contains(text, "info: hello there\n");
    assert_contains(text, "debug: shown now\n");
    assert_null(strstr(text, "not shown"));
    assert_int_equal(lines_in(text), 2);
    free(text);
    log_set_level(LOG_INFO);
}

/* Level names both ways. */
static void test_level_names(void **state)
{
    (void)state;
    assert_int_equal(log_level_from_name("error"), LOG_ERROR);
    assert_int_equal(log_level_from_name("debug"), LOG_DEBUG);
    assert_int_equal(log_level_from_name("loud"), -1);
}

/* A flood of lines that differ only in their numbers: LOG_BURST are
 * written, the rest counted, and the count comes with the next other
 * line. */
static void test_flood_cut(void **state)
{
    (void)state;
    char *before = contents();
    int base = lines_in(before);
    free(before);
    for (int i = 0; i < 40; i++)
        log_error("ClientInput failed for client %d: boom", i);
    log_info("something else");
    char *text = contents();
    assert_int_equal(lines_in(text), base + LOG_BURST + 2);
    assert_contains(text, "client 4: boom");
    assert_null(strstr(text, "client 5: boom"));
    assert_contains(text, "(35 similar message(s) suppressed)");
    assert_contains(text, "info: something else");
    free(text);
}

/* Info and debug lines are never cut, however many look alike. */
static void test_info_never_cut(void **state)
{
    (void)state;
    char *before = contents();
    int base = lines_in(before);
    free(before);
    for (int i = 0; i < 32; i++) log_info("child %d ready", 1000 + i);
    char *text = contents();
    assert_int_equal(lines_in(text), base + 32);
    assert_contains(text, "child 1031 ready");
    free(text);
}

/* The suppression note comes at the level of the lines it stands for. */
static void test_note_at_flood_level(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++) log_warn("accept() failed: %d", i);
    log_info("after the warnings");
    char *text = contents();
    assert_contains(text, "warn: (5 similar message(s) suppressed)");
    free(text);
}

/* log_forget_flood starts counting afresh (as a forked child does). */
static void test_forget_flood(void **state)
{
    (void)state;
    char *before = contents();
    int base = lines_in(before);
    free(before);
    for (int i = 0; i < 5; i++) log_error("disk %d full", i);
    log_forget_flood();
    for (int i = 0; i < 5; i++) log_error("disk %d full", i);
    char *text = contents();
    assert_int_equal(lines_in(text), base + 10);
    assert_null(strstr(text + strlen(text) - 200, "suppressed"));
    free(text);
}

/* Different messages in a row are never cut. */
static void test_no_cut_for_different_lines(void **state)
{
    (void)state;
    char *before = contents();
    int base = lines_in(before);
    free(before);
    for (int i = 0; i < 20; i++) log_warn(i % 2 ? "tick" : "tock");
    char *text = contents();
    assert_int_equal(lines_in(text), base + 20);
    free(text);
}

/* One row of the escaping table: input (len bytes), the line expected. */
struct escape_case {
    const char *in;
    size_t len;
    const char *out;
};

#define ROW(lit, out) {lit, sizeof(lit) - 1, out}

/* Control characters and invalid UTF-8 are escaped; valid UTF-8 stays. */
static void test_escape_table(void **state)
{
    (void)state;
    static const struct escape_case cases[] = {
        ROW("plain text", "plain text"),
        ROW("got: a\nb", "got: a\\nb"),
        ROW("cr\rtab\t", "cr\\rtab\\t"),
        ROW("ansi \x1b[31mred", "ansi \\x1b[31mred"),
        ROW("nul\0after", "nul\\x00after"),
        ROW("del\x7f", "del\\x7f"),
        ROW("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
        ROW("c1 \xc2\x9b csi", "c1 \\xc2\\x9b csi"),
        ROW("nbsp \xc2\xa0", "nbsp \xc2\xa0"),
        ROW("lone \xff byte", "lone \\xff byte"),
        ROW("overlong \xc0\xaf", "overlong \\xc0\\xaf"),
        ROW("overlong3 \xe0\x80\xaf", "overlong3 \\xe0\\x80\\xaf"),
        ROW("surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"),
        ROW("too big \xf4\x90\x80\x80", "too big \\xf4\\x90\\x80\\x80"),
        ROW("cut \xe2\x82", "cut \\xe2\\x82"),
        ROW("2026-01-01 00:00:00.000 [1] error: forged\n2026-01-01 [1] info: x",
            "2026-01-01 00:00:00.000 [1] error: forged\\n2026-01-01 [1] info: x"),
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[256];
        size_t n;
        size_t used = log_escape(cases[i].in, cases[i].len, out, sizeof(out),
                                 &n);
        assert_int_equal(used, cases[i].len);
        assert_string_equal(out, cases[i].out);
        assert_int_equal(n, strlen(cases[i].out));
    }
}

/* A full output buffer stops before an escape or a character that would
 * not fit whole, and says how much input it took. */
static void test_escape_stops_whole(void **state)
{
    (void)state;
    char out[6];
    size_t n;
    assert_int_equal(log_escape("ab\ncd", 5, out, sizeof(out), &n), 4);
    assert_string_equal(out, "ab\\nc");
    assert_int_equal(log_escape("abcd\n", 5, out, sizeof(out), &n), 4);
    assert_string_equal(out, "abcd");
    assert_int_equal(log_escape("abc\xe2\x82\xac", 6, out, 6, &n), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(n, 3);
}

/* A logged message is one line whatever it holds; a NUL does not cut it;
 * a message too long for a line is marked as cut. */
static void test_message_is_one_line(void **state)
{
    (void)state;
    char *before = contents();
    int base = lines_in(before);
    free(before);
    static const char forged[] = "got: x\n2026 [1] error: forged\0tail";
    log_text(LOG_INFO, forged, sizeof(forged) - 1);
    log_info("traceback:\n\tline 1\n\tline 2");
    char big[LOG_LINE_MAX * 2];
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_info("%s", big);
    log_text(LOG_INFO, big, sizeof(big) - 1);
    char *text = contents();
    assert_int_equal(lines_in(text), base + 4);
    assert_contains(text, "got: x\\n2026 [1] error: forged\\x00tail\n");
    assert_contains(text, "traceback:\\n\\tline 1\\n\\tline 2\n");
    assert_contains(text, "yyy...[truncated]\n");
    assert_null(strstr(strstr(text, "...[truncated]") + 1, "y\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_level_names),
        cmocka_unit_test(test_flood_cut),
        cmocka_unit_test(test_no_cut_for_different_lines),
        cmocka_unit_test(test_info_never_cut),
        cmocka_unit_test(test_note_at_flood_level),
        cmocka_unit_test(test_forget_flood),
        cmocka_unit_test(test_escape_table),
        cmocka_unit_test(test_escape_stops_whole),
        cmocka_unit_test(test_message_is_one_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
