/* fuzz_log_escape.c: log_escape over arbitrary bytes. Checks what it
 * promises: the line holds no control character and is valid UTF-8; with
 * room enough it takes all the input; with less room it stops whole, its
 * output a prefix of the full one. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* Is p[0..n) valid UTF-8 without a control character? */
static int clean_utf8(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xC2) || c > 0xF4)
            return 0;
        if (i + k > n) return 0;
        for (size_t j = 1; j < k; j++)
            if ((p[i + j] & 0xC0) != 0x80) return 0;
        i += k;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t room = 4 * size + 1, n = 0, m = 0;
    char *full = malloc(room);
    CHECK(log_escape((const char *)data, size, full, room, &n) == size);
    CHECK(strlen(full) == n && clean_utf8((unsigned char *)full, n));
    size_t small = size ? (size_t)data[0] % (n + 2) + 1 : 1;
    char *part = malloc(small);
    size_t used = log_escape((const char *)data, size, part, small, &m);
    CHECK(used <= size && m < small && m <= n);
    CHECK(memcmp(part, full, m) == 0);
    CHECK(used == size || m + 8 >= small - 1);  /* no room for the next piece */
    free(part);
    free(full);
    return 0;
}
