/* fuzz_channel.c: the channel decoder on arbitrary datagrams. Whatever it
 * accepts must encode back to the very same bytes; it must never read past
 * the datagram, whatever sizes the bytes claim. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct channel_msg m;
    unsigned char *copy = malloc(size ? size : 1), again[CHANNEL_MSG_MAX];
    memcpy(copy, data, size);   /* a heap copy: ASan sees any overread */
    if (channel_decode(copy, size, &m) == 0) {
        CHECK(m.text_len <= CHANNEL_TEXT_MAX);
        size_t len = channel_encode(&m, again);
        CHECK(len == size && memcmp(again, copy, size) == 0);
        CHECK(channel_type_name(m.type)[0] != '?');
    }
    free(copy);
    return 0;
}
