/* test_pool.c: the pool's pure decisions: what to stop or fork over a table
 * of cases, each child's verdict, and the start-failure back-off. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sys/wait.h>

#include "child.h"
#include "pool.h"
#include "settings.h"

struct override {
    const char *name, *value;
};

/* Settings from the defaults with up to four script values, finished; the
 * test fails if any value or the result is refused. */
static void make_settings(struct settings *s, const struct override *set)
{
    char err[256] = "";
    settings_init(s);
    for (int i = 0; i < 4 && set[i].name; i++) {
        const struct setting_def *def = settings_find(set[i].name);
        if (!def || settings_set_text(s, def, set[i].value, SOURCE_SCRIPT,
                                      err, sizeof(err)) < 0)
            fail_msg("%s = %s refused: %s", set[i].name, set[i].value, err);
    }
    if (settings_finish(s, err, sizeof(err), NULL) < 0)
        fail_msg("settings_finish refused: %s", err);
}

/* ---- pool_decide ------------------------------------------------------- */

struct decide_case {
    const char *what;
    long total, idle;
    struct override set[4];
    long stop, fork;
};

/* Defaults: MaxServer 20, MinServer 5, MinSpareServer 5, MaxSpareServer
 * 15. */
static const struct decide_case decide_cases[] = {
    {"steady: some busy, spares at the floor", 10, 5, {{0}}, 0, 0},
    {"steady: all idle at MaxSpareServer", 15, 15, {{0}}, 0, 0},
    {"steady: just started", 5, 5, {{0}}, 0, 0},
    {"steady: full and busy", 20, 5, {{0}}, 0, 0},
    {"excess spares stop the excess", 20, 18, {{0}}, 3, 0},
    {"excess spares, all idle", 18, 18, {{0}}, 3, 0},
    {"over MaxServer, all busy: stop the excess", 23, 5, {{0}}, 3, 0},
    {"over MaxServer and excess spares: the larger", 25, 25, {{0}}, 10, 0},
    {"stop before fork: over MaxServer, no spare", 23, 0, {{0}}, 3, 0},
    {"stop before fork: over MaxServer, few spares", 21, 2, {{0}}, 1, 0},
    {"under MinSpareServer: fork the difference", 10, 2, {{0}}, 0, 3},
    {"under MinSpareServer: none idle", 10, 0, {{0}}, 0, 5},
    {"under MinServer: fork up to it", 3, 3,
     {{"MinServer", "8"}, {"MinSpareServer", "1"}}, 0, 5},
    {"no children at all", 0, 0, {{0}}, 0, 5},
    {"MaxServer caps the forks", 18, 0, {{0}}, 0, 2},
    {"at MaxServer: no fork", 20, 0, {{0}}, 0, 0},
    {"MinServer = MaxServer: fork them all", 0, 0,
     {{"MaxServer", "3"}, {"StartServer", "3"}}, 0, 3},
    {"spare stops stay at MinServer", 10, 10,
     {{"MinServer", "8"}, {"MinSpareServer", "1"}, {"MaxSpareServer", "2"}},
     2, 0},
    {"spare stops stay at MinServer, all at it", 8, 8,
     {{"MinServer", "8"}, {"MinSpareServer", "1"}, {"MaxSpareServer", "2"}},
     0, 0},
    {"spare stops stay at MinSpareServer", 4, 4,
     {{"StartServer", "1"}, {"MinServer", "0"}, {"MinSpareServer", "3"},
      {"MaxSpareServer", "3"}}, 1, 0},
    {"MaxSpareServer 0: no spare check", 20, 20,
     {{"MaxSpareServer", "0"}}, 0, 0},
    {"MaxSpareServer 0: MaxServer still enforced", 22, 22,
     {{"MaxSpareServer", "0"}}, 2, 0},
    {"MaxSpareServer 0: spares still forked", 10, 1,
     {{"MaxSpareServer", "0"}}, 0, 4},
    {"derived MaxSpareServer 0 (MaxServer = MinServer)", 5, 5,
     {{"MaxServer", "5"}}, 0, 0},
    {"MinServer and MinSpareServer 0: nothing needed", 0, 0,
     {{"MinServer", "0"}, {"MinSpareServer", "0"}}, 0, 0},
    {"derived MinSpareServer capped at MaxSpareServer 1", 6, 1,
     {{"MaxServer", "6"}}, 0, 0},
};

