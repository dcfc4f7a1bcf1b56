/* test_pidfile.c: the PidFile's lock decides, not the pid written in it. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pidfile.h"
#include "test_util.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/tine-test-pidfile-%d", (int)getpid());
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static long pid_written(void)
{
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f && fscanf(f, "%ld", &pid) != 1) pid = 0;
    if (f) fclose(f);
    return pid;
}

/* A stale file naming a live process that holds no lock (init) is taken
 * over; our pid is written. */
static void test_takes_stale_file(void **state)
{
    char err[256];
    (void)state;
    FILE *f = fopen(path, "w");
    fputs("1\n", f);
    fclose(f);
    int fd = pidfile_take(path, err, sizeof(err));
    assert_true(fd >= 0);
    assert_int_equal(pid_written(), (long)getpid());
    pidfile_release(path, fd);
    assert_int_equal(access(path, F_OK), -1);
}

/* A file locked by another process is refused, naming its pid, and left
 * as it is. */
static void test_refuses_held_file(void **state)
{
    char err[256];
    int sync[2];
    (void)state;
    assert_int_equal(pipe(sync), 0);
    pid_t holder = fork();
    if (holder == 0) {
        int fd = pidfile_take(path, err, sizeof(err));
        char c = fd >= 0 ? 'y' : 'n';
        if (write(sync[1], &c, 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c = 0;
    assert_int_equal(read(sync[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    assert_int_equal(pidfile_take(path, err, sizeof(err)), -1);
    char want[64];
    snprintf(want, sizeof(want), "held by a running master (pid %d)",
             (int)holder);
    assert_contains(err, want);
    assert_int_equal(pid_written(), (long)holder);
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    close(sync[0]);
    close(sync[1]);
    int fd = pidfile_take(path, err, sizeof(err));  /* the lock went with it */
    assert_true(fd >= 0);
    pidfile_release(path, fd);
}

/* A file that cannot be written names the path and why. */
static void test_unwritable(void **state)
{
    char err[256];
    (void)state;
    assert_int_equal(pidfile_take("/nonexistent-dir/tine.pid", err,
                                  sizeof(err)), -1);
    assert_contains(err, "PidFile: cannot open /nonexistent-dir/tine.pid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_takes_stale_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_held_file, setup,
                                        teardown),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
