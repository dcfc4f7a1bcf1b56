/* test_channel.c: master <-> child messages: encoding round trips, the
 * decoder's refusals of anything malformed, type names, and sending and
 * receiving over a real SOCK_SEQPACKET socketpair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "channel.h"

static const enum channel_type all_types[] = {
    MSG_READY,    MSG_HEARTBEAT, MSG_SHUTDOWN_SERVER, MSG_RECYCLE_ME,
    MSG_FAILED,    MSG_PAUSE,           MSG_RESUME,
    MSG_STOP, MSG_LOG_FILE, MSG_ACCESS_LOG};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

/* A message of `type` with every count field set to a telling value. */
static struct channel_msg sample(enum channel_type type)
{
    struct channel_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.conns = 123456;
    m.accepted = UINT64_C(0x0123456789abcdef);
    m.lua_kb = UINT32_C(4000000000);
    return m;
}

/* A valid encoded HEARTBEAT in buf; its length. */
static size_t valid_datagram(unsigned char *buf)
{
    struct channel_msg m = sample(MSG_HEARTBEAT);
    return channel_encode(&m, buf);
}

/* channel_decode must refuse buf[0..len) and leave out untouched. */
static void expect_refused(const unsigned char *buf, size_t len,
                           const char *what)
{
    struct channel_msg out, before;
    memset(&out, 0xa5, sizeof(out));
    memcpy(&before, &out, sizeof(out));
    if (channel_decode(buf, len, &out) != -1)
        fail_msg("decode accepted %s", what);
    assert_memory_equal(&out, &before, sizeof(out));
}

/* ---- encode and decode ------------------------------------------------- */

/* Every type round-trips with its counts, a 64-bit accepted count and a
 * lua_kb above 2^31; payload-less types encode to the header alone. */
static void test_round_trip_every_type(void **state)
{
    unsigned char buf[CHANNEL_MSG_MAX];
    (void)state;
    for (size_t i = 0; i < NTYPES; i++) {
        struct channel_msg m = sample(all_types[i]), out;
        size_t len = channel_encode(&m, buf);
        assert_int_equal(len, CHANNEL_HEADER_SIZE);
        memset(&out, 0xff, sizeof(out));
        assert_int_equal(channel_decode(buf, len, &out), 0);
        assert_int_equal(out.type, all_types[i]);
        assert_int_equal(out.conns, 123456);
        assert_true(out.accepted == UINT64_C(0x0123456789abcdef));
        assert_true(out.lua_kb == UINT32_C(4000000000));
        assert_int_equal(out.text_len, 0);
        assert_string_equal(out.text, "");
    }
}

/* Zero and maximal field values survive too. */
static void test_round_trip_extremes(void **state)
{
    unsigned char buf[CHANNEL_MSG_MAX];
    struct channel_msg m, out;
    (void)state;
    memset(&m, 0, sizeof(m));
    m.type = MSG_STOP;
    assert_int_equal(channel_decode(buf, channel_encode(&m, buf), &out), 0);
    assert_int_equal(out.conns, 0);
    assert_true(out.accepted == 0);
    m.type = MSG_HEARTBEAT;
    m.conns = UINT32_MAX;
    m.accepted = UINT64_MAX;
    m.lua_kb = UINT32_MAX;
    assert_int_equal(channel_decode(buf, channel_encode(&m, buf), &out), 0);
    assert_true(out.conns == UINT32_MAX);
    assert_true(out.accepted == UINT64_MAX);
    assert_true(out.lua_kb == UINT32_MAX);
}

/* The layout on the wire: "Tn", version 1, the type, then little-endian
 * conns, accepted, lua_kb and text_len. */
static void test_wire_layout(void **state)
{
    static const unsigned char want[CHANNEL_HEADER_SIZE] = {
        'T', 'n', 1, MSG_HEARTBEAT,
        0x40, 0xe2, 0x01, 0x00,                          /* 123456 */
        0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,  /* accepted */
        0x00, 0x28, 0x6b, 0xee,                          /* 4000000000 */
        0, 0, 0, 0};
    unsigned char buf[CHANNEL_MSG_MAX];
    struct channel_msg m = sample(MSG_HEARTBEAT);
    (void)state;
    assert_int_equal(channel_encode(&m, buf), CHANNEL_HEADER_SIZE);
    assert_memory_equal(buf, want, CHANNEL_HEADER_SIZE);
}