/* pool_decide over the table of cases. */
static void test_decide_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]);
         i++) {
        const struct decide_case *c = &decide_cases[i];
        struct settings s;
        make_settings(&s, c->set);
        struct pool_counts counts = {c->total, c->idle};
        struct pool_decision d = pool_decide(&counts, &s);
        settings_free(&s);
        if (d.stop != c->stop || d.fork != c->fork)
            fail_msg("%s (total %ld, idle %ld): stop %ld fork %ld, "
                     "expected stop %ld fork %ld", c->what, c->total, c->idle,
                     d.stop, d.fork, c->stop, c->fork);
    }
}

/* The rules' invariants for one configuration over every count up to
 * MaxServer + 5: never both stop and fork; never fork above MaxServer or
 * stop more than there are; excess over MaxServer always stopped; spare
 * stops keep MinServer and MinSpareServer; and no flapping: what a fork
 * or a spare stop leaves needs nothing the next time. */
static void check_invariants(const struct override *set)
{
    struct settings s;
    make_settings(&s, set);
    for (long total = 0; total <= s.max_server + 5; total++) {
        for (long idle = 0; idle <= total; idle++) {
            struct pool_counts c = {total, idle};
            struct pool_decision d = pool_decide(&c, &s);
            assert_true(d.stop >= 0 && d.fork >= 0);
            assert_false(d.stop > 0 && d.fork > 0);
            assert_true(d.stop <= total);
            assert_true(total + d.fork <= s.max_server ||
                        d.fork == 0);
            if (total > s.max_server)
                assert_true(d.stop >= total - s.max_server);
            if (d.fork > 0) {
                struct pool_counts after = {total + d.fork, idle + d.fork};
                struct pool_decision next = pool_decide(&after, &s);
                assert_int_equal(next.stop, 0);
                assert_int_equal(next.fork, 0);
            }
            if (d.stop > 0 && total <= s.max_server) {
                assert_true(total - d.stop >= s.min_server);
                assert_true(idle - d.stop >= s.min_spare_server);
                struct pool_counts after = {total - d.stop, idle - d.stop};
                struct pool_decision next = pool_decide(&after, &s);
                assert_int_equal(next.stop, 0);
                assert_int_equal(next.fork, 0);
            }
        }
    }
    settings_free(&s);
}

