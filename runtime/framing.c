/* framing.c: line framing over an evbuffer. */
#include "framing.h"

#include <event2/buffer.h>

enum frame_result framing_next_line(struct evbuffer *in, size_t max_len,
                                    size_t *line_len, size_t *eol_len)
{
    size_t eol = 0;
    struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, &eol,
                                                EVBUFFER_EOL_CRLF);
    if (p.pos >= 0) {
        if ((size_t)p.pos > max_len) return FRAME_TOO_LONG;
        *line_len = (size_t)p.pos;
        *eol_len = eol;
        return FRAME_LINE;
    }
    size_t have = evbuffer_get_length(in);
    if (have <= max_len) return FRAME_INCOMPLETE;
    /* One byte over is still fine if it is the "\r" of a coming "\r\n". */
    if (have == max_len + 1) {
        struct evbuffer_ptr last;
        unsigned char c = 0;
        evbuffer_ptr_set(in, &last, have - 1, EVBUFFER_PTR_SET);
        evbuffer_copyout_from(in, &last, &c, 1);
        if (c == '\r') return FRAME_INCOMPLETE;
    }
    return FRAME_TOO_LONG;
}
