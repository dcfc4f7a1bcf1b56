/* test_child_accept.c: how many connections a child accepts per wake-up
 * (a few while it holds few, more as it holds more, never over the cap),
 * how far it may get ahead of its least busy sibling (16 among a few
 * hundred connections, a sixteenth more of the rest among thousands), and
 * that a yield to a sibling ends once closes make the child level again. */
#include <event2/event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "child_int.h"
#include "conn_set.h"
#include "scoreboard.h"
#include "settings.h"

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

/* A child of a pool of two, yielding as child_on_accept leaves it:
 * listeners disarmed, the retry timer pending. Its connection count and
 * its sibling's are the test's to set. */
struct yield_fixture {
    struct settings s;
    struct scoreboard sb;
    struct conn_set conns;
    struct child ch;
    int sibling;
};

static struct yield_fixture *yielding_child(long mine, long sibling)
{
    struct yield_fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    settings_init(&f->s);
    assert_int_equal(scoreboard_open(&f->sb, 4), 0);
    struct child *ch = &f->ch;
    ch->s = &f->s;
    ch->scoreboard = &f->sb;
    ch->slot_index = scoreboard_claim(&f->sb, 100);
    ch->slot = &f->sb.slots[ch->slot_index];
    f->sibling = scoreboard_claim(&f->sb, 101);
    f->sb.slots[f->sibling].accepting = 1;
    f->sb.slots[f->sibling].conns = sibling;
    f->conns.count = mine;
    ch->conns = &f->conns;
    ch->base = event_base_new();
    ch->accept_retry_ev = evtimer_new(ch->base, child_on_accept_retry, ch);
    assert_non_null(ch->accept_retry_ev);
    ch->yielding = 1;
    struct timeval tv = {1, 0};
    evtimer_add(ch->accept_retry_ev, &tv);
    child_update_accepting(ch);
    assert_int_equal(ch->accepting, 0);
    return f;
}

static void free_fixture(struct yield_fixture *f)
{
    event_free(f->ch.accept_retry_ev);
    event_base_free(f->ch.base);
    settings_free(&f->s);
    free(f);
}

/* Its connections close while it yields: once it is within the slack of
 * its sibling it accepts again at once, not when the timer fires (short
 * connections would otherwise have both children yielding in turn). */
static void test_yield_ends_when_level(void **state)
{
    (void)state;
    struct yield_fixture *f = yielding_child(17, 0);
    f->conns.count = 16;
    child_on_conns_changed(&f->ch, 0);
    assert_int_equal(f->ch.yielding, 0);
    assert_int_equal(f->ch.accepting, 1);
    assert_false(evtimer_pending(f->ch.accept_retry_ev, NULL));
    free_fixture(f);
}

/* Still over its sibling after the close: the yield runs its course. */
static void test_yield_holds_while_over(void **state)
{
    (void)state;
    struct yield_fixture *f = yielding_child(30, 5);
    f->conns.count = 29;
    child_on_conns_changed(&f->ch, 0);
    assert_int_equal(f->ch.yielding, 1);
    assert_int_equal(f->ch.accepting, 0);
    assert_true(evtimer_pending(f->ch.accept_retry_ev, NULL));
    free_fixture(f);
}

/* Out of descriptors too: the timer is the backoff's, and stays. */
static void test_yield_keeps_backoff(void **state)
{
    (void)state;
    struct yield_fixture *f = yielding_child(17, 0);
    f->ch.accept_backoff = 1;
    f->conns.count = 3;
    child_on_conns_changed(&f->ch, 0);
    assert_int_equal(f->ch.accepting, 0);
    assert_true(evtimer_pending(f->ch.accept_retry_ev, NULL));
    free_fixture(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yield_ends_when_level),
        cmocka_unit_test(test_yield_holds_while_over),
        cmocka_unit_test(test_yield_keeps_backoff),
        cmocka_unit_test(test_slack_grows_with_the_sibling),
        cmocka_unit_test(test_few_connections_few_accepts),
        cmocka_unit_test(test_grows_with_connections_up_to_the_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
