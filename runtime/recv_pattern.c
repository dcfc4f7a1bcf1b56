/* recv_pattern.c: receive patterns over a growing byte buffer. */
#include "recv_pattern.h"

#include <string.h>

void recv_pattern_init(struct recv_pattern *p, enum recv_kind kind,
                       size_t size, const char *delim, size_t dlen,
                       int inclusive)
{
    p->kind = kind;
    p->size = size;
    p->delim = delim;
    p->dlen = dlen;
    p->inclusive = inclusive;
    p->scanned = 0;
    p->end_next = 0;
}

/* Fill cut and say a result is ready. */
static int ready(struct recv_cut *cut, size_t data, size_t consume, int end)
{
    cut->data = data;
    cut->consume = consume;
    cut->end = end;
    return 1;
}

/* The longest tail of buf[0..len) that is a proper start of the
 * delimiter: bytes that may still turn out to be it. */
static size_t delim_prefix_tail(const struct recv_pattern *p,
                                const char *buf, size_t len)
{
    size_t k = p->dlen - 1 < len ? p->dlen - 1 : len;
    for (; k > 0; k--)
        if (memcmp(buf + len - k, p->delim, k) == 0) return k;
    return 0;
}

/* The delimiter was found at pos: the piece before it (with it, if
 * inclusive), or, with a size, a full-size piece when more lies before. */
static int until_found(struct recv_pattern *p, size_t pos,
                       struct recv_cut *cut)
{
    size_t tail = p->inclusive ? p->dlen : 0;
    p->scanned = 0;
    if (p->size == 0) return ready(cut, pos + tail, pos + p->dlen, 0);
    if (pos > p->size || (pos == p->size && tail))  /* as if it came later */
        return ready(cut, p->size, p->size, 0);
    if (pos + tail == 0) return ready(cut, 0, p->dlen, 1);
    p->end_next = 1;
    return ready(cut, pos + tail, pos + p->dlen, 0);
}

/* RECV_UNTIL: search only where no earlier call has looked. */
static int cut_until(struct recv_pattern *p, const char *buf, size_t len,
                     struct recv_cut *cut)
{
    if (p->end_next) {
        p->end_next = 0;
        return ready(cut, 0, 0, 1);
    }
    if (p->scanned > len) p->scanned = 0;  /* the caller consumed bytes */
    const char *hit = len >= p->dlen
        ? memmem(buf + p->scanned, len - p->scanned, p->delim, p->dlen)
        : NULL;
    if (hit) return until_found(p, (size_t)(hit - buf), cut);
    size_t safe = len - delim_prefix_tail(p, buf, len);
    p->scanned = safe;
    if (p->size > 0 && safe >= p->size) {
        p->scanned = 0;
        return ready(cut, p->size, p->size, 0);
    }
    return 0;
}

int recv_pattern_cut(struct recv_pattern *p, const char *buf, size_t len,
                     int eof, struct recv_cut *cut)
{
    const char *nl;
    switch (p->kind) {
    case RECV_LINE:
        if (p->scanned > len) p->scanned = 0;
        nl = len > p->scanned ? memchr(buf + p->scanned, '\n', len - p->scanned)
                              : NULL;  /* an empty buffer may be NULL */
        if (!nl) {
            p->scanned = len;
            return 0;
        }
        p->scanned = 0;
        return ready(cut, (size_t)(nl - buf), (size_t)(nl - buf) + 1, 0);
    case RECV_SIZE:
        return len >= p->size ? ready(cut, p->size, p->size, 0) : 0;
    case RECV_ALL:
        return eof ? ready(cut, len, len, 0) : 0;
    case RECV_UNTIL:
        return cut_until(p, buf, len, cut);
    }
    return 0;
}
