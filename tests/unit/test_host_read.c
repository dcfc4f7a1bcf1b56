/* test_host_read.c: host_read_script reads a script file whole, whatever
 * its size, and names the file and the reason when it cannot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lua_host.h"
#include "test_util.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/tine-test-host-read-%d", (int)getpid());
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void write_file(const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_reads_small_file(void **state)
{
    (void)state;
    const char script[] = "Port = 1\nfunction ClientInput() end\n";
    write_file(script, sizeof(script) - 1);
    char err[256] = "";
    size_t len = 99;
    char *text = host_read_script(path, &len, err, sizeof(err));
    assert_non_null(text);
    assert_int_equal(len, sizeof(script) - 1);
    assert_memory_equal(text, script, len);
    free(text);
}

static void test_reads_empty_file(void **state)
{
    (void)state;
    write_file("", 0);
    char err[256] = "";
    size_t len = 99;
    char *text = host_read_script(path, &len, err, sizeof(err));
    assert_non_null(text);
    assert_int_equal(len, 0);
    free(text);
}

/* Larger than any one read or stdio buffer, with bytes that differ. */
static void test_reads_large_file_whole(void **state)
{
    (void)state;
    size_t n = 300 * 1000;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++) big[i] = (char)('a' + i % 23);
    write_file(big, n);
    char err[256] = "";
    size_t len = 0;
    char *text = host_read_script(path, &len, err, sizeof(err));
    assert_non_null(text);
    assert_int_equal(len, n);
    assert_memory_equal(text, big, n);
    free(text);
    free(big);
}

/* A file that says it is empty but is not (as /proc's), or one that grew
 * since the size was taken: read on to its end. */
static void test_reads_past_stated_size(void **state)
{
    (void)state;
    char expected[4096];
    FILE *f = fopen("/proc/version", "rb");
    assert_non_null(f);
    size_t n = fread(expected, 1, sizeof(expected), f);
    fclose(f);
    assert_true(n > 1);
    char err[256] = "";
    size_t len = 0;
    char *text = host_read_script("/proc/version", &len, err, sizeof(err));
    assert_non_null(text);
    assert_int_equal(len, n);
    assert_memory_equal(text, expected, n);
    free(text);
}

static void test_names_missing_file(void **state)
{
    (void)state;
    char err[256] = "";
    size_t len = 99;
    assert_null(host_read_script(path, &len, err, sizeof(err)));
    assert_contains(err, "cannot open ");
    assert_contains(err, path);
    assert_contains(err, "No such file or directory");
}

/* A directory opens but cannot be read: the error says so. */
static void test_names_unreadable_file(void **state)
{
    (void)state;
    char err[256] = "";
    size_t len = 99;
    assert_null(host_read_script("/tmp", &len, err, sizeof(err)));
    assert_contains(err, "cannot read /tmp: Is a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_small_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_large_file_whole, setup,
                                        teardown),
        cmocka_unit_test(test_reads_past_stated_size),
        cmocka_unit_test_setup_teardown(test_names_missing_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_names_unreadable_file, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
