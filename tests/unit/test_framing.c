/* test_framing.c: cutting lines out of buffered bytes: LF and CRLF ends, a
 * bare CR inside a line, split reads, the MaxLineLength edges, and memory
 * bounded while no end of line comes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytebuf.h"
#include "framing.h"

/* Test fixture: an empty buffer, freed after the test. */
static int setup(void **state)
{
    *state = calloc(1, sizeof(struct bytebuf));
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    bytebuf_free(*state);
    free(*state);
    return 0;
}

static void add(struct bytebuf *b, const char *text)
{
    assert_int_equal(bytebuf_append(b, text, strlen(text)), 0);
}

/* Add n copies of byte c. */
static void add_bytes(struct bytebuf *b, char c, size_t n)
{
    char *p = malloc(n);
    assert_non_null(p);
    memset(p, c, n);
    assert_int_equal(bytebuf_append(b, p, n), 0);
    free(p);
}

/* The next frame must be a line of len bytes ended by eol bytes; the
 * buffer is left as it was. */
static void expect_line(struct bytebuf *b, size_t max, size_t len,
                        size_t eol)
{
    size_t line_len = 12345, eol_len = 12345, have = bytebuf_len(b);
    assert_int_equal(framing_next_line(bytebuf_head(b), bytebuf_len(b), max, &line_len, &eol_len),
                     FRAME_LINE);
    assert_int_equal(line_len, len);
    assert_int_equal(eol_len, eol);
    assert_int_equal(bytebuf_len(b), have);
}

/* The next frame must be `want` (INCOMPLETE or TOO_LONG). */
static void expect(struct bytebuf *b, size_t max, enum frame_result want)
{
    size_t line_len = 0, eol_len = 0;
    assert_int_equal(framing_next_line(bytebuf_head(b), bytebuf_len(b), max, &line_len, &eol_len), want);
}

/* b starts with `text`. */
static void expect_text(struct bytebuf *b, const char *text)
{
    size_t n = strlen(text);
    assert_true(bytebuf_len(b) >= n);
    assert_memory_equal(bytebuf_head(b), text, n);
}

/* "hello\n": a line of 5, end of line 1, nothing removed. */
static void test_lf_line(void **state)
{
    struct bytebuf *b = *state;
    add(b, "hello\n");
    expect_line(b, 100, 5, 1);
    expect_text(b, "hello");
}

/* "hello\r\n": a line of 5, end of line 2. */
static void test_crlf_line(void **state)
{
    struct bytebuf *b = *state;
    add(b, "hello\r\n");
    expect_line(b, 100, 5, 2);
}

/* A bare "\r" is part of the line, not an end of line. */
static void test_bare_cr_in_line(void **state)
{
    struct bytebuf *b = *state;
    add(b, "a\rb");
    expect(b, 100, FRAME_INCOMPLETE);
    add(b, "\n");
    expect_line(b, 100, 3, 1);
    expect_text(b, "a\rb\n");
    bytebuf_consume(b, 4);
    add(b, "\r\rx\r\r\n");
    expect_line(b, 100, 4, 2);
}

/* A line arriving in pieces, the CR and LF in different reads. */
static void test_split_reads(void **state)
{
    struct bytebuf *b = *state;
    add(b, "hel");
    expect(b, 100, FRAME_INCOMPLETE);
    add(b, "lo\r");
    expect(b, 100, FRAME_INCOMPLETE);
    add(b, "\n");
    expect_line(b, 100, 5, 2);
}

/* Several lines in one buffer come out in order as each is drained. */
static void test_several_lines(void **state)
{
    struct bytebuf *b = *state;
    add(b, "one\ntwo\r\n\nfour\nfiv");
    expect_line(b, 100, 3, 1);
    bytebuf_consume(b, 4);
    expect_line(b, 100, 3, 2);
    expect_text(b, "two");
    bytebuf_consume(b, 5);
    expect_line(b, 100, 0, 1);
    bytebuf_consume(b, 1);
    expect_line(b, 100, 4, 1);
    expect_text(b, "four");
    bytebuf_consume(b, 5);
    expect(b, 100, FRAME_INCOMPLETE);
    expect_text(b, "fiv");
}

/* Empty lines, with either end; an empty buffer is incomplete. */
static void test_empty_line(void **state)
{
    struct bytebuf *b = *state;
    expect(b, 100, FRAME_INCOMPLETE);
    add(b, "\n");
    expect_line(b, 100, 0, 1);
    bytebuf_consume(b, 1);
    add(b, "\r\n");
    expect_line(b, 100, 0, 2);
}

/* A line of exactly max_len is a line, with either end, and max_len bytes
 * without an end yet are incomplete. */
static void test_exactly_max_len(void **state)
{
    struct bytebuf *b = *state;
    add(b, "abcdefgh");
    expect(b, 8, FRAME_INCOMPLETE);
    add(b, "\n");
    expect_line(b, 8, 8, 1);
    bytebuf_consume(b, 9);
    add(b, "abcdefgh\r\n");
    expect_line(b, 8, 8, 2);
}