/* The invariants hold for the defaults and a few other configurations. */
static void test_decide_invariants(void **state)
{
    static const struct override configs[][4] = {
        {{0}},
        {{"MaxServer", "6"}},
        {{"MaxServer", "5"}},
        {{"MaxSpareServer", "0"}},
        {{"MinServer", "8"}, {"MinSpareServer", "1"}, {"MaxSpareServer", "2"}},
        {{"StartServer", "1"}, {"MinServer", "0"}, {"MinSpareServer", "0"}},
        {{"MaxServer", "10"}, {"StartServer", "2"}, {"MinSpareServer", "4"},
         {"MaxSpareServer", "6"}},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
        check_invariants(configs[i]);
}

/* ---- pool_judge -------------------------------------------------------- */

struct judge_case {
    const char *what;
    struct pool_child child;
    enum pool_verdict verdict;
};

/* Settings for the judge: MaxServerExpireTime 50 (from the heartbeat 10),
 * GraceExpireTime 20, MaxServerLifeTime 100, MaxServerSpareTime 30; the
 * time is 1000. */
static const struct judge_case judge_cases[] = {
    {"healthy", {990, 999, 0, 0, 1, 0, 0}, VERDICT_KEEP},
    {"healthy and idle a while", {990, 999, 0, 980, 1, 0, 0}, VERDICT_KEEP},
    {"silent exactly MaxServerExpireTime", {900, 950, 0, 0, 1, 0, 0},
     VERDICT_KILL_SILENT},
    {"silent just under MaxServerExpireTime", {950, 950.5, 0, 0, 1, 0, 0},
     VERDICT_KEEP},
    {"not ready and silent", {940, 940, 0, 0, 0, 0, 0}, VERDICT_KILL_SILENT},
    {"not ready, still starting", {990, 990, 0, 0, 0, 0, 0}, VERDICT_KEEP},
    {"stopping past GraceExpireTime and the slack", {990, 999, 979, 0, 1, 0,
     0}, VERDICT_KILL_GRACE},
    {"stopping past GraceExpireTime, within the slack (the child closes "
     "its connections itself)", {990, 999, 980, 0, 1, 0, 0}, VERDICT_KEEP},
    {"stopping within grace", {990, 999, 985, 0, 1, 0, 0}, VERDICT_KEEP},
    {"stopping and silent: grace verdict first", {0, 900, 900, 0, 1, 0, 0},
     VERDICT_KILL_GRACE},
    {"older than MaxServerLifeTime", {900, 999, 0, 0, 1, 0, 0},
     VERDICT_RECYCLE_LIFETIME},
    {"just younger than MaxServerLifeTime", {901, 999, 0, 0, 1, 0, 0},
     VERDICT_KEEP},
    {"idle for MaxServerSpareTime", {950, 999, 0, 970, 1, 0, 0},
     VERDICT_RECYCLE_SPARETIME},
    {"idle just under MaxServerSpareTime", {950, 999, 0, 971, 1, 0, 0},
     VERDICT_KEEP},
    {"old and idle: lifetime first", {800, 999, 0, 900, 1, 0, 0},
     VERDICT_RECYCLE_LIFETIME},
    {"not ready: never recycled", {1, 999, 0, 2, 0, 0, 0}, VERDICT_KEEP},
    {"stopping: never recycled", {1, 999, 995, 2, 1, 0, 0}, VERDICT_KEEP},
};

/* pool_judge over the table of cases. */
static void test_judge_cases(void **state)
{
    static const struct override set[4] = {
        {"GraceExpireTime", "20"}, {"MaxServerLifeTime", "100"},
        {"MaxServerSpareTime", "30"}};
    struct settings s;
    (void)state;
    make_settings(&s, set);
    assert_float_equal(s.max_server_expire_time, 50, 0);
    for (size_t i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]);
         i++) {
        const struct judge_case *c = &judge_cases[i];
        enum pool_verdict v = pool_judge(&c->child, 1000, &s);
        if (v != c->verdict)
            fail_msg("%s: verdict %d, expected %d", c->what, (int)v,
                     (int)c->verdict);
    }
    settings_free(&s);
}

/* With the recycling limits at their default 0, an old idle child is
 * kept; the liveness verdicts still apply. */
static void test_judge_limits_off(void **state)
{
    static const struct override none[4] = {{0}};
    struct pool_child old_idle = {1, 999, 0, 2, 1, 0, 0};
    struct pool_child silent = {1, 949, 0, 2, 1, 0, 0};
    struct pool_child stopping = {1, 999, 960, 0, 1, 0, 0};
    struct settings s;
    (void)state;
    make_settings(&s, none);
    assert_int_equal(pool_judge(&old_idle, 1000, &s), VERDICT_KEEP);
    assert_int_equal(pool_judge(&silent, 1000, &s), VERDICT_KILL_SILENT);
    assert_int_equal(pool_judge(&stopping, 1000, &s), VERDICT_KEEP);
    assert_int_equal(pool_judge(&stopping, 999.5, &s), VERDICT_KEEP);
    settings_free(&s);
}

/* A stopping child is killed once GraceExpireTime (by default equal to
 * MaxServerExpireTime, 50) and POOL_GRACE_SLACK have passed. */
