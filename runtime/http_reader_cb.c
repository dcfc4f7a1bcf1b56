/* http_reader_cb.c: what llhttp reports, gathered into the request (the
 * target, names and values in one text buffer, the body in another, both
 * capped) and checked for what strict llhttp 8.1.0 lets through: versions
 * other than 1.0 and 1.1, protocols other than HTTP, Transfer-Encoding
 * other than a lone "chunked" or on HTTP/1.0, a missing or repeated Host,
 * an empty header name, CONNECT. */
#include "http_reader_impl.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NO_NAME "empty header name"

/* The reader a parser belongs to. */
static struct http_reader *reader_of(llhttp_t *p)
{
    return p->data;
}

/* Make *buf hold at least `need` elements of `size` bytes, doubling, never
 * past `max`; 0, or -1 (nothing changed) if need is over max. */
static int grow(void **buf, size_t *cap, size_t need, size_t size,
                size_t max)
{
    if (need <= *cap) return 0;
    if (need > max) return -1;
    size_t n = *cap ? *cap * 2 : 64;
    if (n < need) n = need;
    if (n > max) n = max;
    void *p = realloc(*buf, n * size);
    if (!p) abort();
    *buf = p;
    *cap = n;
    return 0;
}

/* Append len bytes to the text, lower-cased if `lower`; 0 or -1 (431). */
static int text_add(struct http_reader *r, const char *at, size_t len,
                    int lower)
{
    if (len == 0) return 0;
    if (grow((void **)&r->text, &r->text_cap, r->text_len + len, 1,
             r->lim.max_header) < 0)
        return http_reader_refuse(r, 431, HTTP_HEAD_TOO_BIG);
    char *to = r->text + r->text_len;
    memcpy(to, at, len);
    if (lower)
        for (size_t i = 0; i < len; i++)
            if (to[i] >= 'A' && to[i] <= 'Z') to[i] = (char)(to[i] | 0x20);
    r->text_len += len;
    return 0;
}

/* ---- llhttp callbacks: the request line -------------------------------- */

/* A piece of the target: into the text. */
static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct http_reader *r = reader_of(p);
    if (!r->in_target) {
        r->in_target = 1;
        r->target = r->text_len;
    }
    return text_add(r, at, len, 0);
}

/* The target is whole. */
static int on_url_complete(llhttp_t *p)
{
    struct http_reader *r = reader_of(p);
    r->in_target = 0;
    r->req.target.len = r->text_len - r->target;
    return 0;
}

/* Is "HTTP/" right before `at`, the version's first byte? (llhttp also
 * takes RTSP/ and ICE/.) The bytes may be in earlier feeds. */
static int after_http_slash(const struct http_reader *r, const char *at)
{
    size_t here = (size_t)(at - r->chunk);
    for (size_t i = 1; i <= 5; i++) {
        char c = i <= here ? at[-(ptrdiff_t)i] : r->tail[5 - (i - here)];
        if (c != "HTTP/"[5 - i]) return 0;
    }
    return 1;
}

/* Keep the first bytes of the version, to tell a version tine does not
 * speak (505) from a malformed one (400) when llhttp refuses it. */
static int on_version(llhttp_t *p, const char *at, size_t len)
{
    struct http_reader *r = reader_of(p);
    if (r->version_len == 0 && !after_http_slash(r, at))
        return http_reader_refuse(r, 400, "not an HTTP request");
    for (size_t i = 0; i < len && r->version_len < sizeof(r->version); i++)
        r->version[r->version_len++] = at[i];
    return 0;
}

/* Is the version 1.0 or 1.1? Else 505. (llhttp passes 0.9 and 2.0.) */
static int check_version(llhttp_t *p)
{
    if (p->http_major == 1 && p->http_minor <= 1) return 0;
    return http_reader_refuse(reader_of(p), 505,
                              "HTTP version not supported");
}

/* ---- llhttp callbacks: headers ----------------------------------------- */

