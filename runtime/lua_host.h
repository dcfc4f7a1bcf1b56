/* lua_host.h: one LuaJIT state running the server script: loading it,
 * calling its functions in protected mode with a traceback, and reading the
 * settings from its globals. */
#ifndef TINE_LUA_HOST_H
#define TINE_LUA_HOST_H

#include <stddef.h>
#include <sys/types.h>

#include "callback.h"
#include "scheduler.h"
#include "settings.h"
#include "shdict_zones.h"
#include "sock_api.h"

struct lua_State;
struct child;
struct event_base;
struct scoreboard_slot;

/* Where the state lives. The master's throwaway state has no child and no
 * event base: child-only parts of the tine module raise an error there. */
struct host_env {
    struct child *child;
    struct event_base *base;
    const struct settings *settings;
    struct scoreboard_slot *slot;
    pid_t master_pid;
    long generation;
    int worker_id;       /* the child's scoreboard slot (ngx.worker.id) */
    const char *script_text;  /* the script read beforehand, or NULL: read
                               * the file now */
    size_t script_len;
    const struct shdict_zones *zones;  /* the mapped dictionaries; NULL in
                                        * the master's state */
};

/* Read the script file whole (a child does so before it drops
 * privileges, so the file may be readable by root alone). The text
 * (malloc'd, *len bytes), or NULL and err "cannot open PATH: why" or
 * "cannot read PATH: why". */
char *host_read_script(const char *path, size_t *len, char *err,
                       size_t errlen);

struct lua_host {
    struct lua_State *L;
    struct host_env env;
    const char *script;
    int name_ref[CB_COUNT];   /* registry refs to the callbacks' names */
    struct sched sched;       /* every call into the script is a task */
    struct host_memory {      /* MaxLuaMemory: counts the state's bytes */
        void *orig_ud;
        void *(*orig)(void *, void *, size_t, size_t);
        size_t used, limit;
        int enforce;          /* a task runs: the limit applies */
        int refused;          /* an allocation was refused */
    } mem;
    struct sock_api sock;     /* tine.tcp and tine.resolve */
    int http_serve_ref;       /* tine.http's serve, once loaded; 0: not */
};

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

/* Run ChildStart or ChildStop (cb) as a task if the script defines it:
 * SCHED_DONE (also when it does not), SCHED_FAILED with err, or
 * SCHED_WAITING, after which done(owner, ...) reports its end. */
enum sched_result host_call_hook(struct lua_host *h, int cb,
                                 sched_done_fn done, void *owner,
                                 char *err, size_t errlen);

/* Push the function the script defines for callback cb (its global,
 * looked up by an interned name): 1, or 0 (nothing pushed) if the global
 * is not a function. */
int host_push_callback(struct lua_host *h, int cb);

/* Cut the traceback off an error message, leaving file:line: message. */
void host_strip_traceback(char *err);

/* Has MaxLuaMemory refused an allocation (the child should be
 * recycled)? */
int host_memory_exceeded(const struct lua_host *h);

/* Kilobytes used by the Lua heap. */
unsigned host_heap_kb(struct lua_host *h);

#endif
