/* http_api.h: HTTP mode's boundary with Lua: a request read by the
 * connection handed to tine.http's serve (which routes it, runs the
 * handler and writes the response through the client object), and the
 * Date header's text. */
#ifndef TINE_HTTP_API_H
#define TINE_HTTP_API_H

#include <stddef.h>

#include "http_reader.h"
#include "scheduler.h"

struct lua_host;

/* The reason phrase of status (RFC 9110's), or "Unknown". */
const char *http_reason(int status);

/* The IMF-fixdate of now ("Sun, 06 Nov 1994 08:49:37 GMT"), made once a
 * second; valid until the next call. */
const char *http_date(void);

/* Serve req (the nth on its connection) on the client at client_ref: a
 * task running tine.http's serve, which writes the whole response. done
 * and owner as for sched_call; a failure is logged here. */
enum sched_result api_call_http(struct lua_host *h, int client_ref,
                                unsigned long conn_id,
                                const struct http_request *req, long nth,
                                sched_done_fn done, void *owner);

#endif
