/* test_sock.c: outgoing sockets against a loopback peer on a real event
 * loop: connect, send, receive by pattern, timeouts, refusals, EOF, and
 * what the edge-triggered read event leaves to the next receive or to a
 * keep-alive pool, a reset behind the last bytes, and a TLS handshake
 * left waiting mid-record. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "sock.h"

struct fixture {
    struct event_base *base;
    int listener;
    struct sockaddr_in addr;
    int finished;
    enum sock_op op;
    enum sock_err err;
};

static void on_done(struct sock *s, enum sock_op op, enum sock_err err,
                    void *arg)
{
    struct fixture *f = arg;
    (void)s;
    f->finished++;
    f->op = op;
    f->err = err;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    f.base = event_base_new();
    f.listener = socket(AF_INET, SOCK_STREAM, 0);
    f.addr.sin_family = AF_INET;
    f.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(f.addr);
    if (bind(f.listener, (struct sockaddr *)&f.addr, len) < 0 ||
        listen(f.listener, 8) < 0 ||
        getsockname(f.listener, (struct sockaddr *)&f.addr, &len) < 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    close(f->listener);
    event_base_free(f->base);
    return 0;
}

/* Run the loop until the pending operation finishes (bounded). */
static void run_until_done(struct fixture *f)
{
    int before = f->finished;
    for (int i = 0; i < 200 && f->finished == before; i++)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_int_equal(f->finished, before + 1);
}

/* A connected socket and the peer's end of it. */
static struct sock *connected(struct fixture *f, int *peer)
{
    struct sock *s = sock_new(f->base, on_done, f);
    enum sock_err err;
    enum sock_result r = sock_connect(s, (struct sockaddr *)&f->addr,
                                      sizeof(f->addr), &err);
    if (r == SOCK_PENDING) run_until_done(f);
    else assert_int_equal(r, SOCK_DONE);
    *peer = accept(f->listener, NULL, NULL);
    assert_true(*peer >= 0);
    return s;
}

/* Run the loop (bounded) until s's read event has fired while idle. */
static void turn_until_edge(struct fixture *f, struct sock *s)
{
    for (int i = 0; i < 50 && !s->unread; i++)
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_true(s->unread);
}

/* Bytes sent arrive whole; a line that comes in pieces is one result. */
static void test_send_and_receive_line(void **state)
{
    struct fixture *f = *state;
    int peer;
    struct sock *s = connected(f, &peer);
    enum sock_err err;
    assert_int_equal(sock_send(s, "PING\r\n", 6, &err), SOCK_DONE);
    char buf[16];
    assert_int_equal(recv(peer, buf, sizeof(buf), 0), 6);
    struct recv_pattern p;
    recv_pattern_init(&p, RECV_LINE, 0, NULL, 0, 0);
    assert_int_equal(sock_receive(s, &p, &err), SOCK_PENDING);
    assert_int_equal(send(peer, "+PO", 3, 0), 3);
    int before = f->finished;
    event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_int_equal(f->finished, before);  /* half a line: still waiting */
    assert_int_equal(send(peer, "NG\r\nrest", 8, 0), 8);
    run_until_done(f);
    assert_int_equal(f->err, SOCK_ERR_NONE);
    assert_int_equal(s->cut.data, 6);
    assert_memory_equal(bytebuf_head(&s->in), "+PONG\r", 6);
    bytebuf_consume(&s->in, s->cut.consume);
    assert_int_equal(bytebuf_len(&s->in), 4);
    close(peer);
    sock_free(s);
}

/* A silent peer times the receive out; the socket stays usable. */
static void test_read_timeout_keeps_socket(void **state)
{
    struct fixture *f = *state;
    f->finished = 0;
    int peer;
    struct sock *s = connected(f, &peer);
    sock_set_timeouts(s, 1, 1, 0.05);
    struct recv_pattern p;
    enum sock_err err;
    recv_pattern_init(&p, RECV_SIZE, 4, NULL, 0, 0);
    assert_int_equal(sock_receive(s, &p, &err), SOCK_PENDING);
    run_until_done(f);
    assert_int_equal(f->err, SOCK_ERR_TIMEOUT);
    assert_true(s->fd >= 0);
    assert_int_equal(send(peer, "abcd", 4, 0), 4);
    assert_int_equal(sock_receive(s, &p, &err), SOCK_PENDING);
    run_until_done(f);
    assert_int_equal(f->err, SOCK_ERR_NONE);
    close(peer);
    sock_free(s);
}

