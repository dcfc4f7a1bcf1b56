/* sock_api_int.h: what the files of the socket object share (sock_api.c
 * the object, connect and send; sock_api_pool.c the keep-alive pools;
 * sock_api_recv.c receiving). */
#ifndef TINE_SOCK_API_INT_H
#define TINE_SOCK_API_INT_H

#include <lua.h>
#include <sys/socket.h>

#include "recv_pattern.h"
#include "sock.h"
#include "sock_api.h"

#define SOCK_MT "tine.tcp"

enum waiting { WAIT_NONE, WAIT_RESOLVE, WAIT_CONNECT, WAIT_SEND, WAIT_RECEIVE,
               WAIT_HANDSHAKE };

struct lsock {
    struct sock *s;
    struct sock_api *api;
    struct sched_task *waiter;      /* the task suspended on this socket */
    enum waiting waiting;
    struct recv_pattern pattern;    /* receive()'s */
    struct recv_pattern *receiving; /* the pattern of the receive waiting */
    size_t sent;                    /* a send's bytes */
    int port;                       /* connect: after the name is resolved */
    int resolving_now;              /* inside resolve_start */
    const char *resolve_err;        /* a lookup that answered at once */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    unsigned reused;
    int want_session;               /* sslhandshake returns the session */
    char pool[300];                 /* keep-alive pool name */
};

/* A closed socket for ls: a spare one, or a new one (NULL if memory ran
 * out), with the default timeouts. */
struct sock *sock_api_take_sock(struct sock_api *api, struct lsock *ls);

/* Done with s: closed, and kept as a spare (or freed if there are enough,
 * or sock_api_close has run). */
void sock_api_give_sock(struct sock_api *api, struct sock *s);

/* Milliseconds at idx (nil: unchanged; 0: the default) to seconds, into
 * *t; raises an error for a bad value. */
void sock_api_ms(lua_State *L, int idx, double *t);

/* connect: take an idle connection from ls's pool (ls->pool) as ls's
 * socket, with ls->reused its count; 1 if one was there, else 0. */
int sock_api_from_pool(struct lsock *ls);

/* sock:setkeepalive([idle_ms [, size]]) and sock:getreusedtimes(). */
int sock_api_setkeepalive(lua_State *L);
int sock_api_getreusedtimes(lua_State *L);

/* Push the metatable registered as `name`, made by build (which fills
 * the new table on top of the stack) the first time. It is registered
 * only once whole: a memory error while it is made leaves nothing
 * half-made behind for later calls to find. */
void sock_api_push_metatable(lua_State *L, const char *name,
                             void (*build)(lua_State *L));

/* The socket at argument 1. */
struct lsock *sock_api_check(lua_State *L);

/* nil, err: a method's failure; returns 2. */
int sock_api_fail(lua_State *L, const char *err);

/* nil and the text of a socket error; returns 2. */
int sock_api_push_err(lua_State *L, struct lsock *ls, enum sock_err err);

/* Raise an error unless a task runs and ls has no operation under way. */
void sock_api_need_task(lua_State *L, struct lsock *ls);

/* Suspend the running task until ls's operation (what) ends. */
int sock_api_wait(lua_State *L, struct lsock *ls, enum waiting what);

/* Push a finished receive's results from ls's buffer: the data (a line
 * without its CRs), nil at the end of a receiveuntil, or nil, err,
 * partial. Returns the count. */
int sock_api_push_received(lua_State *L, struct lsock *ls,
                           struct recv_pattern *p, enum sock_err err);

/* sock:sslhandshake(reused_session, server_name, ssl_verify), and its
 * result once the handshake is done (pushed on L; returns the count). */
int sock_api_sslhandshake(lua_State *L);
int sock_api_push_handshake(lua_State *L, struct lsock *ls);

/* The resolver, made at first use; NULL and *err if it cannot be. */
struct resolver *sock_api_resolver(struct sock_api *api, char *err,
                                   size_t len);

/* tine.resolve(name) (upvalue 1: the struct sock_api). */
int sock_api_resolve(lua_State *L);

/* sock:receive([pattern]) and sock:receiveuntil(pattern [, opts]). */
int sock_api_receive(lua_State *L);
int sock_api_receiveuntil(lua_State *L);

#endif