/* MSG_FAILED carries its text, which comes back terminated. */
static void test_failed_with_text(void **state)
{
    static const char text[] = "echo.lua:3: attempt to call a nil value";
    unsigned char buf[CHANNEL_MSG_MAX];
    struct channel_msg m = sample(MSG_FAILED), out;
    (void)state;
    m.text_len = (uint32_t)strlen(text);
    memcpy(m.text, text, m.text_len);
    size_t len = channel_encode(&m, buf);
    assert_int_equal(len, CHANNEL_HEADER_SIZE + strlen(text));
    memset(&out, 0xff, sizeof(out));
    assert_int_equal(channel_decode(buf, len, &out), 0);
    assert_int_equal(out.type, MSG_FAILED);
    assert_int_equal(out.text_len, strlen(text));
    assert_string_equal(out.text, text);
    assert_int_equal(out.conns, 123456);
}

/* A FAILED text longer than CHANNEL_TEXT_MAX is cut to it. */
static void test_failed_text_truncated(void **state)
{
    unsigned char buf[CHANNEL_MSG_MAX];
    struct channel_msg m = sample(MSG_FAILED), out;
    (void)state;
    memset(m.text, 'e', CHANNEL_TEXT_MAX);
    m.text_len = CHANNEL_TEXT_MAX + 500;
    size_t len = channel_encode(&m, buf);
    assert_int_equal(len, CHANNEL_MSG_MAX);
    assert_int_equal(channel_decode(buf, len, &out), 0);
    assert_int_equal(out.text_len, CHANNEL_TEXT_MAX);
    assert_int_equal(strlen(out.text), CHANNEL_TEXT_MAX);
}

/* A text_len on a type other than FAILED is not encoded. */
static void test_text_only_on_failed(void **state)
{
    unsigned char buf[CHANNEL_MSG_MAX];
    struct channel_msg m = sample(MSG_READY), out;
    (void)state;
    memcpy(m.text, "junk", 4);
    m.text_len = 4;
    size_t len = channel_encode(&m, buf);
    assert_int_equal(len, CHANNEL_HEADER_SIZE);
    assert_int_equal(channel_decode(buf, len, &out), 0);
    assert_int_equal(out.text_len, 0);
}

/* ---- decode refusals --------------------------------------------------- */

/* Datagrams shorter than the header. */
static void test_decode_short(void **state)
{
    unsigned char buf[CHANNEL_MSG_MAX];
    size_t len = valid_datagram(buf);
    (void)state;
    expect_refused(buf, 0, "an empty datagram");
    expect_refused(buf, 1, "1 byte");
    expect_refused(buf, len - 1, "a header short by one byte");
}

/* A wrong magic or version. */
static void test_decode_bad_magic_and_version(void **state)
{
    unsigned char buf[CHANNEL_MSG_MAX];
    size_t len;
    (void)state;
    len = valid_datagram(buf);
    buf[0] = 'X';
    expect_refused(buf, len, "bad magic byte 0");
    len = valid_datagram(buf);
    buf[1] = 'N';
    expect_refused(buf, len, "bad magic byte 1");
    len = valid_datagram(buf);
    buf[2] = 0;
    expect_refused(buf, len, "version 0");
    buf[2] = 2;
    expect_refused(buf, len, "version 2");
}

/* Types outside the two ranges. */
static void test_decode_unknown_types(void **state)
{
    static const unsigned char bad[] = {0, 6, 7, 8, 15, 21, 22, 255};
    unsigned char buf[CHANNEL_MSG_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof(bad); i++) {
        char what[32];
        size_t len = valid_datagram(buf);
        buf[3] = bad[i];
        snprintf(what, sizeof(what), "type %d", bad[i]);
        expect_refused(buf, len, what);
    }
}

/* Write text_len into an encoded datagram. */
static void put_text_len(unsigned char *buf, uint32_t n)
{
    for (int i = 0; i < 4; i++) buf[20 + i] = (unsigned char)(n >> (8 * i));
}

/* A text_len that does not match the datagram's length, either way, and
 * one claiming far more than the buffer holds: the size is never
 * trusted. */
static void test_decode_text_len_mismatch(void **state)
{
    unsigned char buf[CHANNEL_MSG_MAX];
    struct channel_msg m = sample(MSG_FAILED);
    (void)state;
    memcpy(m.text, "abcde", 5);
    m.text_len = 5;
    size_t len = channel_encode(&m, buf);
    expect_refused(buf, len - 2, "text_len 5 with 3 bytes of text");
    put_text_len(buf, 3);
    expect_refused(buf, len, "text_len 3 with 5 bytes of text");
    put_text_len(buf, 0);
    expect_refused(buf, len, "text_len 0 with 5 bytes of text");
    put_text_len(buf, 500);
    expect_refused(buf, len, "text_len 500 with 5 bytes of text");
    put_text_len(buf, UINT32_MAX);
    expect_refused(buf, len, "text_len 2^32-1");
    put_text_len(buf, UINT32_MAX - CHANNEL_HEADER_SIZE + 1 + 5);
    expect_refused(buf, len, "text_len that wraps to 5 with the header");
}

