/* bytebuf.h: a growable byte buffer with a read end and a write end, for
 * a socket's input or output. Bytes live in data[start..end); space is
 * made by moving them to the front before growing. */
#ifndef TINE_BYTEBUF_H
#define TINE_BYTEBUF_H

#include <stddef.h>

struct bytebuf {
    char *data;
    size_t start, end, cap;
};

/* Bytes held. */
static inline size_t bytebuf_len(const struct bytebuf *b)
{
    return b->end - b->start;
}

/* The first held byte (NULL while the buffer has no memory: never used,
 * or freed or trimmed since). */
static inline const char *bytebuf_head(const struct bytebuf *b)
{
    return b->start ? b->data + b->start : b->data;
}

/* Make room for `want` more bytes at the end; a pointer to it, or NULL if
 * memory ran out (the buffer is unchanged then). */
char *bytebuf_reserve(struct bytebuf *b, size_t want);

/* Append len bytes; 0, or -1 if memory ran out. */
int bytebuf_append(struct bytebuf *b, const void *p, size_t len);

/* Drop n held bytes from the front. */
void bytebuf_consume(struct bytebuf *b, size_t n);

/* An empty buffer holding more than keep bytes of memory gives it back,
 * so a connection that once took a large write stays small when idle. */
void bytebuf_trim(struct bytebuf *b, size_t keep);

/* Release the memory; the buffer is empty and usable again. */
void bytebuf_free(struct bytebuf *b);

#endif