/* The peer closing before the pattern is met: "closed", what came kept. */
static void test_eof_leaves_partial(void **state)
{
    struct fixture *f = *state;
    f->finished = 0;
    int peer;
    struct sock *s = connected(f, &peer);
    struct recv_pattern p;
    enum sock_err err;
    recv_pattern_init(&p, RECV_LINE, 0, NULL, 0, 0);
    assert_int_equal(send(peer, "part", 4, 0), 4);
    close(peer);
    enum sock_result r = sock_receive(s, &p, &err);
    if (r == SOCK_PENDING) {
        run_until_done(f);
        err = f->err;
    }
    assert_int_equal(err, SOCK_ERR_CLOSED);
    assert_int_equal(bytebuf_len(&s->in), 4);
    sock_free(s);
}

/* A port nobody listens on refuses, in OpenResty's words. */
static void test_refused(void **state)
{
    struct fixture *f = *state;
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = f->addr;
    socklen_t len = sizeof(a);
    a.sin_port = 0;
    bind(probe, (struct sockaddr *)&a, len);
    getsockname(probe, (struct sockaddr *)&a, &len);
    close(probe);  /* a free port, closed */
    f->finished = 0;
    struct sock *s = sock_new(f->base, on_done, f);
    enum sock_err err = SOCK_ERR_NONE;
    char text[64];
    if (sock_connect(s, (struct sockaddr *)&a, len, &err) == SOCK_PENDING) {
        run_until_done(f);
        err = f->err;
    }
    assert_int_equal(err, SOCK_ERR_SYS);
    assert_string_equal(sock_error_text(s, err, text, sizeof(text)),
                        "connection refused");
    assert_int_equal(s->fd, -1);
    sock_free(s);
}

/* Bytes that came while no receive waited (their edge is gone) are read
 * by the next receive at once; once read dry, the socket may be pooled
 * again, but not with bytes left in its buffer. */
static void test_input_while_idle(void **state)
{
    struct fixture *f = *state;
    int peer;
    struct sock *s = connected(f, &peer);
    assert_true(sock_reusable(s));
    assert_int_equal(send(peer, "+OK\r\n+OK\r\n", 10, 0), 10);
    turn_until_edge(f, s);
    assert_true(sock_idle(s));       /* nothing in its own buffer yet */
    struct recv_pattern p;
    enum sock_err err;
    recv_pattern_init(&p, RECV_LINE, 0, NULL, 0, 0);
    assert_int_equal(sock_receive(s, &p, &err), SOCK_DONE);
    assert_false(s->unread);         /* a short read ran the kernel dry */
    bytebuf_consume(&s->in, s->cut.consume);
    assert_false(sock_idle(s));      /* the second line is buffered */
    assert_int_equal(sock_receive(s, &p, &err), SOCK_DONE);
    bytebuf_consume(&s->in, s->cut.consume);
    assert_true(sock_reusable(s));
    close(peer);
    sock_free(s);
}

/* More than one callback's reads in one go: the receive takes a few
 * reads per callback, is made active again without an edge, and gets it
 * all. */
static void test_large_input_across_turns(void **state)
{
    struct fixture *f = *state;
    int peer;
    struct sock *s = connected(f, &peer);
    enum { BIG = 6 * SOCK_READ_SIZE };
    static char out[BIG];
    memset(out, 'x', sizeof(out));
    int room = 1 << 20;
    setsockopt(peer, SOL_SOCKET, SO_SNDBUF, &room, sizeof(room));
    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &room, sizeof(room));
    size_t sent = 0;
    for (int i = 0; i < 1000 && sent < BIG; i++) {
        ssize_t n = send(peer, out + sent, BIG - sent, MSG_DONTWAIT);
        if (n > 0) sent += (size_t)n;
        else usleep(1000);
    }
    assert_int_equal(sent, BIG);
    struct recv_pattern p;
    enum sock_err err;
    recv_pattern_init(&p, RECV_SIZE, BIG, NULL, 0, 0);
    assert_int_equal(sock_receive(s, &p, &err), SOCK_PENDING);
    run_until_done(f);
    assert_int_equal(f->err, SOCK_ERR_NONE);
    assert_int_equal(s->cut.data, BIG);
    close(peer);
    sock_free(s);
}

