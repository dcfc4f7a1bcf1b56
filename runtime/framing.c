/* framing.c: line framing over a buffer's bytes. */
#include "framing.h"

#include <string.h>

enum frame_result framing_next_line(const char *data, size_t len,
                                    size_t max_len, size_t *line_len,
                                    size_t *eol_len)
{
    /* Look no further than a line may reach, its "\r\n" included. */
    if (len == 0) return FRAME_INCOMPLETE;
    size_t look = len < max_len + 2 ? len : max_len + 2;
    const char *nl = memchr(data, '\n', look);
    if (nl) {
        size_t end = (size_t)(nl - data);
        size_t eol = end > 0 && nl[-1] == '\r' ? 2 : 1;
        if (end + 1 - eol > max_len) return FRAME_TOO_LONG;
        *line_len = end + 1 - eol;
        *eol_len = eol;
        return FRAME_LINE;
    }
    if (len <= max_len) return FRAME_INCOMPLETE;
    /* One byte over is still fine if it is the "\r" of a coming "\r\n". */
    if (len == max_len + 1 && data[max_len] == '\r') return FRAME_INCOMPLETE;
    return FRAME_TOO_LONG;
}
