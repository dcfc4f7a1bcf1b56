/* test_sock_pool.c: keep-alive pools of connected sockets (over a unix
 * listener) on a real loop. */
#include <event2/event.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "sock.h"
#include "sock_pool.h"

struct fixture {
    struct event_base *base;
    int listener;
    struct sockaddr_un addr;
};

static void on_done(struct sock *s, enum sock_op op, enum sock_err err,
                    void *arg)
{
    (void)s, (void)op, (void)err, (void)arg;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    f.base = event_base_new();
    f.addr.sun_family = AF_UNIX;
    snprintf(f.addr.sun_path, sizeof(f.addr.sun_path),
             "/tmp/test_sock_pool.%d", (int)getpid());
    unlink(f.addr.sun_path);
    f.listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(f.listener, (struct sockaddr *)&f.addr, sizeof(f.addr)) < 0 ||
        listen(f.listener, 16) < 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    close(f->listener);
    unlink(f->addr.sun_path);
    event_base_free(f->base);
    return 0;
}

/* A connected socket (a unix connect finishes at once) and its peer. */
static struct sock *connected(struct fixture *f, int *peer)
{
    struct sock *s = sock_new(f->base, on_done, NULL);
    enum sock_err err;
    assert_int_equal(sock_connect(s, (struct sockaddr *)&f->addr,
                                  sizeof(f->addr), &err), SOCK_DONE);
    *peer = accept(f->listener, NULL, NULL);
    assert_true(*peer >= 0);
    return s;
}

static int is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

/* Run the loop's ready events a few times. */
static void turn(struct fixture *f)
{
    for (int i = 0; i < 5; i++)
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* The newest goes out first, with its reuse count raised by one. */
static void test_put_get(void **state)
{
    struct fixture *f = *state;
    struct sock_pool *p = sock_pool_new(f->base);
    int pa, pb;
    struct sock *a = connected(f, &pa), *b = connected(f, &pb);
    unsigned reused = 0;
    assert_int_equal(sock_pool_put(p, "db:1", a, 60, 10, 0), 0);
    assert_int_equal(sock_pool_put(p, "db:1", b, 60, 10, 4), 0);
    assert_int_equal(sock_pool_count(p, "db:1"), 2);
    turn(f);
    assert_ptr_equal(sock_pool_get(p, "db:1", &reused), b);
    assert_int_equal(reused, 5);
    assert_ptr_equal(sock_pool_get(p, "db:1", &reused), a);
    assert_null(sock_pool_get(p, "db:1", &reused));
    assert_null(sock_pool_get(p, "other", &reused));
    assert_int_equal(sock_pool_put(p, "db:1", a, 60, 10, 0), 0);
    assert_ptr_equal(sock_pool_get(p, "db:1", &reused), a);  /* reused entry */
    sock_free(a), sock_free(b), close(pa), close(pb);
    sock_pool_free(p);
}

/* A full pool closes its oldest; a pool freed closes what it holds. */
static void test_size_limit(void **state)
{
    struct fixture *f = *state;
    struct sock_pool *p = sock_pool_new(f->base);
    int pa, pb, pc;
    struct sock *a = connected(f, &pa), *b = connected(f, &pb);
    struct sock *c = connected(f, &pc);
    int fa = a->fd, fb = b->fd, fc = c->fd;
    sock_pool_put(p, "k", a, 60, 2, 0);
    sock_pool_put(p, "k", b, 60, 2, 0);
    sock_pool_put(p, "k", c, 60, 2, 0);
    assert_int_equal(sock_pool_count(p, "k"), 2);
    assert_false(is_open(fa));
    sock_pool_free(p);
    assert_false(is_open(fb));
    assert_false(is_open(fc));
    close(pa), close(pb), close(pc);
}

/* An idle socket whose peer closed or spoke is dropped when taken (its
 * edge noted while it idled), and the next good one is handed out; one
 * that outlives its idle time goes by itself. */
static void test_dropped_when_unusable(void **state)
{
    struct fixture *f = *state;
    struct sock_pool *p = sock_pool_new(f->base);
    int pa, pb, pg, pc;
    struct sock *a = connected(f, &pa), *b = connected(f, &pb);
    struct sock *g = connected(f, &pg), *c = connected(f, &pc);
    int fa = a->fd, fb = b->fd, fc = c->fd;
    unsigned reused;
    sock_pool_put(p, "k", g, 60, 10, 0);
    sock_pool_put(p, "k", a, 60, 10, 0);
    sock_pool_put(p, "k", b, 60, 10, 0);
    sock_pool_put(p, "t", c, 0.02, 10, 0);
    close(pa);
    assert_int_equal(write(pb, "x", 1), 1);
    turn(f);
    assert_ptr_equal(sock_pool_get(p, "k", &reused), g);
    assert_false(is_open(fa));
    assert_false(is_open(fb));
    for (int i = 0; i < 50 && sock_pool_count(p, "t"); i++)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_int_equal(sock_pool_count(p, "t"), 0);
    assert_false(is_open(fc));
    sock_free(g), close(pb), close(pg), close(pc);
    sock_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_dropped_when_unusable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
