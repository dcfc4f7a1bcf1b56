/* test_http_reader.c: the HTTP request reader over tables of wire bytes.
 * Each case is read whole, cut in two at every byte, and byte by byte, as
 * a connection would feed it; every way must tell the same story (the
 * transcript: heads, requests, refusals, bytes left over). Refusals come
 * first, request smuggling at their top. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_reader.h"
#include "test_util.h"

/* Wire bytes that may hold NUL: the text and its length. */
#define W(s) s, sizeof(s) - 1

static const struct http_limits small = {256, 64, 16};

struct transcript {
    char text[4096];
    size_t len;
};

static void say(struct transcript *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->text + t->len, sizeof(t->text) - t->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(t->text) - t->len);
    t->len += (size_t)n;
}

/* Write pre, s (bytes outside printable ASCII as \xHH), post. */
static void say_slice(struct transcript *t, const char *pre,
                      struct http_slice s, const char *post)
{
    say(t, "%s", pre);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.at[i];
        say(t, c >= 32 && c < 127 ? "%c" : "\\x%02x", c);
    }
    say(t, "%s", post);
}

/* "POST /x 1.1 [name: value]... cl=5" for a head, then for a whole
 * request " body=... ka=1". */
static void say_request(struct transcript *t, const struct http_request *q,
                        int whole)
{
    say(t, "%s %s ", whole ? "req" : "head", q->method);
    say_slice(t, "", q->target, " ");
    say(t, "%s ", q->version);
    for (size_t i = 0; i < q->n_headers; i++) {
        say_slice(t, "[", q->headers[i].name, ": ");
        say_slice(t, "", q->headers[i].value, "]");
    }
    if (q->chunked) say(t, " chunked");
    else say(t, " cl=%lld", q->content_length);
    if (q->expect_continue) say(t, " expect");
    if (whole) {
        say_slice(t, " body=", q->body, "");
        say(t, " ka=%d", q->keep_alive);
    }
    say(t, "\n");
}

/* The caller's side: feed what has arrived until the reader wants more;
 * 0, or -1 once refused. */
static int serve(struct http_reader *r, char *pending, size_t *have,
                 struct transcript *t)
{
    for (;;) {
        size_t took = 99999;
        enum http_read ev = http_reader_feed(r, pending, *have, &took);
        assert_true(took <= *have);
        memmove(pending, pending + took, *have - took);
        *have -= took;
        if (ev == HTTP_READ_MORE) {
            assert_int_equal(*have, 0);
            return 0;
        }
        if (ev == HTTP_READ_REFUSED) {
            say(t, "refused %d %s\n", http_reader_status(r),
                http_reader_reason(r));
            return -1;
        }
        say_request(t, http_reader_request(r), ev == HTTP_READ_REQUEST);
    }
}

/* Read wire arriving as [0, cut), then pieces of `step` bytes (0: the
 * rest at once), into t. */
static void read_wire(const struct http_limits *lim, const char *wire,
                      size_t len, size_t cut, size_t step,
                      struct transcript *t)
{
    struct http_reader *r = http_reader_new(lim);
    char *pending = malloc(len + 1);
    size_t have = 0, at = 0;
    assert_non_null(pending);
    t->len = 0;
    t->text[0] = '\0';
    for (int first = 1; at < len; first = 0) {
        size_t n = first ? cut : (step ? step : len - at);
        if (n > len - at) n = len - at;
        memcpy(pending + have, wire + at, n);
        have += n;
        at += n;
        if (serve(r, pending, &have, t) < 0) break;
    }
    if (http_reader_busy(r)) say(t, "busy\n");
    free(pending);
    http_reader_free(r);
}

