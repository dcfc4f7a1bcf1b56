/* test_child_accept.c: how many connections a child accepts per wake-up
 * (a few while it holds few, more as it holds more, never over the cap),
 * and how far it may get ahead of its least busy sibling (16 among a few
 * hundred connections, a sixteenth more of the rest among thousands). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "child_int.h"

static void test_few_connections_few_accepts(void **state)
{
    (void)state;
    assert_int_equal(child_accept_batch(0), 4);
    assert_int_equal(child_accept_batch(31), 4);
    assert_int_equal(child_accept_batch(50), 5);
}

static void test_grows_with_connections_up_to_the_cap(void **state)
{
    (void)state;
    int last = 0;
    for (long conns = 0; conns <= 100000; conns += 7) {
        int batch = child_accept_batch(conns);
        assert_true(batch >= last);
        assert_true(batch <= 64);
        last = batch;
    }
    assert_int_equal(child_accept_batch(1000), 35);
    assert_int_equal(child_accept_batch(5000), 64);
}

static void test_slack_grows_with_the_sibling(void **state)
{
    (void)state;
    assert_int_equal(child_accept_slack(0), 16);
    assert_int_equal(child_accept_slack(50), 16);
    assert_int_equal(child_accept_slack(256), 16);
    assert_int_equal(child_accept_slack(5000), 16 + 296);
    for (long least = 0; least < 100000; least += 13)
        assert_true(child_accept_slack(least + 13) >= child_accept_slack(least));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slack_grows_with_the_sibling),
        cmocka_unit_test(test_few_connections_few_accepts),
        cmocka_unit_test(test_grows_with_connections_up_to_the_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