/* max_len + 1 bytes without an end of line are too long. */
static void test_over_max_without_eol(void **state)
{
    struct bytebuf *b = *state;
    add(b, "abcdefghi");
    expect(b, 8, FRAME_TOO_LONG);
}

/* max_len bytes and a "\r" may still be a line of max_len ("\r\n" to
 * come): incomplete; a "\n" makes it a line, anything else too long. */
static void test_max_len_then_cr(void **state)
{
    struct bytebuf *b = *state;
    add(b, "abcdefgh\r");
    expect(b, 8, FRAME_INCOMPLETE);
    add(b, "\n");
    expect_line(b, 8, 8, 2);
    bytebuf_consume(b, 10);
    add(b, "abcdefgh\r");
    expect(b, 8, FRAME_INCOMPLETE);
    add(b, "x");
    expect(b, 8, FRAME_TOO_LONG);
}

/* A whole line longer than max_len is too long, with either end, and
 * also when a bare "\r" sits at the limit. */
static void test_complete_line_too_long(void **state)
{
    struct bytebuf *b = *state;
    add(b, "abcdefghi\n");
    expect(b, 8, FRAME_TOO_LONG);
    bytebuf_consume(b, 10);
    add(b, "abcdefghi\r\n");
    expect(b, 8, FRAME_TOO_LONG);
    bytebuf_consume(b, 11);
    add(b, "abcdefg\r\r\n");
    expect_line(b, 8, 8, 2);
    bytebuf_consume(b, 10);
    add(b, "abcdefgh\r\r\n");
    expect(b, 8, FRAME_TOO_LONG);
}

/* A good line, then an overlong one: the first is a line, and the second
 * is too long once it is at the front. */
static void test_line_then_too_long(void **state)
{
    struct bytebuf *b = *state;
    add(b, "ok\nabcdefghijk");
    expect_line(b, 8, 2, 1);
    bytebuf_consume(b, 3);
    expect(b, 8, FRAME_TOO_LONG);
}

/* max_len 0 allows only empty lines. */
static void test_max_len_zero(void **state)
{
    struct bytebuf *b = *state;
    add(b, "\n");
    expect_line(b, 0, 0, 1);
    bytebuf_consume(b, 1);
    add(b, "\r");
    expect(b, 0, FRAME_INCOMPLETE);
    add(b, "\n");
    expect_line(b, 0, 0, 2);
    bytebuf_consume(b, 2);
    add(b, "x");
    expect(b, 0, FRAME_TOO_LONG);
}

/* Bounded memory: fed one byte at a time (letters and "\r", never "\n"),
 * the framer never says INCOMPLETE once more than max_len + 1 bytes are
 * buffered, whatever the bytes. */
static void test_bounded_memory(void **state)
{
    static const size_t maxes[] = {0, 1, 2, 5, 64};
    static const char pattern[] = "ab\r\rc\r";
    struct bytebuf *b = *state;
    for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
        size_t max = maxes[m];
        for (size_t start = 0; start < sizeof(pattern) - 1; start++) {
            bytebuf_consume(b, bytebuf_len(b));
            for (size_t n = 1; n <= max + 8; n++) {
                char c = pattern[(start + n) % (sizeof(pattern) - 1)];
                assert_int_equal(bytebuf_append(b, &c, 1), 0);
                size_t line_len, eol_len;
                enum frame_result r =
                    framing_next_line(bytebuf_head(b), bytebuf_len(b), max,
                                      &line_len, &eol_len);
                assert_int_not_equal(r, FRAME_LINE);
                if (n > max + 1) assert_int_equal(r, FRAME_TOO_LONG);
                if (n <= max) assert_int_equal(r, FRAME_INCOMPLETE);
            }
        }
    }
}

/* All "\r": incomplete up to max_len + 1 bytes, too long after. */
static void test_bounded_memory_all_cr(void **state)
{
    struct bytebuf *b = *state;
    add_bytes(b, '\r', 5);
    expect(b, 4, FRAME_INCOMPLETE);
    add(b, "\r");
    expect(b, 4, FRAME_TOO_LONG);
}

/* A long line built from many small adds, with its "\r" and "\n" in
 * separate adds: still found, at full length. */
static void test_long_line_in_pieces(void **state)
{
    struct bytebuf *b = *state;
    for (int i = 0; i < 64; i++) add_bytes(b, 'a', 1024);
    expect(b, 65536, FRAME_INCOMPLETE);
    add(b, "\r");
    expect(b, 65536, FRAME_INCOMPLETE);
    add(b, "\n");
    expect_line(b, 65536, 65536, 2);
    bytebuf_consume(b, bytebuf_len(b));
    for (int i = 0; i < 100; i++) add_bytes(b, 'a', 1000);
    expect(b, 65536, FRAME_TOO_LONG);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_lf_line),
        T(test_crlf_line),
        T(test_bare_cr_in_line),
        T(test_split_reads),
        T(test_several_lines),
        T(test_empty_line),
        T(test_exactly_max_len),
        T(test_over_max_without_eol),
        T(test_max_len_then_cr),
        T(test_complete_line_too_long),
        T(test_line_then_too_long),
        T(test_max_len_zero),
        T(test_bounded_memory),
        T(test_bounded_memory_all_cr),
        T(test_long_line_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
