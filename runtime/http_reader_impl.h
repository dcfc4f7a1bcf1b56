/* http_reader_impl.h: the reader's insides, shared by http_reader.c
 * (feeding llhttp, the line and size checks) and http_reader_cb.c (what
 * llhttp reports: the request gathered and checked). Not for other
 * modules. */
#ifndef TINE_HTTP_READER_IMPL_H
#define TINE_HTTP_READER_IMPL_H

#include <stddef.h>

#include <llhttp.h>

#include "http_reader.h"

enum phase { PHASE_HEAD, PHASE_BODY, PHASE_TRAILER, PHASE_DONE,
             PHASE_REFUSED };

/* A header while the head is read: offsets, as the text may move. */
struct field {
    size_t name, name_len, value, value_len;
};

struct http_reader {
    llhttp_t parser;
    struct http_limits lim;
    struct http_request req;
    enum phase phase;
    enum http_read event;   /* what a pause in a callback announces */
    size_t phase_bytes;     /* wire bytes of the head or trailers so far */
    size_t taken;           /* bytes of this message taken */
    char last;              /* the byte before the next head byte */
    const char *chunk;      /* the bytes llhttp is reading now */
    char tail[5];           /* the head's last bytes before chunk */
    int status;
    const char *reason;
    char *text;             /* target, names and values of this request */
    size_t text_len, text_cap;
    struct field *fields;
    size_t n_fields, fields_cap;
    struct http_header *headers;
    size_t headers_cap;
    char *body;
    size_t body_len, body_cap;
    size_t target;          /* offset of the target in text */
    int in_target;          /* the target is being read */
    int in_field;           /* reading a name (1) or a value (2) */
    char version[4];
    size_t version_len;
    int hosts, te_count, te_chunked, expect_continue;
    size_t ext_bytes;
};

#define HTTP_HEAD_TOO_BIG "request head over MaxHeaderSize"

/* Refuse the request with status and reason (the first refusal stays);
 * returns -1, what a callback returns to stop llhttp. */
int http_reader_refuse(struct http_reader *r, int status, const char *reason);

/* How many header fields a head within the limits can have: a line is
 * 4 bytes at least ("a:" CRLF). */
static inline size_t http_reader_max_fields(const struct http_limits *l)
{
    return l->max_header / 4 + 1;
}

/* The callbacks, in http_reader_cb.c. */
extern const llhttp_settings_t http_reader_settings;

#endif
