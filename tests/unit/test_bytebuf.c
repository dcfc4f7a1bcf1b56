/* test_bytebuf.c: the growable byte buffer: append and consume in order,
 * space made by sliding before growing, trim giving memory back only
 * when empty and larger than asked, an empty buffer's head, and empty
 * appends (never mistaken for running out of memory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bytebuf.h"

/* Appended bytes come out in order; consuming everything empties it. */
static void test_append_consume(void **state)
{
    struct bytebuf b = {0};
    (void)state;
    assert_null(bytebuf_head(&b));
    assert_int_equal(bytebuf_append(&b, "hello ", 6), 0);
    assert_int_equal(bytebuf_append(&b, "world", 5), 0);
    assert_int_equal(bytebuf_len(&b), 11);
    bytebuf_consume(&b, 6);
    assert_int_equal(bytebuf_len(&b), 5);
    assert_memory_equal(bytebuf_head(&b), "world", 5);
    bytebuf_consume(&b, 5);
    assert_int_equal(bytebuf_len(&b), 0);
    assert_int_equal(b.start, 0);
    bytebuf_free(&b);
}

/* Room at the end is made by sliding what is held to the front when that
 * is enough, without growing. */
static void test_reserve_slides_before_growing(void **state)
{
    struct bytebuf b = {0};
    char block[200];
    (void)state;
    memset(block, 'a', sizeof(block));
    assert_int_equal(bytebuf_append(&b, block, sizeof(block)), 0);
    size_t cap = b.cap;
    bytebuf_consume(&b, 150);
    assert_non_null(bytebuf_reserve(&b, cap - 50));
    assert_int_equal(b.cap, cap);
    assert_int_equal(b.start, 0);
    assert_int_equal(bytebuf_len(&b), 50);
    assert_non_null(bytebuf_reserve(&b, cap));
    assert_true(b.cap >= cap + 50);
    assert_memory_equal(bytebuf_head(&b), block, 50);
    bytebuf_free(&b);
}

/* trim frees an empty buffer over the limit; it keeps a small one, and
 * never frees one that holds bytes. */
static void test_trim(void **state)
{
    struct bytebuf b = {0};
    static char big[10000];
    (void)state;
    assert_int_equal(bytebuf_append(&b, "x", 1), 0);
    bytebuf_consume(&b, 1);
    bytebuf_trim(&b, 4096);
    assert_non_null(b.data);  /* small: kept for the next use */
    assert_int_equal(bytebuf_append(&b, big, sizeof(big)), 0);
    bytebuf_trim(&b, 4096);
    assert_non_null(b.data);  /* holds bytes: kept */
    assert_int_equal(bytebuf_len(&b), sizeof(big));
    bytebuf_consume(&b, sizeof(big));
    bytebuf_trim(&b, 4096);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
    assert_int_equal(bytebuf_append(&b, "again", 5), 0);
    assert_memory_equal(bytebuf_head(&b), "again", 5);
    bytebuf_free(&b);
}

/* Appending nothing succeeds and holds nothing, on a buffer that never
 * had memory and on one that gave it back: NULL from reserve means only
 * "out of memory". */
static void test_empty_append(void **state)
{
    struct bytebuf b = {0};
    (void)state;
    assert_non_null(bytebuf_reserve(&b, 0));
    bytebuf_free(&b);
    assert_int_equal(bytebuf_append(&b, "", 0), 0);
    assert_int_equal(bytebuf_len(&b), 0);
    bytebuf_free(&b);
    assert_int_equal(bytebuf_append(&b, "x", 1), 0);
    bytebuf_consume(&b, 1);
    bytebuf_trim(&b, 0);
    assert_null(b.data);
    assert_int_equal(bytebuf_append(&b, "", 0), 0);
    assert_int_equal(bytebuf_append(&b, "y", 1), 0);
    assert_memory_equal(bytebuf_head(&b), "y", 1);
    bytebuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_consume),
        cmocka_unit_test(test_reserve_slides_before_growing),
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_empty_append),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
