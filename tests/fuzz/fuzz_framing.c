/* fuzz_framing.c: the line framer over arbitrary input split into
 * arbitrary reads. Checks what framing_next_line promises: lines never
 * hold a "\n", never pass max_len, and an incomplete line never buffers
 * more than max_len + 1 bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bytebuf.h"
#include "framing.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* Take every line `in` holds now; returns 0 if the connection would be
 * closed for a too-long line. */
static int take_lines(struct bytebuf *in, size_t max_len)
{
    for (;;) {
        size_t len = 0, eol = 0, have = bytebuf_len(in);
        const char *p = bytebuf_head(in);
        enum frame_result r =
            framing_next_line(p, have, max_len, &len, &eol);
        if (r == FRAME_INCOMPLETE) {
            CHECK(have <= max_len + 1);
            CHECK(have == 0 || memchr(p, '\n', have) == NULL);
            return 1;
        }
        if (r == FRAME_TOO_LONG) return 0;
        CHECK(len <= max_len && (eol == 1 || eol == 2));
        CHECK(len + eol <= have);
        CHECK(p[len + eol - 1] == '\n' && (eol == 1 || p[len] == '\r'));
        CHECK(memchr(p, '\n', len) == NULL);
        bytebuf_consume(in, len + eol);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t max_len = 1 + data[0] % 64, step = 1 + data[1] % 7;
    struct bytebuf in = {0};
    for (size_t at = 2; at < size; at += step) {
        size_t n = size - at < step ? size - at : step;
        CHECK(bytebuf_append(&in, data + at, n) == 0);
        if (!take_lines(&in, max_len)) break;
    }
    bytebuf_free(&in);
    return 0;
}