static void test_judge_default_grace(void **state)
{
    static const struct override none[4] = {{0}};
    struct pool_child stopping = {1, 999, 950, 0, 1, 0, 0};
    struct settings s;
    (void)state;
    make_settings(&s, none);
    assert_int_equal(pool_judge(&stopping, 1000.9, &s), VERDICT_KEEP);
    assert_int_equal(pool_judge(&stopping, 1001, &s), VERDICT_KILL_GRACE);
    settings_free(&s);
}

/* MaxServerMemory: a ready child over the limit is recycled; at or under
 * it, or with the limit off, it is kept. */
static void test_judge_memory(void **state)
{
    static const struct override limit[4] = {{"MaxServerMemory", "64"}};
    static const struct override none[4] = {{0}};
    struct pool_child fat = {990, 999, 0, 0, 1, 64.5, 0};
    struct pool_child lean = {990, 999, 0, 0, 1, 64, 0};
    struct pool_child fat_stopping = {990, 999, 995, 0, 1, 500, 0};
    struct settings s;
    (void)state;
    make_settings(&s, limit);
    assert_int_equal(pool_judge(&fat, 1000, &s), VERDICT_RECYCLE_MEMORY);
    assert_int_equal(pool_judge(&lean, 1000, &s), VERDICT_KEEP);
    assert_int_equal(pool_judge(&fat_stopping, 1000, &s), VERDICT_KEEP);
    settings_free(&s);
    make_settings(&s, none);
    assert_int_equal(pool_judge(&fat, 1000, &s), VERDICT_KEEP);
    settings_free(&s);
}

/* RecycleJitter stretches MaxServerLifeTime by up to the jitter fraction,
 * by the child's own draw. */
static void test_judge_lifetime_jitter(void **state)
{
    static const struct override set[4] = {{"MaxServerLifeTime", "100"},
                                           {"RecycleJitter", "0.5"}};
    struct pool_child early = {900, 999, 0, 0, 1, 0, 0.5};  /* limit 125 */
    struct settings s;
    (void)state;
    make_settings(&s, set);
    assert_int_equal(pool_judge(&early, 1024, &s), VERDICT_KEEP);
    assert_int_equal(pool_judge(&early, 1025, &s), VERDICT_RECYCLE_LIFETIME);
    settings_free(&s);
}

static void test_jitter(void **state)
{
    (void)state;
    assert_true(pool_jitter(100, 0.1, 0) == 100);
    assert_true(pool_jitter(100, 0.1, 0.5) == 105);
    assert_true(pool_jitter(100, 0, 0.9) == 100);
    assert_true(pool_jitter(0, 0.1, 0.9) == 0);   /* off stays off */
}

/* Wait statuses as waitpid reports them. */
#define EXITED(code) (((code) & 0xff) << 8)
#define SIGNALED(sig) (sig)