/* Text on a type other than FAILED, consistent length or not. */
static void test_decode_text_on_other_type(void **state)
{
    unsigned char buf[CHANNEL_MSG_MAX];
    size_t len = valid_datagram(buf);
    (void)state;
    memcpy(buf + len, "junk", 4);
    put_text_len(buf, 4);
    expect_refused(buf, len + 4, "HEARTBEAT with 4 bytes of text");
    buf[3] = MSG_STOP;
    expect_refused(buf, len + 4, "STOP with 4 bytes of text");
}

/* A datagram over CHANNEL_MSG_MAX, even with a matching text_len. */
static void test_decode_oversize(void **state)
{
    unsigned char buf[CHANNEL_MSG_MAX + 64];
    struct channel_msg m = sample(MSG_FAILED);
    (void)state;
    memset(m.text, 'x', CHANNEL_TEXT_MAX);
    m.text_len = CHANNEL_TEXT_MAX;
    size_t len = channel_encode(&m, buf);
    assert_int_equal(len, CHANNEL_MSG_MAX);
    buf[len] = 'x';
    put_text_len(buf, CHANNEL_TEXT_MAX + 1);
    expect_refused(buf, len + 1, "CHANNEL_MSG_MAX + 1 bytes");
}

/* ---- names ------------------------------------------------------------- */

/* Every type has its name; anything else is "?". */
static void test_type_names(void **state)
{
    static const char *const names[] = {
        "READY", "HEARTBEAT", "SHUTDOWN_SERVER", "RECYCLE_ME", "FAILED",
        "PAUSE", "RESUME", "STOP", "LOG_FILE", "ACCESS_LOG"};
    (void)state;
    for (size_t i = 0; i < NTYPES; i++)
        assert_string_equal(channel_type_name(all_types[i]), names[i]);
    assert_string_equal(channel_type_name((enum channel_type)0), "?");
    assert_string_equal(channel_type_name((enum channel_type)6), "?");
    assert_string_equal(channel_type_name((enum channel_type)7), "?");
    assert_string_equal(channel_type_name((enum channel_type)15), "?");
    assert_string_equal(channel_type_name(MSG_TYPE_END), "?");
    assert_string_equal(channel_type_name((enum channel_type)255), "?");
    assert_string_equal(channel_type_name((enum channel_type)-1), "?");
}

/* ---- over a socketpair ------------------------------------------------- */

/* Test fixture: a nonblocking SOCK_SEQPACKET socketpair in int[2]. */
static int setup_pair(void **state)
{
    static int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   fds) < 0)
        return -1;
    *state = fds;
    return 0;
}

static int teardown_pair(void **state)
{
    int *fds = *state;
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0) close(fds[i]);
    return 0;
}

/* A message goes through with its fields; then the socket is empty. */
static void test_send_recv(void **state)
{
    int *fds = *state;
    struct channel_msg m = sample(MSG_HEARTBEAT), out;
    assert_int_equal(channel_send(fds[0], &m), 0);
    assert_int_equal(channel_recv(fds[1], &out), 1);
    assert_int_equal(out.type, MSG_HEARTBEAT);
    assert_int_equal(out.conns, 123456);
    assert_true(out.accepted == UINT64_C(0x0123456789abcdef));
    assert_int_equal(channel_recv(fds[1], &out), 0);
}

/* A descriptor rides with MSG_LOG_FILE: the receiver gets a working copy
 * of its own; a message without one says -1. */
static void test_pass_descriptor(void **state)
{
    int *fds = *state, pipefd[2];
    struct channel_msg out;
    char c = 0;
    assert_int_equal(pipe(pipefd), 0);
    assert_int_equal(channel_send_fd(fds[0], MSG_LOG_FILE, pipefd[1]), 0);
    close(pipefd[1]);
    assert_int_equal(channel_recv(fds[1], &out), 1);
    assert_int_equal(out.type, MSG_LOG_FILE);
    assert_true(out.passed_fd >= 0);
    assert_int_equal(write(out.passed_fd, "x", 1), 1);
    assert_int_equal(read(pipefd[0], &c, 1), 1);
    assert_int_equal(c, 'x');
    close(out.passed_fd);
    close(pipefd[0]);
    assert_int_equal(channel_send_type(fds[0], MSG_STOP), 0);
    assert_int_equal(channel_recv(fds[1], &out), 1);
    assert_int_equal(out.passed_fd, -1);
}

/* Messages keep their boundaries and order, both ways; a FAILED text
 * arrives whole; channel_send_type sends zero counts. */
