/* test_scoreboard.c: shared slots: claiming, releasing, and the least
 * busy sibling that accept-by-load compares with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scoreboard.h"

/* Claim a slot for pid with conns connections, accepting or not. */
static int child(struct scoreboard *sb, int pid, long conns, int accepting)
{
    int i = scoreboard_claim(sb, pid);
    assert_true(i >= 0);
    sb->slots[i].conns = conns;
    sb->slots[i].accepting = accepting;
    return i;
}

/* Claim takes free slots, release frees them zeroed. */
static void test_claim_release(void **state)
{
    struct scoreboard sb;
    (void)state;
    assert_int_equal(scoreboard_open(&sb, 2), 0);
    int a = scoreboard_claim(&sb, 10), b = scoreboard_claim(&sb, 11);
    assert_int_not_equal(a, b);
    assert_int_equal(scoreboard_claim(&sb, 12), -1);
    sb.slots[a].conns = 5;
    scoreboard_release(&sb, a);
    assert_int_equal(sb.slots[a].pid, 0);
    assert_int_equal(scoreboard_claim(&sb, 13), a);
    assert_int_equal(sb.slots[a].conns, 0);
}

/* The least busy other child, among those accepting and not stuck. */
static void test_least_busy(void **state)
{
    struct scoreboard sb;
    (void)state;
    assert_int_equal(scoreboard_open(&sb, 8), 0);
    int self = child(&sb, 100, 3, 1);
    assert_int_equal(scoreboard_least_busy(&sb, self, 50, 1), -1);
    child(&sb, 101, 40, 1);
    int busy = child(&sb, 102, 9, 1);
    assert_int_equal(scoreboard_least_busy(&sb, self, 50, 1), 9);
    child(&sb, 103, 2, 0);                   /* paused: not counted */
    assert_int_equal(scoreboard_least_busy(&sb, self, 50, 1), 9);
    sb.slots[busy].callback = 4;             /* in a callback ... */
    sb.slots[busy].callback_since = 49.5;
    assert_int_equal(scoreboard_least_busy(&sb, self, 50, 1), 9);
    sb.slots[busy].callback_since = 48;      /* ... for 2 s: stuck */
    assert_int_equal(scoreboard_least_busy(&sb, self, 50, 1), 40);
    assert_int_equal(scoreboard_least_busy(&sb, busy, 50, 1), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim_release),
        cmocka_unit_test(test_least_busy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
