/* fuzz_http_reader.c: the HTTP request reader over arbitrary bytes, read
 * whole and again split into arbitrary reads. Checks what http_reader
 * promises: it never takes more than it was given and takes all when it
 * wants more; memory stays within http_reader_memory_max(); a request is
 * reported whole at most once, and one it refused never; what it reports
 * passed its checks; a refusal is one of its statuses and stays; and the
 * story is the same however the bytes were cut.
 * Input: limits (2 bytes), a seed for the cuts (1 byte), then the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_reader.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* What a reader reported, hashed, for comparing two readings. */
struct story {
    uint64_t hash;
    int status;
    const char *reason;
};

static void mix(struct story *s, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) s->hash = (s->hash ^ b[i]) * 1099511628211u;
    s->hash = (s->hash ^ n) * 1099511628211u;
}

static int slice_is(struct http_slice s, const char *text)
{
    return s.len == strlen(text) && memcmp(s.at, text, s.len) == 0;
}

/* No CR, LF or NUL; for a name also no upper case, SP or HT, not empty;
 * for a value no SP or HT at either end. */
static void check_field(struct http_slice s, int name)
{
    CHECK(!name || s.len > 0);
    for (size_t i = 0; i < s.len; i++) {
        char c = s.at[i];
        CHECK(c != '\r' && c != '\n' && c != '\0');
        CHECK(!name || (c != ' ' && c != '\t' && !(c >= 'A' && c <= 'Z')));
    }
    if (!name && s.len > 0) {
        CHECK(s.at[0] != ' ' && s.at[0] != '\t');
        CHECK(s.at[s.len - 1] != ' ' && s.at[s.len - 1] != '\t');
    }
}

/* The request passed the checks: one Host in 1.1, at most one in 1.0;
 * Transfer-Encoding only a lone "chunked" in 1.1; the body within the
 * cap and as long as Content-Length says. Then into the story. */
static void check_request(const struct http_request *q,
                          const struct http_limits *lim, int whole,
                          struct story *s)
{
    int hosts = 0, te = 0, http11 = strcmp(q->version, "1.1") == 0;
    CHECK(http11 || strcmp(q->version, "1.0") == 0);
    CHECK(q->method && q->target.len <= lim->max_header);
    for (size_t i = 0; i < q->n_headers; i++) {
        check_field(q->headers[i].name, 1);
        check_field(q->headers[i].value, 0);
        hosts += slice_is(q->headers[i].name, "host");
        te += slice_is(q->headers[i].name, "transfer-encoding");
        mix(s, q->headers[i].name.at, q->headers[i].name.len);
        mix(s, q->headers[i].value.at, q->headers[i].value.len);
    }
    CHECK(http11 ? hosts == 1 : hosts <= 1);
    CHECK(te == (q->chunked ? 1 : 0) && (!q->chunked || http11));
    CHECK(q->body.len <= lim->max_body && (whole || q->body.len == 0));
    if (whole && q->content_length >= 0)
        CHECK(q->body.len == (size_t)q->content_length);
    mix(s, q->method, strlen(q->method));
    mix(s, q->target.at, q->target.len);
    mix(s, q->body.at, q->body.len);
    mix(s, &q->keep_alive, sizeof(q->keep_alive));
}

/* The caller's side: feed what has arrived until the reader wants more;
 * 0, or -1 once refused. *last is the last event, across calls. */
static int serve(struct http_reader *r, const struct http_limits *lim,
                 char *pending, size_t *have, enum http_read *last,
                 struct story *s)
{
    for (;;) {
        size_t took = (size_t)-1;
        enum http_read ev = http_reader_feed(r, pending, *have, &took);
        CHECK(took <= *have);
        CHECK(http_reader_memory(r) <= http_reader_memory_max(lim));
        memmove(pending, pending + took, *have - took);
        *have -= took;
        if (ev == HTTP_READ_MORE) {
            CHECK(*have == 0);
            return 0;
        }
        if (ev == HTTP_READ_REFUSED) {
            s->status = http_reader_status(r);
            s->reason = http_reader_reason(r);
            return -1;
        }
        CHECK(!(ev == HTTP_READ_HEAD && *last == HTTP_READ_HEAD));
        *last = ev;
        mix(s, &ev, sizeof(ev));
        check_request(http_reader_request(r), lim, ev == HTTP_READ_REQUEST,
                      s);
    }
}

/* After a refusal: a known status, a reason, nothing more taken. */
static void check_refused(struct http_reader *r, const struct story *s)
{
    static const int statuses[] = {400, 413, 414, 431, 501, 505};
    int known = 0;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        known |= s->status == statuses[i];
    CHECK(known && s->reason && s->reason[0]);
    CHECK(!http_reader_busy(r));
    size_t took = 1;
    CHECK(http_reader_feed(r, "GET", 3, &took) == HTTP_READ_REFUSED);
    CHECK(took == 0);
}

/* Read data arriving in pieces of 1 to 16 bytes drawn from seed, or all
 * at once if seed is 0; the story. */
static struct story read_story(const struct http_limits *lim,
                               const char *data, size_t size, uint32_t seed)
{
    struct story s = {14695981039346656037u, 0, NULL};
    struct http_reader *r = http_reader_new(lim);
    enum http_read last = HTTP_READ_MORE;
    char *pending = malloc(size ? size : 1);
    size_t have = 0, at = 0;
    CHECK(pending != NULL);
    int whole = seed == 0;
    while (at < size) {
        seed = seed * 1103515245u + 12345u;
        size_t n = whole ? size : 1 + (seed >> 16) % 16;
        if (n > size - at) n = size - at;
        memcpy(pending + have, data + at, n);
        have += n;
        at += n;
        if (serve(r, lim, pending, &have, &last, &s) < 0) {
            check_refused(r, &s);
            break;
        }
    }
    free(pending);
    http_reader_free(r);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    struct http_limits lim = {16 + (size_t)data[0] * 4, (size_t)data[1] * 4,
                              (size_t)(data[1] % 32)};
    const char *wire = (const char *)data + 3;
    struct story whole = read_story(&lim, wire, size - 3, 0);
    struct story cut = read_story(&lim, wire, size - 3, 1u + data[2]);
    CHECK(whole.hash == cut.hash && whole.status == cut.status);
    CHECK(whole.reason == cut.reason
          || (whole.reason && cut.reason
              && strcmp(whole.reason, cut.reason) == 0));
    return 0;
}
