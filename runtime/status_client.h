/* status_client.h: `tine status ADDRESS`: a tiny blocking HTTP/1.0 client
 * for a running master's StatusListen. */
#ifndef TINE_STATUS_CLIENT_H
#define TINE_STATUS_CLIENT_H

#include <stddef.h>
#include <stdio.h>

/* GET path from address ("host:port", "[v6]:port" or "unix:/path", as
 * StatusListen spells it) and write the body of its 200 answer to out.
 * Connecting, sending and each read wait STATUS_CLIENT_TIMEOUT seconds
 * at most. 0, or -1 with err. */
int status_client_get(const char *address, const char *path, FILE *out,
                      char *err, size_t errlen);

#define STATUS_CLIENT_TIMEOUT 5

/* The body of the whole HTTP response resp[0..len): 0 with *body and
 * *body_len, or -1 with err (not HTTP, or not 200: its status line). */
int status_client_body(const char *resp, size_t len, const char **body,
                       size_t *body_len, char *err, size_t errlen);

#endif
