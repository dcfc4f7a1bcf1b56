/* recv_pattern.h: how much of an outgoing socket's input a receive
 * pattern takes: a line, n bytes, everything until the peer closes, or
 * everything until a delimiter (OpenResty's receive and receiveuntil).
 * Pure: no I/O; the socket layer feeds it its buffer as bytes arrive. */
#ifndef TINE_RECV_PATTERN_H
#define TINE_RECV_PATTERN_H

#include <stddef.h>

enum recv_kind {
    RECV_LINE,   /* "*l": up to "\n"; the caller drops every "\r" */
    RECV_SIZE,   /* n: exactly size bytes */
    RECV_ALL,    /* "*a": everything until the peer closes */
    RECV_UNTIL   /* receiveuntil: up to the delimiter */
};

struct recv_pattern {
    enum recv_kind kind;
    size_t size;         /* RECV_SIZE: bytes wanted; RECV_UNTIL: most bytes
                          * one call returns (0: no limit) */
    const char *delim;   /* RECV_UNTIL: the delimiter, dlen >= 1 bytes */
    size_t dlen;
    int inclusive;       /* RECV_UNTIL: the result ends with the delimiter */
    size_t scanned;      /* state: no delimiter (or "\n") starts before it */
    int end_next;        /* state: RECV_UNTIL with a size has returned the
                          * last piece; the next call says "end" */
};

/* A result: the first `data` bytes of the buffer are what the receive
 * returns (for RECV_LINE still holding any "\r"), then `consume` bytes
 * are removed from the buffer. `end` (RECV_UNTIL with a size): the
 * delimiter was reached; return nil without an error. */
struct recv_cut {
    size_t data;
    size_t consume;
    int end;
};

/* Set p up for kind; its state starts afresh. */
void recv_pattern_init(struct recv_pattern *p, enum recv_kind kind,
                       size_t size, const char *delim, size_t dlen,
                       int inclusive);

/* Is a result ready in buf[0..len) (eof: the peer has closed, nothing
 * more will come)? 1 and *cut, after which the caller removes
 * cut->consume bytes from the front of its buffer; or 0: more bytes are
 * needed (at eof, the receive fails with "closed" and the buffer as its
 * partial result). Between calls the buffer may only grow at its end or
 * lose what a result consumed. */
int recv_pattern_cut(struct recv_pattern *p, const char *buf, size_t len,
                     int eof, struct recv_cut *cut);

#endif
