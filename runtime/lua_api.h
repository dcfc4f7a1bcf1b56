/* lua_api.h: what scripts see of tine: the `tine` module (C half; the Lua
 * half is lua/tine/prelude.lua) and the client object. */
#ifndef TINE_LUA_API_H
#define TINE_LUA_API_H

#include <stddef.h>

#include "scheduler.h"

struct lua_host;
struct conn;

/* Register the metatables and install the tine module in h's state.
 * 0, or -1 with err. */
int api_open(struct lua_host *h, char *err, size_t errlen);

/* Make the Lua client object for c; returns its registry reference. */
int api_client_new(struct lua_host *h, struct conn *c);

/* Push the client object with registry reference ref. */
void api_client_push(struct lua_host *h, int ref);

/* Run a client callback (cb: ClientConnected, ClientInput,
 * ClientDisconnected, ClientError or ClientFlushed) as a task with the
 * client object of registry reference client_ref and, unless arg is NULL,
 * a string; id names the client in the log. A missing function is skipped
 * (done). An error is logged with its traceback: at once (SCHED_FAILED),
 * or, for a task that waited, by the done callback, which gets it. */
enum sched_result api_call_client(struct lua_host *h, int cb, int client_ref,
                                  unsigned long id, const char *arg,
                                  size_t len, sched_done_fn done, void *owner);

/* The connection is gone: the client object's methods now answer
 * "closed". */
void api_client_detach(struct lua_host *h, int ref);

/* Release the reference (the object lives on while the script holds it). */
void api_client_release(struct lua_host *h, int ref);

#endif
