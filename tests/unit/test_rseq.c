/* test_rseq.c: after rseq_unregister the kernel no longer keeps the
 * thread's rseq area (its cpu_id reads "uninitialized"), in this process
 * and in a child forked after it, and sched_getcpu still answers. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/rseq.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rseq.h"

/* The cpu_id field of this thread's area, as the kernel left it. */
static int32_t area_cpu_id(void)
{
    const struct rseq *area = (const struct rseq *)(
        (const char *)__builtin_thread_pointer() + __rseq_offset);
    return (int32_t)area->cpu_id;
}

/* Runs first: glibc registered an area the kernel keeps, then none. */
static void test_unregister_leaves_no_area(void **state)
{
    (void)state;
    /* Debian 12's glibc registers one unless told not to (the tunable
     * glibc.pthread.rseq=0), and then there is nothing to test. */
    assert_true(__rseq_size > 0);
    sched_yield();
    assert_true(area_cpu_id() >= 0);
    assert_int_equal(rseq_unregister(), 0);
    sched_yield();
    assert_int_equal(area_cpu_id(), RSEQ_CPU_ID_UNINITIALIZED);
    assert_true(sched_getcpu() >= 0);
}

/* A second call finds nothing to do and succeeds. */
static void test_unregister_twice(void **state)
{
    (void)state;
    assert_int_equal(rseq_unregister(), 0);
    assert_int_equal(rseq_unregister(), 0);
}

/* A child forked afterwards starts with no area either: the kernel does
 * not write its cpu_id, even after it has been rescheduled. */
static void test_child_inherits_none(void **state)
{
    (void)state;
    assert_int_equal(rseq_unregister(), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int i = 0; i < 100; i++) sched_yield();
        usleep(1000);
        _exit(area_cpu_id() == RSEQ_CPU_ID_UNINITIALIZED ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unregister_leaves_no_area),
        cmocka_unit_test(test_unregister_twice),
        cmocka_unit_test(test_child_inherits_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
