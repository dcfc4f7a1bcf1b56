/* test_http_reader_state.c: the HTTP request reader over time: a refusal
 * stays, a large body's buffer is given back, and memory stays within
 * http_reader_memory_max() however many headers a head holds. (The
 * wire-level cases are in test_http_reader.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_reader.h"

#define POST11 "POST / HTTP/1.1\r\nHost: a\r\n"

static const struct http_limits small = {256, 64, 16};

/* Once refused, a reader refuses again and takes nothing, even a good
 * request. */
static void test_refusal_stays(void **state)
{
    (void)state;
    static const char bad[] = "GET / HTTP/1.1\r\n\r\n";
    static const char good[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    struct http_reader *r = http_reader_new(&small);
    size_t took = 0;
    assert_int_equal(http_reader_feed(r, bad, strlen(bad), &took),
                     HTTP_READ_REFUSED);
    assert_int_equal(http_reader_feed(r, good, strlen(good), &took),
                     HTTP_READ_REFUSED);
    assert_int_equal(took, 0);
    assert_int_equal(http_reader_status(r), 400);
    assert_string_equal(http_reader_reason(r), "missing Host");
    http_reader_free(r);
}

/* Feed r the next whole request of wire; its body. */
static struct http_slice read_body(struct http_reader *r, const char **wire,
                                   size_t *len)
{
    size_t took = 0;
    enum http_read ev = http_reader_feed(r, *wire, *len, &took);
    if (ev == HTTP_READ_HEAD) {
        *wire += took;
        *len -= took;
        ev = http_reader_feed(r, *wire, *len, &took);
    }
    assert_int_equal(ev, HTTP_READ_REQUEST);
    *wire += took;
    *len -= took;
    return http_reader_request(r)->body;
}

/* A body larger than the buffer a reader keeps, then a small one: both
 * whole, and the large buffer given back in between. */
static void test_large_body_then_small(void **state)
{
    (void)state;
    const struct http_limits lim = {256, 100000, 16};
    const size_t big = 70000;
    char *wire = malloc(big + 200);
    assert_non_null(wire);
    int n = sprintf(wire, POST11 "Content-Length: %zu\r\n\r\n", big);
    memset(wire + n, 'x', big);
    strcpy(wire + n + big, POST11 "Content-Length: 3\r\n\r\nabc");
    struct http_reader *r = http_reader_new(&lim);
    const char *at = wire;
    size_t len = strlen(wire);
    struct http_slice body = read_body(r, &at, &len);
    assert_int_equal(body.len, big);
    assert_true(body.at[0] == 'x' && body.at[big - 1] == 'x');
    assert_true(http_reader_memory(r) >= big);
    body = read_body(r, &at, &len);
    assert_int_equal(body.len, 3);
    assert_memory_equal(body.at, "abc", 3);
    assert_int_equal(len, 0);
    assert_true(http_reader_memory(r) < 65536);
    http_reader_free(r);
    free(wire);
}

/* Limits whose caps are not what doubling from 64 reaches. */
static const struct http_limits odd = {400, 100, 16};

/* A POST whose head is `head` bytes (47 + 4k + 2): the shortest header
 * lines after the first two, then a body of 100 bytes, into buf; its
 * length. */
static size_t many_headers(char *buf, size_t head)
{
    size_t n = (size_t)sprintf(buf, POST11 "Content-Length: 100\r\n");
    while (n + 4 + 2 <= head) n += (size_t)sprintf(buf + n, "a:\r\n");
    n += (size_t)sprintf(buf + n, "\r\n");
    assert_int_equal(n, head);
    memset(buf + n, 'x', 100);
    return n + 100;
}

/* Feed wire byte by byte as a caller keeping what is not taken would;
 * memory never passes the bound. The last event. */
static enum http_read feed_bytes(struct http_reader *r, const char *wire,
                                 size_t len)
{
    enum http_read ev = HTTP_READ_MORE;
    size_t start = 0;
    for (size_t end = 1; end <= len; end++) {
        size_t took = 0;
        ev = http_reader_feed(r, wire + start, end - start, &took);
        start += took;
        assert_true(http_reader_memory(r) <= http_reader_memory_max(&odd));
        if (ev == HTTP_READ_REQUEST || ev == HTTP_READ_REFUSED) break;
    }
    return ev;
}

/* The most headers a head within MaxHeaderSize can hold, and a body of
 * MaxBodySize: read, within the bound; one more header: refused, within
 * the bound. */
static void test_memory_bounded(void **state)
{
    (void)state;
    char wire[600];
    size_t len = many_headers(wire, 397);
    struct http_reader *r = http_reader_new(&odd);
    assert_int_equal(feed_bytes(r, wire, len), HTTP_READ_REQUEST);
    assert_int_equal(http_reader_request(r)->n_headers, 2 + 87);
    assert_int_equal(http_reader_request(r)->body.len, 100);
    http_reader_free(r);
    len = many_headers(wire, 401);
    r = http_reader_new(&odd);
    assert_int_equal(feed_bytes(r, wire, len), HTTP_READ_REFUSED);
    assert_int_equal(http_reader_status(r), 431);
    http_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusal_stays),
        cmocka_unit_test(test_large_body_then_small),
        cmocka_unit_test(test_memory_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
