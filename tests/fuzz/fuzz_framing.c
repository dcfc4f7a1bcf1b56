/* fuzz_framing.c: the line framer over arbitrary input split into
 * arbitrary reads. Checks what framing_next_line promises: lines never
 * hold a "\n", never pass max_len, and an incomplete line never buffers
 * more than max_len + 1 bytes. */
#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "framing.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* Take every line `in` holds now; returns 0 if the connection would be
 * closed for a too-long line. */
static int take_lines(struct evbuffer *in, size_t max_len)
{
    for (;;) {
        size_t len = 0, eol = 0, have = evbuffer_get_length(in);
        enum frame_result r = framing_next_line(in, max_len, &len, &eol);
        if (r == FRAME_INCOMPLETE) {
            CHECK(have <= max_len + 1);
            CHECK(evbuffer_search(in, "\n", 1, NULL).pos < 0);
            return 1;
        }
        if (r == FRAME_TOO_LONG) return 0;
        unsigned char *p = evbuffer_pullup(in, (ssize_t)(len + eol));
        CHECK(len <= max_len && (eol == 1 || eol == 2));
        CHECK(p[len + eol - 1] == '\n' && (eol == 1 || p[len] == '\r'));
        CHECK(memchr(p, '\n', len) == NULL);
        evbuffer_drain(in, len + eol);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t max_len = 1 + data[0] % 64, step = 1 + data[1] % 7;
    struct evbuffer *in = evbuffer_new();
    for (size_t at = 2; at < size; at += step) {
        size_t n = size - at < step ? size - at : step;
        evbuffer_add(in, data + at, n);
        if (!take_lines(in, max_len)) break;
    }
    evbuffer_free(in);
    return 0;
}
