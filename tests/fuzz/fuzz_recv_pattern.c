/* fuzz_recv_pattern.c: receive patterns over arbitrary bytes arriving in
 * arbitrary pieces. Input: a kind byte, a size byte, a delimiter length
 * byte, a piece-size seed byte, the delimiter, then the stream. Checks
 * that the pieces do not change the results (the whole stream at once
 * gives the same), that results never reach past the buffer, and for
 * receiveuntil that a result holds no delimiter and ends where the first
 * one begins. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recv_pattern.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define MAX_RESULTS 4096

struct result { size_t off, len; int end; };

/* Feed data in pieces from the seed (0: all at once); record each result
 * as an offset into data and a length. Returns the count. */
static size_t feed(struct recv_pattern *p, const uint8_t *data, size_t n,
                   unsigned seed, struct result *out)
{
    size_t start = 0, have = 0, count = 0;  /* buffer is data[start..have) */
    struct recv_cut cut;
    for (;;) {
        int eof = have == n;
        while (count < MAX_RESULTS &&
               recv_pattern_cut(p, (const char *)data + start, have - start,
                                eof, &cut)) {
            CHECK(cut.data <= have - start && cut.consume <= have - start);
            out[count++] = (struct result){start, cut.data, cut.end};
            start += cut.consume;
            if (p->kind == RECV_ALL || (cut.consume == 0 && !cut.end)) break;
        }
        if (eof || count == MAX_RESULTS) return count;
        size_t step = n;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            step = 1 + (seed >> 16) % 7;
        }
        have = have + step < n ? have + step : n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    if (size < 4) return 0;
    enum recv_kind kind = (enum recv_kind)(in[0] % 4);
    size_t want = in[1] % 9, dlen = 1 + in[2] % 4, seed = in[3];
    if (size < 4 + dlen) return 0;
    const char *delim = (const char *)in + 4;
    const uint8_t *data = in + 4 + dlen;
    size_t n = size - 4 - dlen;
    if (kind == RECV_SIZE && want == 0) want = 1;
    static struct result a[MAX_RESULTS], b[MAX_RESULTS];
    struct recv_pattern p;
    recv_pattern_init(&p, kind, want, delim, dlen, in[1] & 0x80);
    size_t na = feed(&p, data, n, (unsigned)seed | 1, a);
    recv_pattern_init(&p, kind, want, delim, dlen, in[1] & 0x80);
    size_t nb = feed(&p, data, n, 0, b);
    CHECK(na == nb);
    for (size_t i = 0; i < na; i++) {
        CHECK(a[i].len == b[i].len && (a[i].len == 0 || a[i].off == b[i].off));
        CHECK(a[i].end == b[i].end);
        if (kind == RECV_UNTIL && !(in[1] & 0x80) && !a[i].end) {
            const uint8_t *piece = data + a[i].off;
            CHECK(!memmem(piece, a[i].len, delim, dlen));
        }
        if (kind == RECV_LINE) CHECK(!memchr(data + a[i].off, '\n', a[i].len));
    }
    return 0;
}