static void test_send_recv_sequence(void **state)
{
    int *fds = *state;
    struct channel_msg failed = sample(MSG_FAILED), out;
    strcpy(failed.text, "boom");
    failed.text_len = 4;
    assert_int_equal(channel_send_type(fds[0], MSG_READY), 0);
    assert_int_equal(channel_send(fds[0], &failed), 0);
    assert_int_equal(channel_send_type(fds[0], MSG_RECYCLE_ME), 0);
    assert_int_equal(channel_send_type(fds[1], MSG_PAUSE), 0);
    assert_int_equal(channel_recv(fds[1], &out), 1);
    assert_int_equal(out.type, MSG_READY);
    assert_int_equal(out.conns, 0);
    assert_true(out.accepted == 0);
    assert_int_equal(channel_recv(fds[1], &out), 1);
    assert_int_equal(out.type, MSG_FAILED);
    assert_string_equal(out.text, "boom");
    assert_int_equal(channel_recv(fds[1], &out), 1);
    assert_int_equal(out.type, MSG_RECYCLE_ME);
    assert_int_equal(channel_recv(fds[1], &out), 0);
    assert_int_equal(channel_recv(fds[0], &out), 1);
    assert_int_equal(out.type, MSG_PAUSE);
}

/* Nothing waiting: 0. */
static void test_recv_empty(void **state)
{
    int *fds = *state;
    struct channel_msg out;
    assert_int_equal(channel_recv(fds[1], &out), 0);
    assert_int_equal(channel_recv(fds[0], &out), 0);
}

/* A garbage datagram gives -2, and the next good message still comes. */
static void test_recv_garbage(void **state)
{
    int *fds = *state;
    struct channel_msg out;
    assert_int_equal(send(fds[0], "hello, world", 12, 0), 12);
    assert_int_equal(channel_recv(fds[1], &out), -2);
    assert_int_equal(channel_send_type(fds[0], MSG_RESUME), 0);
    assert_int_equal(channel_recv(fds[1], &out), 1);
    assert_int_equal(out.type, MSG_RESUME);
}

/* A datagram over CHANNEL_MSG_MAX with a valid header gives -2, not a
 * truncated message. */
static void test_recv_oversize(void **state)
{
    int *fds = *state;
    unsigned char buf[CHANNEL_MSG_MAX + 100];
    struct channel_msg m = sample(MSG_FAILED), out;
    memset(m.text, 'x', CHANNEL_TEXT_MAX);
    m.text_len = CHANNEL_TEXT_MAX;
    channel_encode(&m, buf);
    memset(buf + CHANNEL_MSG_MAX, 'x', 100);
    put_text_len(buf, CHANNEL_TEXT_MAX + 100);
    assert_int_equal(send(fds[0], buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    assert_int_equal(channel_recv(fds[1], &out), -2);
    assert_int_equal(channel_recv(fds[1], &out), 0);
}

/* The peer closed: recv gives -1, and send fails with -1 instead of
 * raising SIGPIPE. */
static void test_peer_closed(void **state)
{
    int *fds = *state;
    struct channel_msg out;
    close(fds[0]);
    fds[0] = -1;
    assert_int_equal(channel_recv(fds[1], &out), -1);
    assert_int_equal(channel_send_type(fds[1], MSG_STOP), -1);
}

/* Messages queued before the close are still delivered, then -1. */
static void test_peer_closed_after_send(void **state)
{
    int *fds = *state;
    struct channel_msg out;
    assert_int_equal(channel_send_type(fds[0], MSG_SHUTDOWN_SERVER), 0);
    close(fds[0]);
    fds[0] = -1;
    assert_int_equal(channel_recv(fds[1], &out), 1);
    assert_int_equal(out.type, MSG_SHUTDOWN_SERVER);
    assert_int_equal(channel_recv(fds[1], &out), -1);
}

/* A closed or bad descriptor: -1 both ways. */
static void test_bad_fd(void **state)
{
    struct channel_msg out;
    (void)state;
    assert_int_equal(channel_recv(-1, &out), -1);
    assert_int_equal(channel_send_type(-1, MSG_STOP), -1);
}

#define P(f) cmocka_unit_test_setup_teardown(f, setup_pair, teardown_pair)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_round_trip_extremes),
        cmocka_unit_test(test_wire_layout),
        cmocka_unit_test(test_failed_with_text),
        cmocka_unit_test(test_failed_text_truncated),
        cmocka_unit_test(test_text_only_on_failed),
        cmocka_unit_test(test_decode_short),
        cmocka_unit_test(test_decode_bad_magic_and_version),
        cmocka_unit_test(test_decode_unknown_types),
        cmocka_unit_test(test_decode_text_len_mismatch),
        cmocka_unit_test(test_decode_text_on_other_type),
        cmocka_unit_test(test_decode_oversize),
        cmocka_unit_test(test_type_names),
        P(test_send_recv),
        P(test_pass_descriptor),
        P(test_send_recv_sequence),
        P(test_recv_empty),
        P(test_recv_garbage),
        P(test_recv_oversize),
        P(test_peer_closed),
        P(test_peer_closed_after_send),
        cmocka_unit_test(test_bad_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