/* Every kind of exit, and which count toward the crash-loop back-off. */
static void test_classify_exit(void **state)
{
    (void)state;
    assert_int_equal(pool_classify_exit(EXITED(0), KILLED_NOT, 1, 1),
                     EXIT_STOPPED);
    assert_int_equal(pool_classify_exit(EXITED(0), KILLED_NOT, 0, 1),
                     EXIT_FAILED);
    assert_int_equal(pool_classify_exit(EXITED(2), KILLED_NOT, 1, 1),
                     EXIT_FAILED);
    assert_int_equal(pool_classify_exit(EXITED(CHILD_EXIT_START_FAILED),
                                        KILLED_NOT, 0, 0), EXIT_START_FAILED);
    /* a script's own os.exit(3) after READY is no failed start */
    assert_int_equal(pool_classify_exit(EXITED(CHILD_EXIT_START_FAILED),
                                        KILLED_NOT, 0, 1), EXIT_FAILED);
    assert_int_equal(pool_classify_exit(SIGNALED(11), KILLED_NOT, 0, 1),
                     EXIT_CRASHED);
    assert_int_equal(pool_classify_exit(SIGNALED(9), KILLED_SILENT, 0, 1),
                     EXIT_KILLED_SILENT);
    assert_int_equal(pool_classify_exit(SIGNALED(9), KILLED_GRACE, 1, 1),
                     EXIT_KILLED_GRACE);
    assert_int_equal(pool_classify_exit(SIGNALED(9), KILLED_SHUTDOWN, 0, 1),
                     EXIT_STOPPED);
    assert_int_equal(pool_classify_exit(SIGNALED(9), KILLED_PROTOCOL, 0, 1),
                     EXIT_FAILED);
    assert_true(WIFSIGNALED(SIGNALED(11)) && WIFEXITED(EXITED(3)));
    assert_true(pool_exit_is_failure(EXIT_START_FAILED));
    assert_true(pool_exit_is_failure(EXIT_CRASHED));
    assert_true(pool_exit_is_failure(EXIT_FAILED));
    assert_true(pool_exit_is_failure(EXIT_KILLED_SILENT));
    assert_false(pool_exit_is_failure(EXIT_STOPPED));
    assert_false(pool_exit_is_failure(EXIT_KILLED_GRACE));
}

/* A first crash is replaced at once, a first failed start after 0.1 s;
 * both then double. */
static void test_respawn_delay(void **state)
{
    (void)state;
    assert_true(pool_respawn_delay(EXIT_CRASHED, 1) == 0);
    assert_true(pool_respawn_delay(EXIT_FAILED, 1) == 0);
    assert_true(pool_respawn_delay(EXIT_KILLED_SILENT, 2) == 0.1);
    assert_true(pool_respawn_delay(EXIT_CRASHED, 3) == 0.2);
    assert_true(pool_respawn_delay(EXIT_START_FAILED, 1) == 0.1);
    assert_true(pool_respawn_delay(EXIT_START_FAILED, 2) == 0.2);
    assert_true(pool_respawn_delay(EXIT_CRASHED, 100) == 10);
}

/* ---- pool_backoff ------------------------------------------------------ */

/* 0 failures: no wait; then 0.1 s doubling. */
static void test_backoff_values(void **state)
{
    (void)state;
    assert_true(pool_backoff(0) == 0);
    assert_true(pool_backoff(-1) == 0);
    assert_float_equal(pool_backoff(1), 0.1, 1e-12);
    assert_float_equal(pool_backoff(2), 0.2, 1e-12);
    assert_float_equal(pool_backoff(3), 0.4, 1e-12);
    assert_float_equal(pool_backoff(4), 0.8, 1e-12);
    assert_float_equal(pool_backoff(7), 6.4, 1e-12);
}

/* Past 6.4 s the delay is exactly 10 s, however many failures. */
static void test_backoff_cap(void **state)
{
    (void)state;
    assert_true(pool_backoff(8) == 10);
    assert_true(pool_backoff(9) == 10);
    assert_true(pool_backoff(100) == 10);
    assert_true(pool_backoff(INT_MAX) == 10);
}

/* The delay never decreases and never goes above 10 s. */
static void test_backoff_monotonic(void **state)
{
    double prev = 0;
    (void)state;
    for (int n = 0; n <= 2000; n++) {
        double d = pool_backoff(n);
        assert_true(d >= prev);
        assert_true(d <= 10);
        prev = d;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide_cases),
        cmocka_unit_test(test_decide_invariants),
        cmocka_unit_test(test_judge_cases),
        cmocka_unit_test(test_judge_limits_off),
        cmocka_unit_test(test_judge_default_grace),
        cmocka_unit_test(test_judge_memory),
        cmocka_unit_test(test_judge_lifetime_jitter),
        cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_classify_exit),
        cmocka_unit_test(test_respawn_delay),
        cmocka_unit_test(test_backoff_values),
        cmocka_unit_test(test_backoff_cap),
        cmocka_unit_test(test_backoff_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
