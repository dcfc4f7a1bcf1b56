/* test_proxy.c: the PROXY protocol header parser over a table of valid and
 * malformed headers, each also fed at every split point; the v1 length
 * limit and the v2 families and lengths at their edges. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"
#include "test_util.h"

/* The v2 signature, and the bytes a client sends after the header. */
#define SIG "\r\n\r\n\0\r\nQUIT\n"
#define AFTER "GET / HTTP/1.0\r\n"
#define V4 "\x7f\x00\x00\x01" "\xc0\xa8\x01\x02" "\x9c\x40" "\x00\x50"
#define V6 "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" \
           "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01" "\xff\xff" "\x01\xbb"
#define TLV "\x04\x00\x03" "abc"      /* a NOOP TLV with 3 bytes */
#define BYTES(s) .bytes = s, .len = sizeof(s) - 1
#define BAD(name, s, why) {name, BYTES(s), PROXY_MALFORMED, why}

struct pp_case {
    const char *name;
    const char *bytes;
    size_t len;
    enum proxy_status want;
    const char *why;        /* MALFORMED: part of the reason */
    size_t consumed;        /* DONE: the header's length */
    int keep_peer;          /* DONE */
    const char *src, *dst;  /* DONE, keep_peer 0: the addresses as text */
    unsigned sport, dport;
};