/* A header name, or a piece of one: a new field unless one is open. */
static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct http_reader *r = reader_of(p);
    if (r->phase == PHASE_TRAILER) return 0;   /* trailers are dropped */
    if (r->in_field != 1) {
        if (grow((void **)&r->fields, &r->fields_cap, r->n_fields + 1,
                 sizeof(*r->fields), http_reader_max_fields(&r->lim)) < 0)
            return http_reader_refuse(r, 431, HTTP_HEAD_TOO_BIG);
        struct field *f = &r->fields[r->n_fields++];
        memset(f, 0, sizeof(*f));
        f->name = r->text_len;
        r->in_field = 1;
    }
    r->fields[r->n_fields - 1].name_len += len;
    return text_add(r, at, len, 1);
}

/* A header value, or a piece of one, for the field last named. */
static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct http_reader *r = reader_of(p);
    if (r->phase == PHASE_TRAILER) return 0;
    if (r->n_fields == 0) return http_reader_refuse(r, 400, NO_NAME);
    struct field *f = &r->fields[r->n_fields - 1];
    if (r->in_field != 2) {
        f->value = r->text_len;
        r->in_field = 2;
    }
    f->value_len += len;
    return text_add(r, at, len, 0);
}

/* Is c optional whitespace (SP or HT)? */
static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Does field f's lower-cased name equal `name`? */
static int name_is(const struct http_reader *r, const struct field *f,
                   const char *name)
{
    size_t n = strlen(name);
    return f->name_len == n && memcmp(r->text + f->name, name, n) == 0;
}

/* Does field f's value equal `v`, in any case? */
static int value_is(const struct http_reader *r, const struct field *f,
                    const char *v)
{
    size_t n = strlen(v);
    return f->value_len == n && strncasecmp(r->text + f->value, v, n) == 0;
}

/* A header is whole: trim its value, refuse an empty name, note the
 * headers the checks need. */
static int on_header_value_complete(llhttp_t *p)
{
    struct http_reader *r = reader_of(p);
    if (r->phase == PHASE_TRAILER) return 0;
    if (r->n_fields == 0) return http_reader_refuse(r, 400, NO_NAME);
    struct field *f = &r->fields[r->n_fields - 1];
    if (r->in_field != 2) f->value = r->text_len;
    r->in_field = 0;
    while (f->value_len > 0 && is_ows(r->text[f->value + f->value_len - 1]))
        f->value_len--;
    r->text_len = f->value + f->value_len;
    if (f->name_len == 0) return http_reader_refuse(r, 400, NO_NAME);
    if (name_is(r, f, "host")) {
        r->hosts++;
    } else if (name_is(r, f, "transfer-encoding")) {
        r->te_count++;
        r->te_chunked = value_is(r, f, "chunked");
    } else if (name_is(r, f, "expect")) {
        r->expect_continue = value_is(r, f, "100-continue");
    }
    return 0;
}

/* ---- llhttp callbacks: end of head, body, end of message --------------- */

/* What llhttp lets through and tine refuses; 0 if the head is fine. */
static int check_head(struct http_reader *r)
{
    llhttp_t *p = &r->parser;
    if (check_version(p) < 0) return -1;
    if (p->method == HTTP_CONNECT)
        return http_reader_refuse(r, 501, "CONNECT not supported");
    if (r->te_count > 0 && p->http_minor == 0)
        return http_reader_refuse(r, 400, "Transfer-Encoding in HTTP/1.0");
    if (r->te_count > 0 && (r->te_count > 1 || !r->te_chunked))
        return http_reader_refuse(r, 400, "unknown transfer coding");
    if (r->hosts > 1) return http_reader_refuse(r, 400, "more than one Host");
    if (r->hosts == 0 && p->http_minor == 1)
        return http_reader_refuse(r, 400, "missing Host");
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > r->lim.max_body)
        return http_reader_refuse(r, 413, "body over MaxBodySize");
    return 0;
}

/* Point the request's head at the text, which no longer moves. An
 * Expect in HTTP/1.0 is ignored (RFC 9110, 10.1.1). */
