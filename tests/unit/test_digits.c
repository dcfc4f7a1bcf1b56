/* test_digits.c: decimal numbers in text: whole numbers with a ceiling,
 * and decimal numbers; everything else (hex, inf, nan, blanks) refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "digits.h"

/* digits_whole over the whole of text. */
static int whole(const char *text, unsigned long max, unsigned long *out)
{
    return digits_whole(text, strlen(text), max, out);
}

/* digits_decimal over the whole of text. */
static int decimal(const char *text, double *out)
{
    return digits_decimal(text, strlen(text), out);
}

/* Whole numbers up to and including max, leading zeros read in decimal. */
static void test_whole_accepts(void **state)
{
    unsigned long v = 99;
    (void)state;
    assert_int_equal(whole("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(whole("65535", 65535, &v), 0);
    assert_int_equal(v, 65535);
    assert_int_equal(whole("010", 100, &v), 0);
    assert_int_equal(v, 10);
    assert_int_equal(whole("18446744073709551615", (unsigned long)-1, &v), 0);
    assert_int_equal(v, (unsigned long)-1);
}

/* Above max, empty, signed, hex, blanks, other bytes: -1, *out kept. */
static void test_whole_refuses(void **state)
{
    static const char *const bad[] = {"65536", "", "-1", "+1", "0x10", " 1",
                                      "1 ", "1.0", "1e3", "99999999999999"};
    unsigned long v = 7;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (whole(bad[i], 65535, &v) != -1)
            fail_msg("digits_whole accepted \"%s\"", bad[i]);
        assert_int_equal(v, 7);
    }
    assert_int_equal(whole("18446744073709551616", (unsigned long)-1, &v), -1);
    assert_int_equal(whole("5", 4, &v), -1);
    assert_int_equal(whole("0", 0, &v), 0);
}

/* Only the len bytes given are read: "80" out of "80/tcp". */
static void test_whole_reads_len(void **state)
{
    unsigned long v = 0;
    (void)state;
    assert_int_equal(digits_whole("80/tcp", 2, 65535, &v), 0);
    assert_int_equal(v, 80);
    assert_int_equal(digits_whole("80/tcp", 3, 65535, &v), -1);
}

/* Decimal numbers: sign, fraction, exponent. */
static void test_decimal_accepts(void **state)
{
    double v = 0;
    (void)state;
    assert_int_equal(decimal("10", &v), 0);
    assert_float_equal(v, 10, 0);
    assert_int_equal(decimal("-0.25", &v), 0);
    assert_float_equal(v, -0.25, 0);
    assert_int_equal(decimal(".5", &v), 0);
    assert_float_equal(v, 0.5, 0);
    assert_int_equal(decimal("5.", &v), 0);
    assert_float_equal(v, 5, 0);
    assert_int_equal(decimal("+1e3", &v), 0);
    assert_float_equal(v, 1000, 0);
    assert_int_equal(decimal("25E-2", &v), 0);
    assert_float_equal(v, 0.25, 0);
}

/* Hex, inf, nan, blanks, half numbers and overflow: -1, *out kept. */
static void test_decimal_refuses(void **state)
{
    static const char *const bad[] = {
        "0x7d01", "0X10", "0x1p3", "nan", "NAN", "inf", "-infinity", "",
        " 1", "1 ", "+", "-", ".", "e3", "1e", "1e+", "1.2.3", "1,5", "--1",
        "1e400", "1d", "\xd9\xa1"};
    double v = 42;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (decimal(bad[i], &v) != -1)
            fail_msg("digits_decimal accepted \"%s\"", bad[i]);
        assert_float_equal(v, 42, 0);
    }
}

/* Text longer than any number worth reading is refused, not cut. */
static void test_decimal_too_long(void **state)
{
    char text[80];
    double v = 0;
    (void)state;
    memset(text, '1', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(decimal(text, &v), -1);
    assert_int_equal(digits_decimal("12", 1, &v), 0);
    assert_float_equal(v, 1, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_accepts),
        cmocka_unit_test(test_whole_refuses),
        cmocka_unit_test(test_whole_reads_len),
        cmocka_unit_test(test_decimal_accepts),
        cmocka_unit_test(test_decimal_refuses),
        cmocka_unit_test(test_decimal_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
