/* framing.h: cut lines out of buffered input, bounded by MaxLineLength. */
#ifndef TINE_FRAMING_H
#define TINE_FRAMING_H

#include <stddef.h>

enum frame_result {
    FRAME_INCOMPLETE,   /* no whole line yet, and within the limit */
    FRAME_LINE,         /* a line of *line_len bytes, then *eol_len */
    FRAME_TOO_LONG      /* the line is (or will be) over max_len */
};

/* Find the first line in data[0..len) ending in "\n" or "\r\n". A line
 * longer than max_len is FRAME_TOO_LONG as soon as more than max_len
 * bytes without an end of line are buffered, so memory stays bounded. */
enum frame_result framing_next_line(const char *data, size_t len,
                                    size_t max_len, size_t *line_len,
                                    size_t *eol_len);

#endif
