/* http_reader.c: HTTP/1.x requests over llhttp (strict), one message at
 * a time: llhttp pauses at the end of each head that a body follows, at
 * the last chunk and at the end of each message, so the bytes of each
 * part are known. Here: feeding it, the caps on the head and trailers,
 * the checks on their lines (bare LF, folded lines), and the statuses for
 * what llhttp refuses. */
#include "http_reader_impl.h"

#include <stdlib.h>
#include <string.h>

/* Bodies up to this size keep their buffer for the next request. */
#define HTTP_KEEP_BODY 65536

/* The first refusal is the one reported. */
int http_reader_refuse(struct http_reader *r, int status, const char *reason)
{
    if (r->phase != PHASE_REFUSED) {
        r->phase = PHASE_REFUSED;
        r->status = status;
        r->reason = reason;
    }
    return -1;
}

/* Clear what one request gathered, ready for the next (llhttp goes on by
 * itself). Large body buffers are given back. */
static void reset_message(struct http_reader *r)
{
    if (r->body_cap > HTTP_KEEP_BODY) {
        free(r->body);
        r->body = NULL;
        r->body_cap = 0;
    }
    memset(&r->req, 0, sizeof(r->req));
    r->phase = PHASE_HEAD;
    r->phase_bytes = r->taken = 0;
    r->last = 0;
    memset(r->tail, 0, sizeof(r->tail));
    r->text_len = r->n_fields = r->body_len = r->target = 0;
    r->in_target = r->in_field = 0;
    r->version_len = 0;
    r->hosts = r->te_count = r->te_chunked = r->expect_continue = 0;
    r->ext_bytes = 0;
}

/* ---- feeding ------------------------------------------------------------ */

/* What is wrong with the lines of n head (or trailer) bytes llhttp took,
 * or NULL: every LF must follow a CR, and no line may start with SP or
 * HT (a folded line, or whitespace before the first header). */
static const char *line_fault(const struct http_reader *r, const char *at,
                              size_t n)
{
    if (n == 0) return NULL;
    if (r->last == '\n' && (at[0] == ' ' || at[0] == '\t'))
        return "folded header line";
    const char *end = at + n, *lf = at;
    while ((lf = memchr(lf, '\n', (size_t)(end - lf))) != NULL) {
        if ((lf > at ? lf[-1] : r->last) != '\r') return "LF without CR";
        if (lf + 1 < end && (lf[1] == ' ' || lf[1] == '\t'))
            return "folded header line";
        lf++;
    }
    return NULL;
}

/* Is c a token character (RFC 9110)? */
static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
           || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Did llhttp refuse a well-formed version other than 1.0 and 1.1 (505)
 * rather than a malformed one (400)? */
static int unspoken_version(const struct http_reader *r)
{
    const char *v = r->version;
    return r->version_len == 3 && v[0] >= '0' && v[0] <= '9' && v[1] == '.'
           && v[2] >= '0' && v[2] <= '9'
           && !(v[0] == '1' && (v[2] == '0' || v[2] == '1'));
}

/* Turn an error of llhttp's into a refusal; `at` is where it stopped. */
static enum http_read refuse_parser(struct http_reader *r, llhttp_errno_t e,
                                    const char *at, const char *end)
{
    if (r->phase == PHASE_REFUSED) return HTTP_READ_REFUSED;
    const char *why = llhttp_get_error_reason(&r->parser);
    if (!why) why = llhttp_errno_name(e);
    int status = 400;
    if (e == HPE_INVALID_METHOD && at < end && is_tchar((unsigned char)*at))
        status = 501;
    else if (e == HPE_INVALID_VERSION && unspoken_version(r))
        status = 505;
    http_reader_refuse(r, status, why);
    return HTTP_READ_REFUSED;
}

/* How many more bytes the head or the trailers may have. */
static size_t head_room(const struct http_reader *r)
{
    return r->lim.max_header - r->phase_bytes;
}

/* Keep the last head bytes of at[0..n) behind the ones kept before. */
static void keep_tail(struct http_reader *r, const char *at, size_t n)
{
    size_t k = sizeof(r->tail);
    if (n >= k) {
        memcpy(r->tail, at + n - k, k);
    } else {
        memmove(r->tail, r->tail + n, k - n);
        memcpy(r->tail + k - n, at, n);
    }
}

