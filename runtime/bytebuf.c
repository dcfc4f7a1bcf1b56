/* bytebuf.c: the growable byte buffer. */
#include "bytebuf.h"

#include <stdlib.h>
#include <string.h>

char *bytebuf_reserve(struct bytebuf *b, size_t want)
{
    /* a buffer without memory gets some even for 0 bytes: NULL is only
     * ever "out of memory" */
    if (b->data && b->cap - b->end >= want) return b->data + b->end;
    size_t held = bytebuf_len(b);
    if (b->start > 0) {  /* slide what is held to the front first */
        memmove(b->data, b->data + b->start, held);
        b->start = 0;
        b->end = held;
        if (b->cap - b->end >= want) return b->data + b->end;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - held < want) {
        if (cap > ((size_t)-1) / 2) return NULL;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) return NULL;
    b->data = p;
    b->cap = cap;
    return b->data + b->end;
}

int bytebuf_append(struct bytebuf *b, const void *p, size_t len)
{
    char *to = bytebuf_reserve(b, len);
    if (!to) return -1;
    memcpy(to, p, len);
    b->end += len;
    return 0;
}

void bytebuf_consume(struct bytebuf *b, size_t n)
{
    b->start += n;
    if (b->start >= b->end) b->start = b->end = 0;
}

void bytebuf_trim(struct bytebuf *b, size_t keep)
{
    if (b->end == b->start && b->cap > keep) bytebuf_free(b);
}

void bytebuf_free(struct bytebuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}
