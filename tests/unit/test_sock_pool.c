/* test_sock_pool.c: keep-alive pools over socketpairs on a real loop. */
#include <event2/event.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sock_pool.h"

/* A connected pair; *peer gets the other end. */
static int pair(int *peer)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    *peer = sv[1];
    return sv[0];
}

static int is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

/* The newest goes out first, with its reuse count raised by one. */
static void test_put_get(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct sock_pool *p = sock_pool_new(base);
    int pa, pb, a = pair(&pa), b = pair(&pb);
    unsigned reused = 0;
    assert_int_equal(sock_pool_put(p, "db:1", a, 60, 10, 0), 0);
    assert_int_equal(sock_pool_put(p, "db:1", b, 60, 10, 4), 0);
    assert_int_equal(sock_pool_count(p, "db:1"), 2);
    assert_int_equal(sock_pool_get(p, "db:1", &reused), b);
    assert_int_equal(reused, 5);
    assert_int_equal(sock_pool_get(p, "db:1", &reused), a);
    assert_int_equal(sock_pool_get(p, "db:1", &reused), -1);
    assert_int_equal(sock_pool_get(p, "other", &reused), -1);
    close(a), close(b), close(pa), close(pb);
    sock_pool_free(p);
    event_base_free(base);
}

/* A full pool closes its oldest; a pool freed closes what it holds. */
static void test_size_limit(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct sock_pool *p = sock_pool_new(base);
    int pa, pb, pc, a = pair(&pa), b = pair(&pb), c = pair(&pc);
    sock_pool_put(p, "k", a, 60, 2, 0);
    sock_pool_put(p, "k", b, 60, 2, 0);
    sock_pool_put(p, "k", c, 60, 2, 0);
    assert_int_equal(sock_pool_count(p, "k"), 2);
    assert_false(is_open(a));
    sock_pool_free(p);
    assert_false(is_open(b));
    assert_false(is_open(c));
    close(pa), close(pb), close(pc);
    event_base_free(base);
}

/* An idle connection whose peer closed or spoke is dropped when taken,
 * and the next good one is handed out; one that outlives its idle time
 * goes by itself. */
static void test_dropped_when_unusable(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct sock_pool *p = sock_pool_new(base);
    int pa, pb, pg, pc, a = pair(&pa), b = pair(&pb), g = pair(&pg);
    int c = pair(&pc);
    unsigned reused;
    sock_pool_put(p, "k", g, 60, 10, 0);
    sock_pool_put(p, "k", a, 60, 10, 0);
    sock_pool_put(p, "k", b, 60, 10, 0);
    sock_pool_put(p, "t", c, 0.02, 10, 0);
    close(pa);
    assert_int_equal(write(pb, "x", 1), 1);
    assert_int_equal(sock_pool_get(p, "k", &reused), g);
    assert_false(is_open(a));
    assert_false(is_open(b));
    for (int i = 0; i < 50 && sock_pool_count(p, "t"); i++)
        event_base_loop(base, EVLOOP_ONCE);
    assert_int_equal(sock_pool_count(p, "t"), 0);
    assert_false(is_open(c));
    close(g), close(pb), close(pg), close(pc);
    sock_pool_free(p);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_dropped_when_unusable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
