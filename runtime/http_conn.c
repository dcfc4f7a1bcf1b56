/* http_conn.c: see http_conn.h. The reader takes bytes from the front of
 * the connection's input buffer; what it did not take (a pipelined next
 * request) stays there until the current one has been answered. */
#include "http_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "access_log.h"
#include "callback.h"
#include "clock.h"
#include "conn.h"
#include "conn_set.h"
#include "http_api.h"
#include "http_reader.h"
#include "log.h"
#include "settings.h"

struct http_conn {
    struct http_reader *reader;
    long served;              /* requests handed to the script */
    double request_started;   /* coarse time its first byte came */
    double idle_since;        /* coarse time it last had nothing to do */
};

struct http_conn *http_conn_new(const struct settings *s)
{
    struct http_limits lim = {(size_t)s->max_header_size,
                              (size_t)s->max_body_size,
                              (size_t)s->max_header_size};
    struct http_conn *hc = calloc(1, sizeof(*hc));
    if (!hc) abort();
    hc->reader = http_reader_new(&lim);
    hc->idle_since = clock_coarse();
    return hc;
}

void http_conn_free(struct http_conn *hc)
{
    if (!hc) return;
    http_reader_free(hc->reader);
    free(hc);
}

/* The AccessLog line of a refused request: what it asked is unknown. */
static void log_refusal(const struct conn *c, int status)
{
    char line[160], when[40];
    struct tm tm;
    time_t now = time(NULL);
    if (access_log_fd() < 0) return;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
    int len = snprintf(line, sizeof(line),
                       "%s - - [%s] \"-\" %d 0 \"-\" \"-\" 0.000",
                       c->remote_ip, when, status);
    access_log_write(line, (size_t)len);
}

/* Answer status with a short plain body and close: nothing of the
 * request reaches the script. */
static void refuse(struct conn *c, int status, const char *why)
{
    char head[512];
    const char *reason = http_reason(status);
    int len = snprintf(head, sizeof(head),
                       "HTTP/1.1 %d %s\r\nDate: %s\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n"
                       "%s\n",
                       status, reason, http_date(), strlen(reason) + 1,
                       reason);
    log_debug("client %lu: HTTP %d: %s", c->id, status, why);
    log_refusal(c, status);
    if (conn_write_check(c) == 0) conn_write(c, head, (size_t)len);
    conn_close(c, "http refused");
}

/* Hand the request just read to the script. */
static void serve(struct conn *c, struct http_conn *hc)
{
    const struct http_request *req = http_reader_request(hc->reader);
    hc->served++;
    enum sched_result r = api_call_http(c->set->host, c->client_ref, c->id,
                                        req, hc->served, conn_task_done, c);
    if (conn_task_begun(c, r) < 0) conn_close(c, "script error");
}

/* Answer Expect: 100-continue: the body will be read. */
static void send_continue(struct conn *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (conn_write_check(c) == 0) conn_write(c, cont, sizeof(cont) - 1);
}

size_t http_conn_deliver(struct conn *c, const char *data, size_t len)
{
    struct http_conn *hc = c->http;
    size_t off = 0;
    while (!conn_input_held(c) && off < len) {
        size_t took = 0;
        if (!http_reader_busy(hc->reader))
            hc->request_started = clock_coarse();
        enum http_read ev =
            http_reader_feed(hc->reader, data + off, len - off, &took);
        off += took;
        if (ev == HTTP_READ_REFUSED) {
            refuse(c, http_reader_status(hc->reader),
                   http_reader_reason(hc->reader));
            return len;
        }
        if (ev == HTTP_READ_HEAD &&
            http_reader_request(hc->reader)->expect_continue)
            send_continue(c);
        if (ev == HTTP_READ_REQUEST) serve(c, hc);
        if (ev == HTTP_READ_MORE) break;
    }
    if (c->tasks == 0 && !http_reader_busy(hc->reader))
        hc->idle_since = clock_coarse();
    return off;
}

void http_conn_sweep(struct conn *c, double now)
{
    struct http_conn *hc = c->http;
    const struct settings *s = c->set->s;
    if (c->closing || c->tasks > 0 || conn_output_queued(c) > 0) return;
    if (http_reader_busy(hc->reader)) {
        if (now - hc->request_started >= s->request_timeout)
            refuse(c, 408, "request not received within RequestTimeout");
        return;
    }
    /* a new connection has RequestTimeout to send its first request */
    double limit = hc->served == 0 ? s->request_timeout
                                   : s->keep_alive_timeout;
    if (now - hc->idle_since >= limit) conn_close(c, "keep-alive timeout");
}

/* Has a new connection's first request arrived, unread yet? Its client
 * has begun it, as far as it can tell. */
static int first_request_waiting(const struct conn *c)
{
    char byte;
    if (c->http->served > 0) return 0;
    return bytebuf_len(&c->in) > 0 ||
           recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void http_conn_stopping(struct conn *c)
{
    if (!c->closing && c->tasks == 0 && !http_reader_busy(c->http->reader) &&
        !first_request_waiting(c))
        conn_close(c, "stopping");
}