static const struct pp_case cases[] = {
    /* ---- valid version 1 ---- */
    {"v1 TCP4", BYTES("PROXY TCP4 10.1.2.3 192.168.0.1 56324 443\r\n" AFTER),
     PROXY_DONE, NULL, 43, 0, "10.1.2.3", "192.168.0.1", 56324, 443},
    {"v1 TCP4 ports 0 and 65535",
     BYTES("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"),
     PROXY_DONE, NULL, 44, 0, "0.0.0.0", "255.255.255.255", 0, 65535},
    {"v1 TCP6", BYTES("PROXY TCP6 2001:db8::1 ::1 40000 80\r\n" AFTER),
     PROXY_DONE, NULL, 37, 0, "2001:db8::1", "::1", 40000, 80},
    {"v1 TCP6 mapped", BYTES("PROXY TCP6 ::ffff:1.2.3.4 FE80::A 1 2\r\n"),
     PROXY_DONE, NULL, 39, 0, "::ffff:1.2.3.4", "fe80::a", 1, 2},
    {"v1 UNKNOWN", BYTES("PROXY UNKNOWN\r\n" AFTER), PROXY_DONE, NULL, 15, 1},
    {"v1 UNKNOWN with addresses",
     BYTES("PROXY UNKNOWN ffff::1 x\ty\x01 1 2\r\n"),
     PROXY_DONE, NULL, 32, 1},
    /* ---- valid version 2 ---- */
    {"v2 TCP4", BYTES(SIG "\x21\x11\x00\x0c" V4 AFTER),
     PROXY_DONE, NULL, 28, 0, "127.0.0.1", "192.168.1.2", 40000, 80},
    {"v2 TCP4 with TLVs", BYTES(SIG "\x21\x11\x00\x18" V4 TLV TLV AFTER),
     PROXY_DONE, NULL, 40, 0, "127.0.0.1", "192.168.1.2", 40000, 80},
    {"v2 TCP6", BYTES(SIG "\x21\x21\x00\x24" V6 AFTER),
     PROXY_DONE, NULL, 52, 0, "2001:db8::1", "::1", 65535, 443},
    {"v2 TCP6 with TLVs", BYTES(SIG "\x21\x21\x00\x2a" V6 TLV AFTER),
     PROXY_DONE, NULL, 58, 0, "2001:db8::1", "::1", 65535, 443},
    {"v2 TCP6 with an empty TLV", BYTES(SIG "\x21\x21\x00\x27" V6 "\xea\0\0"),
     PROXY_DONE, NULL, 55, 0, "2001:db8::1", "::1", 65535, 443},
    {"v2 LOCAL", BYTES(SIG "\x20\x00\x00\x00" AFTER), PROXY_DONE, NULL, 16, 1},
    {"v2 LOCAL with TLVs", BYTES(SIG "\x20\x00\x00\x06" TLV AFTER),
     PROXY_DONE, NULL, 22, 1},
    {"v2 LOCAL ignores its family", BYTES(SIG "\x20\xff\x00\x02zz"),
     PROXY_DONE, NULL, 18, 1},
    {"v2 UNSPEC", BYTES(SIG "\x21\x00\x00\x00" AFTER),
     PROXY_DONE, NULL, 16, 1},
    {"v2 UNSPEC with TLVs", BYTES(SIG "\x21\x00\x00\x06" TLV AFTER),
     PROXY_DONE, NULL, 22, 1},
    {"v2 UNSPEC ignores its block", BYTES(SIG "\x21\x01\x00\x02zz"),
     PROXY_DONE, NULL, 18, 1},
    {"v2 UDP over IPv4 keeps the peer", BYTES(SIG "\x21\x12\x00\x0c" V4),
     PROXY_DONE, NULL, 28, 1},
    {"v2 IPv4 unspecified transport", BYTES(SIG "\x21\x10\x00\x0c" V4),
     PROXY_DONE, NULL, 28, 1},
    /* ---- malformed, either version ---- */
    BAD("garbage", "\x16\x03\x01\x02\x00\x01", "not a PROXY header"),
    BAD("HTTP request", AFTER, "not a PROXY header"),
    BAD("lower case", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "not a PROXY header"),
    BAD("v1 bad signature", "PROXX TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "v1: bad signature"),
    BAD("v1 bad signature, then a lone CR", "PRO\0 UNKNOWN\r\0\n",
        "v1: bad signature"),
    BAD("v1 cut signature", "PROXY\r\n", "v1: bad signature"),
    BAD("v1 no protocol", "PROXY \r\n", "unknown protocol"),
    BAD("v1 TCP5", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol"),
    BAD("v1 UNKNOWNX", "PROXY UNKNOWNX\r\n", "unknown protocol"),
    BAD("v1 TCP4 alone", "PROXY TCP4\r\n", "unknown protocol"),
    BAD("v1 double space first", "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "unknown protocol"),
    BAD("v1 LF alone", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "LF without CR"),
    BAD("v1 CR alone", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX\n", "CR without LF"),
    BAD("v1 CR alone in UNKNOWN", "PROXY UNKNOWN a\rb\r\n", "CR without LF"),
    BAD("v1 double space", "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "bad field"),
    BAD("v1 trailing space", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
        "bad field"),
    BAD("v1 empty last field", "PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n",
        "bad field"),
    BAD("v1 three fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "bad field"),
    BAD("v1 five fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "bad field"),
    BAD("v1 tab", "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "unexpected byte"),
    BAD("v1 NUL in address", "PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n",
        "unexpected byte"),
    BAD("v1 negative port", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
        "unexpected byte"),
    BAD("v1 short IPv4", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "bad address"),
    BAD("v1 IPv4 over 255", "PROXY TCP4 1.2.3.4 5.6.7.256 1 2\r\n",
        "bad address"),
    BAD("v1 IPv4 leading zero", "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
        "bad address"),
    BAD("v1 IPv6 on TCP4", "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "bad address"),
    BAD("v1 IPv4 on TCP6", "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "bad address"),
    BAD("v1 two ::", "PROXY TCP6 1::2::3 ::1 1 2\r\n", "bad address"),
    BAD("v1 address too long",
        "PROXY TCP6 0000:0000:0000:0000:0000:0000:0000:0000:0000:0000"
        " ::1 1 2\r\n", "bad field"),
    BAD("v1 port 65536", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "bad port"),
    BAD("v1 port 99999", "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", "bad port"),
    BAD("v1 port leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",
        "bad port"),
    BAD("v1 port 00", "PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n", "bad port"),
    BAD("v1 port six digits", "PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n",
        "bad port"),
    BAD("v1 hex port", "PROXY TCP4 1.2.3.4 5.6.7.8 1 8a\r\n", "bad port"),
    BAD("v2 bad signature", "\r\n\r\n\0\r\nQUIT\r\x21\x11\x00\x0c" V4,
        "v2: bad signature"),
    BAD("v2 early bad signature", "\r\n\r\nGET", "v2: bad signature"),
    BAD("v2 version 1", SIG "\x11\x11\x00\x0c" V4, "unknown version"),
    BAD("v2 version 3", SIG "\x31\x11\x00\x0c" V4, "unknown version"),
    BAD("v2 command 2", SIG "\x22\x11\x00\x0c" V4, "unknown command"),
    BAD("v2 family 4", SIG "\x21\x41\x00\x0c" V4, "unknown family"),
    BAD("v2 transport 3", SIG "\x21\x13\x00\x0c" V4, "unknown family"),
    BAD("v2 IPv4 length 11", SIG "\x21\x11\x00\x0b" V4,
        "too short for the family"),
    BAD("v2 IPv6 length 12", SIG "\x21\x21\x00\x0c" V4,
        "too short for the family"),
    BAD("v2 IPv4 length 0", SIG "\x21\x11\x00\x00",
        "too short for the family"),
    BAD("v2 two stray bytes", SIG "\x21\x11\x00\x0e" V4 "\x04\x00", "bad TLV"),
    BAD("v2 TLV past the end", SIG "\x21\x11\x00\x12" V4 "\x04\x00\x04" "abc",
        "bad TLV"),
    /* ---- truncated: more may come ---- */
    {"v1 truncated", BYTES("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"),
     PROXY_NEED_MORE},
    {"v1 signature only", BYTES("PROX"), PROXY_NEED_MORE},
    {"v2 truncated addresses", BYTES(SIG "\x21\x11\x00\x0c\x7f\x00"),
     PROXY_NEED_MORE},
    {"v2 truncated TLV", BYTES(SIG "\x21\x11\x00\x12" V4 "\x04\x00"),
     PROXY_NEED_MORE},
    {"v2 truncated fixed part", BYTES(SIG "\x21\x11\x00"), PROXY_NEED_MORE},
    {"empty", BYTES(""), PROXY_NEED_MORE},
};

/* proxy_parse on a heap copy of exactly n bytes (so a sanitizer sees any
 * read past them). */
static enum proxy_status parse_n(const char *bytes, size_t n,
                                 struct proxy_header *h)
{
    unsigned char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, bytes, n);
    enum proxy_status st = proxy_parse(copy, n, h);
    free(copy);
    return st;
}

/* Fail unless endpoint e holds address text `want` and port `port`, in
 * its family, its sockaddr and its port field alike. */
static void expect_endpoint(const char *name, const struct proxy_endpoint *e,
                            const char *want, unsigned port)
{
    char text[INET6_ADDRSTRLEN] = "";
    const void *addr;
    unsigned net_port;
    if (e->family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&e->addr;
        addr = &in->sin_addr;
        net_port = ntohs(in->sin_port);
    } else {
        const struct sockaddr_in6 *in6 = (const void *)&e->addr;
        addr = &in6->sin6_addr;
        net_port = ntohs(in6->sin6_port);
    }
    if (e->addr.ss_family != e->family)
        fail_msg("%s: sockaddr family differs", name);
    inet_ntop(e->family, addr, text, sizeof(text));
    if (strcmp(text, want) != 0 || e->port != port || net_port != port)
        fail_msg("%s: got %s port %u/%u, want %s port %u", name, text,
                 e->port, net_port, want, port);
}

/* Fail unless h (status st) is what case c expects of its whole bytes. */
static void expect_case(const struct pp_case *c, enum proxy_status st,
                        const struct proxy_header *h)
{
    if (st != c->want)
        fail_msg("%s: status %d, want %d (%s)", c->name, st, c->want,
                 h->reason ? h->reason : "no reason");
    if (st == PROXY_MALFORMED) {
        assert_non_null(h->reason);
        assert_contains(h->reason, c->why);
    }
    if (st != PROXY_DONE) {
        assert_int_equal(h->consumed, 0);
        return;
    }
    assert_null(h->reason);
    if (h->consumed != c->consumed || h->keep_peer != c->keep_peer)
        fail_msg("%s: consumed %zu keep %d, want %zu keep %d", c->name,
                 h->consumed, h->keep_peer, c->consumed, c->keep_peer);
    assert_int_equal(h->version, c->bytes[0] == 'P' ? 1 : 2);
    if (c->keep_peer) {
        assert_int_equal(h->src.family, AF_UNSPEC);
        assert_int_equal(h->dst.family, AF_UNSPEC);
        return;
    }
    expect_endpoint(c->name, &h->src, c->src, c->sport);
    expect_endpoint(c->name, &h->dst, c->dst, c->dport);
}

/* Every case, fed whole. */
static void test_table_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proxy_header h;
        enum proxy_status st = parse_n(cases[i].bytes, cases[i].len, &h);
        expect_case(&cases[i], st, &h);
    }
}

/* Every case, fed each of its prefixes as a reader would: "need more"
 * until a verdict, then that same verdict for every longer prefix. A
 * valid header is "need more" exactly until its last byte is in. */
static void test_table_splits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct pp_case *c = &cases[i];
        struct proxy_header h;
        size_t verdict_at = c->len + 1;
        for (size_t n = 0; n <= c->len; n++) {
            enum proxy_status st = parse_n(c->bytes, n, &h);
            if (n < verdict_at && st != PROXY_NEED_MORE) verdict_at = n;
            if (n < verdict_at) continue;
            expect_case(c, st, &h);
        }
        if (c->want == PROXY_DONE && verdict_at != c->consumed)
            fail_msg("%s: verdict after %zu bytes, want %zu", c->name,
                     verdict_at, c->consumed);
    }
}

/* Some refusals come before the line or header is whole. */
static void test_early_refusals(void **state)
{
    static const struct pp_case early[] = {
        {"", BYTES("GET")}, {"", BYTES("PROXY TCP5")}, {"", BYTES("PROXY  ")},
        {"", BYTES("PROXY TCP4 1.2.3.4 5.6.7.8 1x")},
        {"", BYTES("PROXY TCP4 1.2\n")}, {"", BYTES("PROXY UNKNOWN \rx")},
        {"", BYTES(SIG "\x11")}, {"", BYTES(SIG "\x2f")},
        {"", BYTES(SIG "\x21\x41")}, {"", BYTES(SIG "\x21\x11\x00\x0b")}};
    (void)state;
    for (size_t i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
        struct proxy_header h;
        if (parse_n(early[i].bytes, early[i].len, &h) != PROXY_MALFORMED)
            fail_msg("early refusal %zu was not refused", i);
    }
}

/* A v1 line of exactly 107 bytes is accepted; 108 is refused, and so are
 * 107 bytes without a CRLF, while 106 may still become a line. */
static void test_v1_length_limit(void **state)
{
    char line[200];
    struct proxy_header h;
    (void)state;
    memcpy(line, "PROXY UNKNOWN ", 14);
    memset(line + 14, 'a', sizeof(line) - 14);
    memcpy(line + 105, "\r\n", 2);
    assert_int_equal(parse_n(line, 107, &h), PROXY_DONE);
    assert_int_equal(h.consumed, 107);
    assert_int_equal(parse_n(line, 106, &h), PROXY_NEED_MORE);
    memcpy(line + 105, "a\r\n", 3);
    assert_int_equal(parse_n(line, 106, &h), PROXY_NEED_MORE);
    assert_int_equal(parse_n(line, 107, &h), PROXY_MALFORMED);
    assert_contains(h.reason, "107");
    assert_int_equal(parse_n(line, 108, &h), PROXY_MALFORMED);
    memset(line + 14, 'a', sizeof(line) - 14);
    assert_int_equal(parse_n(line, 106, &h), PROXY_NEED_MORE);
    assert_int_equal(parse_n(line, 107, &h), PROXY_MALFORMED);
    assert_int_equal(parse_n(line, sizeof(line), &h), PROXY_MALFORMED);
}

/* The longest TCP6 line there is (two full addresses, two 5-digit ports)
 * fits. */
static void test_v1_longest_tcp6(void **state)
{
    static const char line[] = "PROXY TCP6 "
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    struct proxy_header h;
    (void)state;
    assert_int_equal(parse_n(line, sizeof(line) - 1, &h), PROXY_DONE);
    assert_int_equal(h.consumed, sizeof(line) - 1);
    assert_int_equal(h.src.port, 65535);
}

/* A v2 header of `body` bytes after the fixed 16, with ver/cmd and fam
 * given; zero addresses. Returns its length in buf. */
static size_t v2_header(unsigned char *buf, unsigned char cmd,
                        unsigned char fam, size_t body)
{
    memcpy(buf, SIG, 12);
    buf[12] = cmd;
    buf[13] = fam;
    buf[14] = (unsigned char)(body >> 8);
    buf[15] = (unsigned char)body;
    memset(buf + 16, 0, body);
    return 16 + body;
}

/* AF_UNIX addresses (216 bytes) keep the peer; 215 are too few. */
static void test_v2_unix(void **state)
{
    unsigned char buf[16 + 216];
    struct proxy_header h;
    (void)state;
    size_t n = v2_header(buf, 0x21, 0x31, 216);
    assert_int_equal(proxy_parse(buf, n, &h), PROXY_DONE);
    assert_int_equal(h.keep_peer, 1);
    assert_int_equal(h.consumed, n);
    n = v2_header(buf, 0x21, 0x32, 215);
    assert_int_equal(proxy_parse(buf, n, &h), PROXY_MALFORMED);
    assert_contains(h.reason, "too short");
}

/* The largest v2 header, 65535 bytes after the fixed part, is waited for
 * to its last byte and then accepted. */
static void test_v2_largest(void **state)
{
    unsigned char *buf = malloc(PROXY_V2_MAX + 10);
    struct proxy_header h;
    (void)state;
    assert_non_null(buf);
    size_t n = v2_header(buf, 0x20, 0x00, 65535);
    assert_int_equal(n, PROXY_V2_MAX);
    assert_int_equal(proxy_parse(buf, n - 1, &h), PROXY_NEED_MORE);
    assert_int_equal(proxy_parse(buf, n + 10, &h), PROXY_DONE);
    assert_int_equal(h.consumed, PROXY_V2_MAX);
    free(buf);
}

/* Each call starts from a clean result: no reason or addresses left over
 * from the call before. */
static void test_result_reset(void **state)
{
    static const char bad[] = "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n";
    static const char good[] = "PROXY UNKNOWN\r\n";
    struct proxy_header h;
    (void)state;
    assert_int_equal(parse_n(bad, sizeof(bad) - 1, &h), PROXY_MALFORMED);
    assert_int_equal(parse_n(good, sizeof(good) - 1, &h), PROXY_DONE);
    assert_null(h.reason);
    assert_int_equal(h.src.family, AF_UNSPEC);
    assert_int_equal(proxy_parse(NULL, 0, &h), PROXY_NEED_MORE);
    assert_int_equal(h.consumed, 0);
    assert_int_equal(h.version, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_whole),
        cmocka_unit_test(test_table_splits),
        cmocka_unit_test(test_early_refusals),
        cmocka_unit_test(test_v1_length_limit),
        cmocka_unit_test(test_v1_longest_tcp6),
        cmocka_unit_test(test_v2_unix),
        cmocka_unit_test(test_v2_largest),
        cmocka_unit_test(test_result_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