/* The transcript of wire, the same however it is cut. */
static void transcript_of(const struct http_limits *lim, const char *wire,
                          size_t len, struct transcript *whole)
{
    struct transcript t;
    read_wire(lim, wire, len, len, 0, whole);
    for (size_t cut = 0; cut <= len; cut++) {
        read_wire(lim, wire, len, cut, 0, &t);
        if (strcmp(t.text, whole->text) != 0)
            fail_msg("cut at %zu:\n%swhole:\n%s", cut, t.text, whole->text);
    }
    read_wire(lim, wire, len, 1, 1, &t);
    if (strcmp(t.text, whole->text) != 0)
        fail_msg("byte by byte:\n%swhole:\n%s", t.text, whole->text);
}

/* ---- refusals ---------------------------------------------------------- */

struct bad_case {
    const char *what, *wire;
    size_t len;
    int status;
};

#define TE "Transfer-Encoding: "
#define CL5 "Content-Length: 5\r\n"
#define CHUNKED POST11 TE "chunked\r\n\r\n"
#define HELLO "5\r\nhello\r\n0\r\n\r\n" /* a chunked body */
#define POST11 "POST / HTTP/1.1\r\nHost: a\r\n"
#define GET11 "GET / HTTP/1.1\r\nHost: a\r\n"
#define B16 "bbbbbbbbbbbbbbbb"
#define B64 B16 B16 B16 B16
#define B224 B64 B64 B64 B16 B16 /* GET11 "X: " B224 CRLF CRLF: 256 bytes */
#define B249 B224 B16 "bbbbbbbbb" /* B249 ": x" CRLF CRLF: 256 bytes */