/* An idle socket whose peer closed is not handed out again. */
static void test_peer_gone_while_idle(void **state)
{
    int peer;
    struct sock *s = connected(*state, &peer);
    close(peer);
    turn_until_edge(*state, s);
    assert_true(sock_idle(s));
    assert_false(sock_reusable(s));
    sock_free(s);
}

/* Bytes then a reset, short of the pattern: the reset is the answer at
 * once, not the read timeout. */
static void test_reset_behind_bytes(void **state)
{
    struct fixture *f = *state;
    f->finished = 0;
    int peer;
    struct sock *s = connected(f, &peer);
    sock_set_timeouts(s, 5, 5, 5);
    struct recv_pattern p;
    enum sock_err err;
    recv_pattern_init(&p, RECV_SIZE, 10, NULL, 0, 0);
    struct linger hard = {1, 0};
    assert_int_equal(send(peer, "abc", 3, 0), 3);
    setsockopt(peer, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    close(peer);  /* RST */
    usleep(20000);
    enum sock_result r = sock_receive(s, &p, &err);
    if (r == SOCK_PENDING) {
        run_until_done(f);
        err = f->err;
    }
    assert_int_equal(err, SOCK_ERR_SYS);
    assert_int_equal(s->sys_errno, ECONNRESET);
    sock_free(s);
}

/* A handshake whose server sent part of a record and went quiet waits on
 * the loop (timers run) and ends at its timeout. A child that spun here
 * would never return from the loop: the alarm ends the test then. */
static void test_handshake_waits_mid_record(void **state)
{
    struct fixture *f = *state;
    f->finished = 0;
    int peer;
    struct sock *s = connected(f, &peer);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    sock_set_timeouts(s, 0.2, 0.2, 0.2);
    enum sock_err err;
    alarm(20);
    assert_int_equal(sock_handshake(s, ctx, NULL, 0, NULL, &err), SOCK_PENDING);
    char hello[4096];
    usleep(20000);
    assert_true(recv(peer, hello, sizeof(hello), 0) > 0);  /* ClientHello */
    assert_int_equal(send(peer, "\x16\x03\x03\x00\x50", 5, 0), 5);
    run_until_done(f);
    alarm(0);
    assert_int_equal(f->op, SOCK_OP_HANDSHAKE);
    assert_int_equal(f->err, SOCK_ERR_TIMEOUT);
    close(peer);
    sock_free(s);
    SSL_CTX_free(ctx);
}

/* receiveuntil with a size, met after a wait: the piece before the
 * delimiter, not yet the end (the pattern is asked once per read). */
static void test_until_after_wait(void **state)
{
    struct recv_pattern p;
    recv_pattern_init(&p, RECV_UNTIL, 3, "--", 2, 0);
    struct fixture *f = *state;
    int peer;
    struct sock *s = connected(f, &peer);
    enum sock_err err;
    assert_int_equal(sock_receive(s, &p, &err), SOCK_PENDING);
    assert_int_equal(send(peer, "ab--", 4, 0), 4);
    run_until_done(f);
    assert_int_equal(f->err, SOCK_ERR_NONE);
    assert_int_equal(s->cut.end, 0);
    assert_int_equal(s->cut.data, 2);
    close(peer);
    sock_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_and_receive_line),
        cmocka_unit_test(test_read_timeout_keeps_socket),
        cmocka_unit_test(test_eof_leaves_partial),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_until_after_wait),
        cmocka_unit_test(test_input_while_idle),
        cmocka_unit_test(test_large_input_across_turns),
        cmocka_unit_test(test_peer_gone_while_idle),
        cmocka_unit_test(test_reset_behind_bytes),
        cmocka_unit_test(test_handshake_waits_mid_record),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
