/* lua_api.h: what scripts see of tine: the `tine` module (C half; the Lua
 * half is lua/tine/prelude.lua) and the client object. */
#ifndef TINE_LUA_API_H
#define TINE_LUA_API_H

#include <stddef.h>

struct lua_host;
struct conn;

/* Register the metatables and install the tine module in h's state.
 * 0, or -1 with err. */
int api_open(struct lua_host *h, char *err, size_t errlen);

/* Make the Lua client object for c; returns its registry reference. */
int api_client_new(struct lua_host *h, struct conn *c);

/* Push the client object with registry reference ref. */
void api_client_push(struct lua_host *h, int ref);

/* The connection is gone: the client object's methods now answer
 * "closed". */
void api_client_detach(struct lua_host *h, int ref);

/* Release the reference (the object lives on while the script holds it). */
void api_client_release(struct lua_host *h, int ref);

#endif