static const struct bad_case bad_cases[] = {
    {"CL then TE", W(POST11 CL5 TE "chunked\r\n\r\n" HELLO), 400},
    {"TE then CL", W(POST11 TE "chunked\r\n" CL5 "\r\n" HELLO), 400},
    {"CL with an empty TE", W(POST11 TE "\r\n" CL5 "\r\nhello"), 400},
    {"differing CLs", W(POST11 CL5 "Content-Length: 6\r\n\r\nhello!"), 400},
    {"repeated CL", W(POST11 CL5 CL5 "\r\nhello"), 400},
    {"CL list", W(POST11 "Content-Length: 5, 5\r\n\r\nhello"), 400},
    {"CL with a sign", W(POST11 "Content-Length: +5\r\n\r\nhello"), 400},
    {"CL negative", W(POST11 "Content-Length: -1\r\n\r\n"), 400},
    {"CL in hex", W(POST11 "Content-Length: 0x5\r\n\r\nhello"), 400},
    {"CL empty", W(POST11 "Content-Length: \r\n\r\n"), 400},
    {"CL two numbers", W(POST11 "Content-Length: 5 6\r\n\r\nhello"), 400},
    {"CL overflow", W(POST11 "Content-Length: 99999999999999999999\r\n\r\n"),
     400},
    {"TE gzip", W(POST11 TE "gzip\r\n\r\nhello"), 400},
    {"TE gzip, chunked", W(POST11 TE "gzip, chunked\r\n\r\n" HELLO), 400},
    {"TE gzip and TE chunked", W(POST11 TE "gzip\r\n" TE "chunked\r\n\r\n"
                                 HELLO), 400},
    {"TE chunked, gzip", W(POST11 TE "chunked, gzip\r\n\r\n"), 400},
    {"TE chunked twice", W(POST11 TE "chunked, chunked\r\n\r\n"), 400},
    {"TE empty", W(POST11 TE "\r\n\r\n" HELLO), 400},
    {"TE on 1.0", W("POST / HTTP/1.0\r\n" TE "chunked\r\n\r\n" HELLO), 400},
    {"TE name with a space", W(POST11 "Transfer-Encoding : chunked\r\n\r\n"),
     400},
    {"obs-fold", W(GET11 "X: a\r\n b\r\n\r\n"), 400},
    {"obs-fold with HT", W(GET11 "X: a\r\n\tb\r\n\r\n"), 400},
    {"obs-fold, then a CL over the cap",
     W(POST11 "X: a\r\n b\r\nContent-Length: 65\r\n\r\n"), 400},
    {"obs-fold in the trailers", W(CHUNKED "0\r\nX: a\r\n b\r\n\r\n"), 400},
    {"SP before the first header", W("GET / HTTP/1.1\r\n Host: a\r\n\r\n"),
     400},
    {"HT before the first header", W("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"),
     400},
    {"chunk size not hex", W(CHUNKED "z\r\nhello\r\n0\r\n\r\n"), 400},
    {"chunk size negative", W(CHUNKED "-5\r\nhello\r\n0\r\n\r\n"), 400},
    {"chunk size 0x", W(CHUNKED "0x5\r\nhello\r\n0\r\n\r\n"), 400},
    {"chunk size after SP", W(CHUNKED " 5\r\nhello\r\n0\r\n\r\n"), 400},
    {"chunk size before SP", W(CHUNKED "5 \r\nhello\r\n0\r\n\r\n"), 400},
    {"chunk size overflow", W(CHUNKED "ffffffffffffffffff\r\nhello\r\n"), 400},
    {"chunk size huge", W(CHUNKED "fffffffffffffff\r\nhello\r\n"), 413},
    {"chunk without its CRLF", W(CHUNKED "5\r\nhelloXX0\r\n\r\n"), 400},
    {"chunk size ended by LF", W(CHUNKED "5\nhello\r\n0\r\n\r\n"), 400},
    {"bare CR in a value", W("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400},
    {"bare CR in a name", W(GET11 "X\rY: b\r\n\r\n"), 400},
    {"bare CR after the version", W("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400},
    {"bare CR in the target", W("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"bare LF after the request line", W("GET / HTTP/1.1\nHost: a\r\n\r\n"),
     400},
    {"bare LF after a header", W("GET / HTTP/1.1\r\nHost: a\n\r\n"), 400},
    {"bare LF ends the head", W(GET11 "\n"), 400},
    {"bare LF before the request", W("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
     400},
    {"NUL in a value", W("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"), 400},
    {"NUL in a name", W("GET / HTTP/1.1\r\nHo\0st: ab\r\n\r\n"), 400},
    {"NUL in the target", W("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"DEL in a value", W("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n"), 400},
    {"missing Host in 1.1", W("GET / HTTP/1.1\r\nX: a\r\n\r\n"), 400},
    {"two Hosts", W(GET11 "Host: b\r\n\r\n"), 400},
    {"empty header name", W(GET11 ": b\r\n\r\n"), 400},
    {"version 2.0", W("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505},
    {"version 0.9 line", W("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505},
    {"version 0.9 request", W("GET /\r\n\r\n"), 505},
    {"version 1.2", W("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505},
    {"version 3.1", W("GET / HTTP/3.1\r\nHost: a\r\n\r\n"), 505},
    {"HTTP/2 preface", W("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505},
    {"version 1.x", W("GET / HTTP/1.x\r\nHost: a\r\n\r\n"), 400},
    {"version 11.1", W("GET / HTTP/11.1\r\nHost: a\r\n\r\n"), 400},
    {"SP after the version", W("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400},
    {"RTSP", W("GET / RTSP/1.0\r\n\r\n"), 400},
    {"ICE", W("SOURCE / ICE/1.0\r\n\r\n"), 400},
    {"lower-case protocol", W("GET / http/1.1\r\nHost: a\r\n\r\n"), 400},
    {"unknown method", W("FOO / HTTP/1.1\r\nHost: a\r\n\r\n"), 501},
    {"lower-case method", W("get / HTTP/1.1\r\nHost: a\r\n\r\n"), 501},
    {"CONNECT", W("CONNECT a:80 HTTP/1.1\r\nHost: a:80\r\n\r\n"), 501},
    {"TLS hello", W("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400},
    {"CL over MaxBodySize", W(POST11 "Content-Length: 65\r\n\r\n"), 413},
    {"head over MaxHeaderSize", W(GET11 "X: " B224 "b\r\n\r\n"), 431},
    {"trailers over MaxHeaderSize", W(CHUNKED "0\r\n" B249 "b: x\r\n\r\n"),
     431},
    {"target over MaxHeaderSize", W("GET /" B64 B64 B64 B64 " HTTP/1.1\r\n"),
     414},
    {"chunked over MaxBodySize", W(CHUNKED "40\r\n" "0123456789abcdef"
                                   "0123456789abcdef0123456789abcdef"
                                   "0123456789abcdef\r\n1\r\n"), 413},
    {"chunk extensions over the cap", W(CHUNKED "1;aaaaaaaa=bbbbbbbbb\r\n"),
     413},
    {"chunk extensions over the cap in all", W(CHUNKED "1;aaaaaaaa\r\nx\r\n"
                                               "1;bbbbbbbbb\r\nx\r\n"), 413},
}; /* Every refusal with its status, the same at every cut, and no request
 * reported before it. */
static void test_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct transcript t;
        char want[32];
        transcript_of(&small, c->wire, c->len, &t);
        snprintf(want, sizeof(want), "refused %d ", c->status);
        const char *last = strstr(t.text, "refused ");
        int ok = last && strncmp(last, want, strlen(want)) == 0
                 && strchr(last, '\n')[1] == '\0';
        if (!ok || strstr(t.text, "req "))
            fail_msg("%s: want %d, got:\n%s", c->what, c->status, t.text);
    }
}

/* ---- good requests ----------------------------------------------------- */

struct good_case {
    const char *what, *wire;
    size_t len;
    const char *transcript;
};

static const struct good_case good_cases[] = {
    {"GET", W("GET /a/b?c=1&d HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n"),
     "req GET /a/b?c=1&d 1.1 [host: x][user-agent: t] cl=-1 body= ka=1\n"},
    {"names lower-cased, values trimmed, repeats kept in order",
     W("GET / HTTP/1.1\r\nHOST:x\r\nX-Mixed-Case:  v w \t\r\nX-Mixed-Case: "
       "\r\nAccept: \x80\xff\r\n\r\n"),
     "req GET / 1.1 [host: x][x-mixed-case: v w][x-mixed-case: ][accept: "
     "\\x80\\xff] cl=-1 body= ka=1\n"},
    {"POST with Content-Length", W(POST11 "Content-Length: 5\r\n\r\nhello"),
     "head POST / 1.1 [host: a][content-length: 5] cl=5\n"
     "req POST / 1.1 [host: a][content-length: 5] cl=5 body=hello ka=1\n"},
    {"Content-Length 0 has no head event",
     W(POST11 "Content-Length: 0\r\n\r\n"),
     "req POST / 1.1 [host: a][content-length: 0] cl=0 body= ka=1\n"},
    {"Expect: 100-continue",
     W(POST11 "Expect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi"),
     "head POST / 1.1 [host: a][expect: 100-Continue][content-length: 2] "
     "cl=2 expect\nreq POST / 1.1 [host: a][expect: 100-Continue]"
     "[content-length: 2] cl=2 expect body=hi ka=1\n"},
    {"chunked with extensions and trailers",
     W(CHUNKED "5;a=b\r\nhello\r\n6;x=\"q r\";y=z\r\n world\r\n"
       "0;last\r\nX-Trailer: 1\r\nY: 2\r\n\r\n"),
     "head POST / 1.1 [host: a][transfer-encoding: chunked] chunked\n"
     "req POST / 1.1 [host: a][transfer-encoding: chunked] chunked "
     "body=hello world ka=1\n"},
    {"chunked, TE in capitals, an empty body",
     W(POST11 "Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n"),
     "head POST / 1.1 [host: a][transfer-encoding: CHUNKED] chunked\n"
     "req POST / 1.1 [host: a][transfer-encoding: CHUNKED] chunked "
     "body= ka=1\n"},
    {"two pipelined",
     W("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"),
     "req GET /1 1.1 [host: a] cl=-1 body= ka=1\n"
     "req GET /2 1.1 [host: a] cl=-1 body= ka=1\n"},
    {"three pipelined, with bodies, the last one closing",
     W("POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
       CHUNKED "2\r\nde\r\n0\r\n\r\n"
       "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
     "head POST /1 1.1 [host: a][content-length: 3] cl=3\n"
     "req POST /1 1.1 [host: a][content-length: 3] cl=3 body=abc ka=1\n"
     "head POST / 1.1 [host: a][transfer-encoding: chunked] chunked\n"
     "req POST / 1.1 [host: a][transfer-encoding: chunked] chunked body=de "
     "ka=1\n"
     "req GET /3 1.1 [host: a][connection: close] cl=-1 body= ka=0\n"},
    {"HTTP/1.0 closes by default, needs no Host",
     W("GET / HTTP/1.0\r\n\r\n"), "req GET / 1.0  cl=-1 body= ka=0\n"},
    {"HTTP/1.0 keep-alive; Expect ignored",
     W("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
       "POST / HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n"
       "Expect: 100-continue\r\n\r\nx"),
     "req GET / 1.0 [connection: keep-alive] cl=-1 body= ka=1\n"
     "head POST / 1.0 [connection: Keep-Alive][content-length: 1]"
     "[expect: 100-continue] cl=1\n"
     "req POST / 1.0 [connection: Keep-Alive][content-length: 1]"
     "[expect: 100-continue] cl=1 body=x ka=1\n"},
    {"empty lines before a request",
     W("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
     "req GET / 1.1 [host: a] cl=-1 body= ka=1\n"},
    {"Upgrade is ignored", W(GET11 "Upgrade: ws\r\nConnection: upgrade\r\n"
       "\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"),
     "req GET / 1.1 [host: a][upgrade: ws][connection: upgrade] cl=-1 "
     "body= ka=1\nreq GET /2 1.1 [host: a] cl=-1 body= ka=1\n"},
    {"absolute target, OPTIONS *",
     W("GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n"
       "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
     "req GET http://a/b 1.1 [host: a] cl=-1 body= ka=1\n"
     "req OPTIONS * 1.1 [host: a] cl=-1 body= ka=1\n"},
    {"head of MaxHeaderSize", W(GET11 "X: " B224 "\r\n\r\n"),
     "req GET / 1.1 [host: a][x: " B224 "] cl=-1 body= ka=1\n"},
    {"trailers of MaxHeaderSize", W(CHUNKED "0\r\n" B249 ": x\r\n\r\n"),
     "head POST / 1.1 [host: a][transfer-encoding: chunked] chunked\n"
     "req POST / 1.1 [host: a][transfer-encoding: chunked] chunked body= "
     "ka=1\n"},
    {"body of MaxBodySize", W(POST11 "Content-Length: 64\r\n\r\n" B64),
     "head POST / 1.1 [host: a][content-length: 64] cl=64\n"
     "req POST / 1.1 [host: a][content-length: 64] cl=64 body=" B64
     " ka=1\n"},
    {"chunk extensions at the cap",
     W(CHUNKED "1;aaaaaaaa=bbbbbbbb\r\nx\r\n0\r\n\r\n"),
     "head POST / 1.1 [host: a][transfer-encoding: chunked] chunked\n"
     "req POST / 1.1 [host: a][transfer-encoding: chunked] chunked body=x "
     "ka=1\n"},
    {"nothing after Connection: close", W(GET11 "Connection: close\r\n\r\nG"),
     "req GET / 1.1 [host: a][connection: close] cl=-1 body= ka=0\n"
     "refused 400 Data after `Connection: close`\n"},
    {"a request not all there yet",
     W(GET11 "\r\nPOST / HTTP/1.1\r\nHost: a\r\n"
       "Content-Length: 4\r\n\r\nab"),
     "req GET / 1.1 [host: a] cl=-1 body= ka=1\n"
     "head POST / 1.1 [host: a][content-length: 4] cl=4\nbusy\n"},
};

/* Each good case's transcript, at every cut. */
static void test_good_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
        const struct good_case *c = &good_cases[i];
        struct transcript t;
        transcript_of(&small, c->wire, c->len, &t);
        if (strcmp(t.text, c->transcript) != 0)
            fail_msg("%s: got\n%swant\n%s", c->what, t.text, c->transcript);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_good_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
