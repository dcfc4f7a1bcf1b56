/* http_reader.h: read HTTP/1.0 and 1.1 requests out of bytes a caller has
 * read, over llhttp, one message at a time. No I/O and no Lua: the caller
 * feeds what it read (split anywhere) and drains what the reader took;
 * bytes of a pipelined next request stay with the caller until it feeds
 * them again. */
#ifndef TINE_HTTP_READER_H
#define TINE_HTTP_READER_H

#include <stddef.h>

struct http_limits {
    size_t max_header;     /* request line and headers, on the wire; also
                              the trailers' own cap (MaxHeaderSize) */
    size_t max_body;       /* body bytes after chunked decoding */
    size_t max_chunk_ext;  /* chunk-extension bytes in one request */
};

/* Bytes inside the reader: valid until the next feed or free. */
struct http_slice {
    const char *at;
    size_t len;
};

struct http_header {
    struct http_slice name;     /* lower case */
    struct http_slice value;    /* without the surrounding whitespace */
};

struct http_request {
    const char *method;         /* "GET", "POST", ... (static) */
    const char *version;        /* "1.0" or "1.1" (static) */
    struct http_slice target;   /* as sent */
    const struct http_header *headers;  /* in the order sent */
    size_t n_headers;
    long long content_length;   /* -1 if none or chunked */
    int chunked;                /* the body is chunked */
    int expect_continue;        /* Expect: 100-continue */
    struct http_slice body;     /* decoded; empty until the request ends */
    int keep_alive;             /* the client wants the connection kept;
                                   known when the request ends */
};

enum http_read {
    HTTP_READ_MORE,     /* every byte fed was taken; feed more */
    HTTP_READ_HEAD,     /* the head is read and a body follows: the time to
                           answer Expect: 100-continue; feed on for it */
    HTTP_READ_REQUEST,  /* a whole request; the next feed starts the next */
    HTTP_READ_REFUSED   /* answer http_reader_status(), then close */
};

struct http_reader;

/* A reader for one connection with these limits (copied). Never NULL: it
 * aborts if memory runs out, as the rest of tine does. */
struct http_reader *http_reader_new(const struct http_limits *limits);

void http_reader_free(struct http_reader *r);

/* Take bytes from data[0..len) into the current request, stopping after
 * the head when a body follows and after each whole request. *consumed is
 * how many were taken (never more than len); the caller drains them and
 * feeds the rest again later. Once refused, every feed refuses again and
 * takes nothing. */
enum http_read http_reader_feed(struct http_reader *r, const char *data,
                                size_t len, size_t *consumed);

/* The request being read: its head after HTTP_READ_HEAD, all of it after
 * HTTP_READ_REQUEST; valid until the next feed or free. */
const struct http_request *http_reader_request(const struct http_reader *r);

/* After HTTP_READ_REFUSED: the status to answer (400, 413, 414, 431, 501,
 * 505) and a short reason for the log (static). */
int http_reader_status(const struct http_reader *r);
const char *http_reader_reason(const struct http_reader *r);

/* Bytes the reader holds for requests, besides itself: never more than
 * http_reader_memory_max(); a body buffer over 64 KiB is given back when
 * the next request starts. */
size_t http_reader_memory(const struct http_reader *r);

/* The most http_reader_memory() can be under these limits: the body, the
 * head's text, and an index of 64 bytes for each 4 bytes of head (the
 * shortest header line). */
size_t http_reader_memory_max(const struct http_limits *limits);

/* Has some of a request been taken but not all of it? (A connection that
 * ends or times out now loses a request, rather than sitting idle.) */
int http_reader_busy(const struct http_reader *r);

#endif
