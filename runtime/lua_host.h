/* lua_host.h: one LuaJIT state running the server script: loading it,
 * calling its functions in protected mode with a traceback, and reading the
 * settings from its globals. */
#ifndef TINE_LUA_HOST_H
#define TINE_LUA_HOST_H

#include <stddef.h>
#include <sys/types.h>

#include "settings.h"

struct lua_State;
struct child;
struct conn;
struct event_base;
struct scoreboard_slot;

/* What the state is doing, recorded in the scoreboard for hang reports. */
enum host_callback {
    CB_NONE,
    CB_LOAD,
    CB_CHILD_START,
    CB_CLIENT_CONNECTED,
    CB_CLIENT_INPUT,
    CB_CLIENT_DISCONNECTED,
    CB_CLIENT_ERROR,
    CB_CHILD_STOP,
    CB_TIMER,
    CB_COUNT
};

/* Where the state lives. The master's throwaway state has no child and no
 * event base: child-only parts of the tine module raise an error there. */
struct host_env {
    struct child *child;
    struct event_base *base;
    const struct settings *settings;
    struct scoreboard_slot *slot;
    pid_t master_pid;
    long generation;
};

struct lua_host {
    struct lua_State *L;
    struct host_env env;
    const char *script;
    int name_ref[CB_COUNT];   /* registry refs to the callbacks' names */
};

/* The script function or activity named by cb ("ClientInput"). */
const char *host_callback_name(int cb);

/* New state: standard libraries, the tine module, math.random seeded from
 * entropy, then the script's top-level chunk. NULL and err
 * ("file:line: message") if the script cannot be loaded or run. */
struct lua_host *host_open(const char *script, const struct host_env *env,
                           char *err, size_t errlen);

void host_close(struct lua_host *h);

/* Call the function below nargs arguments on the stack, in protected mode,
 * recording cb in the scoreboard. 0, or -1 with the error and its
 * traceback in err. Pops the function and arguments. */
int host_pcall(struct lua_host *h, int cb, int nargs, char *err,
               size_t errlen);

/* Read every setting the script set as a global into s. 0, or -1 with err
 * naming the setting. */
int host_read_settings(struct lua_host *h, struct settings *s, char *err,
                       size_t errlen);

/* Log a warning for each global that is a near miss of a setting. */
void host_warn_near_misses(struct lua_host *h);

/* Is the global `name` a function? */
int host_has_function(struct lua_host *h, const char *name);

/* Call ChildStart or ChildStop (cb) if the script defines it. 0, or -1
 * with err. */
int host_call_hook(struct lua_host *h, int cb, char *err, size_t errlen);

/* Call a client callback (cb: ClientConnected, ClientInput,
 * ClientDisconnected or ClientError) with the client of conn and, unless
 * arg is NULL, a string. A missing function is skipped. An error is logged
 * with its traceback; returns -1 then, else 0. */
int host_client_call(struct lua_host *h, int cb, struct conn *c,
                     const char *arg, size_t len);

/* Cut the traceback off an error message, leaving file:line: message. */
void host_strip_traceback(char *err);

/* Kilobytes used by the Lua heap. */
unsigned host_heap_kb(struct lua_host *h);

#endif
