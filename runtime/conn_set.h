/* conn_set.h: a child's client connections: the list and count, their
 * ids, the read buffer they share, and the three queues the loop works
 * through once per iteration: connections written to (flushed with one
 * write each), connections whose held input is released (delivered from
 * the loop, never from inside the call that released it) and connections
 * whose output has all been sent (ClientFlushed). The child learns of
 * every connection opened or closed through one callback. */
#ifndef TINE_CONN_SET_H
#define TINE_CONN_SET_H

struct access_list;
struct conn;
struct event;
struct event_base;
struct lua_host;
struct settings;

/* A connection was opened (opened = 1) or has closed (0). */
typedef void (*conn_set_changed_fn)(void *owner, int opened);

struct conn_set {
    struct event_base *base;
    struct lua_host *host;
    const struct settings *s;
    conn_set_changed_fn changed;
    void *owner;
    struct conn *list;        /* every open connection */
    long count;
    unsigned long next_id;
    struct conn *dirty;       /* written to since the last flush */
    struct conn *flushed;     /* all sent since: ClientFlushed is due */
    struct conn *input_due;   /* held input released: to deliver */
    struct event *flush_ev, *flushed_ev, *input_ev;
    char *read_buf;           /* every read lands here first (mapped,
                                 CONN_READ_SIZE; consumed within the read) */
    struct event *idle_ev;    /* IdleTimeout's sweep, if it is set */
    int has_flushed;          /* the script defines ClientFlushed */
    const struct access_list *allow, *deny;  /* for PROXY's clients */
    unsigned long proxy_refused;  /* closed for their PROXY header */
};

/* A set on base for the script in host; NULL if events cannot be made. */
struct conn_set *conn_set_new(struct event_base *base, struct lua_host *host,
                              const struct settings *s,
                              conn_set_changed_fn changed, void *owner);

/* Free the set (its connections must have ended). */
void conn_set_free(struct conn_set *set);

/* Open connections. */
long conn_set_count(const struct conn_set *set);

/* Close every connection now, whatever it has queued, with reason (its
 * ClientDisconnected follows as usual). */
void conn_set_close_all(struct conn_set *set, const char *reason);

/* The child is stopping: HTTP connections idle between requests close
 * now (the others finish their request with Connection: close). */
void conn_set_stopping(struct conn_set *set);

/* For conn.c: give c its id and list it (the owner is told); unlist it
 * from everything (the owner is told); queue it for this iteration's
 * flush; queue it for delivering its held input; queue it for
 * ClientFlushed. */
void conn_set_add(struct conn_set *set, struct conn *c);
void conn_set_remove(struct conn_set *set, struct conn *c);
void conn_set_mark_dirty(struct conn_set *set, struct conn *c);
void conn_set_mark_input_due(struct conn_set *set, struct conn *c);
void conn_set_mark_flushed(struct conn_set *set, struct conn *c);

#endif