static void fill_head(struct http_reader *r)
{
    llhttp_t *p = &r->parser;
    struct http_request *q = &r->req;
    if (grow((void **)&r->headers, &r->headers_cap, r->n_fields,
             sizeof(*r->headers), r->fields_cap) < 0)
        abort();   /* fields_cap bounds n_fields */
    for (size_t i = 0; i < r->n_fields; i++) {
        const struct field *f = &r->fields[i];
        r->headers[i].name.at = r->text + f->name;
        r->headers[i].name.len = f->name_len;
        r->headers[i].value.at = r->text + f->value;
        r->headers[i].value.len = f->value_len;
    }
    q->method = llhttp_method_name((llhttp_method_t)p->method);
    q->version = p->http_minor ? "1.1" : "1.0";
    q->target.at = r->text ? r->text + r->target : "";
    q->headers = r->headers;
    q->n_headers = r->n_fields;
    q->chunked = (p->flags & F_CHUNKED) != 0;
    q->content_length = (p->flags & F_CONTENT_LENGTH) && !q->chunked
                            ? (long long)p->content_length : -1;
    q->expect_continue = r->expect_continue && p->http_minor == 1;
    q->body.at = "";
}

/* The head is read: refuse it, or pause to announce a body, or go on to
 * the end of a message without one. Upgrade is ignored. */
static int on_headers_complete(llhttp_t *p)
{
    struct http_reader *r = reader_of(p);
    if (check_head(r) < 0) return -1;
    fill_head(r);
    p->upgrade = 0;
    if (!r->req.chunked && r->req.content_length <= 0) return 0;
    r->phase = PHASE_BODY;
    r->event = HTTP_READ_HEAD;
    return HPE_PAUSED;
}

/* A piece of the body (decoded): into the body buffer, within the cap. */
static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct http_reader *r = reader_of(p);
    if (len == 0) return 0;
    if (grow((void **)&r->body, &r->body_cap, r->body_len + len, 1,
             r->lim.max_body) < 0)
        return http_reader_refuse(r, 413, "body over MaxBodySize");
    memcpy(r->body + r->body_len, at, len);
    r->body_len += len;
    return 0;
}

/* A chunk's size is known: refuse it if the body would pass the cap; the
 * last chunk pauses, so the trailers' bytes can be counted apart. */
static int on_chunk_header(llhttp_t *p)
{
    struct http_reader *r = reader_of(p);
    if (p->content_length > r->lim.max_body - r->body_len)
        return http_reader_refuse(r, 413, "body over MaxBodySize");
    if (p->content_length > 0) return 0;
    r->phase = PHASE_TRAILER;
    r->phase_bytes = 0;
    r->last = '\n';
    return HPE_PAUSED;
}

/* A piece of a chunk extension's name or value: counted, not kept. */
static int on_chunk_extension(llhttp_t *p, const char *at, size_t len)
{
    struct http_reader *r = reader_of(p);
    (void)at;
    r->ext_bytes += len;
    if (r->ext_bytes > r->lim.max_chunk_ext)
        return http_reader_refuse(r, 413, "chunk extensions over the cap");
    return 0;
}

/* The request is whole: pause, so the next one waits for the caller. */
static int on_message_complete(llhttp_t *p)
{
    struct http_reader *r = reader_of(p);
    r->req.body.at = r->body_len ? r->body : "";
    r->req.body.len = r->body_len;
    r->req.keep_alive = llhttp_should_keep_alive(p);
    r->phase = PHASE_DONE;
    r->event = HTTP_READ_REQUEST;
    return HPE_PAUSED;
}

const llhttp_settings_t http_reader_settings = {
    .on_url = on_url,
    .on_url_complete = on_url_complete,
    .on_version = on_version,
    .on_version_complete = check_version,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_chunk_header = on_chunk_header,
    .on_chunk_extension_name = on_chunk_extension,
    .on_chunk_extension_value = on_chunk_extension,
    .on_message_complete = on_message_complete,
};