/* Run llhttp over at[0..n); *took is how many bytes it used. */
static llhttp_errno_t run_parser(struct http_reader *r, const char *at,
                                 size_t n, size_t *took)
{
    r->chunk = at;
    r->event = HTTP_READ_MORE;
    llhttp_errno_t e = llhttp_execute(&r->parser, at, n);
    const char *stop = llhttp_get_error_pos(&r->parser);
    if (e == HPE_OK || !stop || stop < at || stop > at + n) *took = n;
    else *took = (size_t)(stop - at);
    return e;
}

/* Give llhttp up to n bytes at `at`, capped in the head and trailers;
 * *took is how many it used. Returns MORE to go on, else an event. */
static enum http_read step(struct http_reader *r, const char *at, size_t n,
                           size_t *took)
{
    int capped = r->phase == PHASE_HEAD || r->phase == PHASE_TRAILER;
    *took = 0;
    if (capped && head_room(r) == 0) {
        if (r->in_target)
            http_reader_refuse(r, 414, "request target over MaxHeaderSize");
        else
            http_reader_refuse(r, 431, HTTP_HEAD_TOO_BIG);
        return HTTP_READ_REFUSED;
    }
    if (capped && n > head_room(r)) n = head_room(r);
    llhttp_errno_t e = run_parser(r, at, n, took);
    const char *fault = capped ? line_fault(r, at, *took) : NULL;
    if (fault) {
        /* It comes before anything refused further on, so it wins over
         * that: the same status however the bytes were cut. */
        r->phase = PHASE_REFUSED;
        r->status = 400;
        r->reason = fault;
        return HTTP_READ_REFUSED;
    }
    if (e != HPE_OK && e != HPE_PAUSED)
        return refuse_parser(r, e, at + *took, at + n);
    if (capped && *took > 0) {
        r->last = at[*took - 1];
        keep_tail(r, at, *took);
        r->phase_bytes += *took;
    }
    r->taken += *took;
    if (e == HPE_PAUSED) llhttp_resume(&r->parser);
    return r->event;
}

enum http_read http_reader_feed(struct http_reader *r, const char *data,
                                size_t len, size_t *consumed)
{
    *consumed = 0;
    if (r->phase == PHASE_REFUSED) return HTTP_READ_REFUSED;
    if (r->phase == PHASE_DONE) reset_message(r);
    while (*consumed < len) {
        size_t took;
        enum http_read ev = step(r, data + *consumed, len - *consumed,
                                 &took);
        *consumed += took;
        if (ev != HTTP_READ_MORE) return ev;
    }
    return HTTP_READ_MORE;
}

struct http_reader *http_reader_new(const struct http_limits *limits)
{
    struct http_reader *r = calloc(1, sizeof(*r));
    if (!r) abort();
    r->lim = *limits;
    llhttp_init(&r->parser, HTTP_REQUEST, &http_reader_settings);
    r->parser.data = r;
    reset_message(r);
    return r;
}

void http_reader_free(struct http_reader *r)
{
    if (!r) return;
    free(r->text);
    free(r->fields);
    free(r->headers);
    free(r->body);
    free(r);
}

const struct http_request *http_reader_request(const struct http_reader *r)
{
    return &r->req;
}

int http_reader_status(const struct http_reader *r)
{
    return r->phase == PHASE_REFUSED ? r->status : 0;
}

const char *http_reader_reason(const struct http_reader *r)
{
    return r->phase == PHASE_REFUSED ? r->reason : "";
}

int http_reader_busy(const struct http_reader *r)
{
    return r->taken > 0 && r->phase != PHASE_DONE
           && r->phase != PHASE_REFUSED;
}

size_t http_reader_memory(const struct http_reader *r)
{
    return r->text_cap + r->fields_cap * sizeof(*r->fields)
           + r->headers_cap * sizeof(*r->headers) + r->body_cap;
}

size_t http_reader_memory_max(const struct http_limits *limits)
{
    size_t fields = http_reader_max_fields(limits);
    return limits->max_body + limits->max_header
           + fields * (sizeof(struct field) + sizeof(struct http_header));
}
