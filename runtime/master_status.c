/* master_status.c: StatusListen: the master answers GET /, /status,
 * /metrics and /status.txt with libevent's evhttp on its own event loop.
 * Nothing here blocks: a request is a snapshot of the process table, the
 * scoreboard and the last heartbeats, rendered by status_format.c. A
 * status client is not a user client: no child and no Lua is involved. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "callback.h"
#include "clock.h"
#include "listen.h"
#include "log.h"
#include "master_int.h"
#include "procmem.h"
#include "status_format.h"

#define STATUS_TIMEOUT 5           /* seconds for a status client */
#define STATUS_MAX_HEADERS 8192    /* bytes of request head */

struct master_status {
    struct evhttp *http;
    int local;                     /* only this host can reach it */
    char path[sizeof(((struct listen_spec *)0)->path)];  /* unix: removed
                                                          * at close */
};

struct route {
    const char *path;
    const char *content_type;
    void (*render)(const struct status_snapshot *, FILE *);
};

static const struct route routes[] = {
    {"/", "text/html; charset=utf-8", status_html},
    {"/status", "application/json", status_json},
    {"/metrics", "application/openmetrics-text; version=1.0.0; "
     "charset=utf-8", status_metrics},
    {"/status.txt", "text/plain; charset=utf-8", status_text},
};

/* Child r as the status page shows it, at time now. */
static void fill_child(struct master *m, struct child_rec *r, double now,
                       struct status_child *c)
{
    struct scoreboard_slot *slot = master_slot(m, r);
    c->pid = (long)r->proc.pid;
    c->generation = r->proc.generation;
    c->state = proc_state_name(r->proc.state);
    c->dequeue = r->proc.kind == PROC_KIND_DEQUEUE;
    c->lua_heap_bytes = (double)r->lua_kb * 1024;
    c->heartbeat_age_seconds = now - r->last_seen;
    c->resident_bytes = procmem_rss_mib(r->proc.pid) * 1048576;
    if (!slot) return;
    c->connections = (double)slot->conns;
    c->accepted = (double)slot->accepted;
    c->requests = (double)slot->requests;
    c->waiting = slot->waiting;
    c->loop_lag_seconds = slot->loop_lag;
    int cb = slot->callback;
    double since = slot->callback_since;  /* coarse: may lag now a tick */
    if (cb == CB_NONE) return;
    c->callback = callback_name(cb);
    c->callback_seconds = now > since ? now - since : 0;
}

static int by_pid(const void *a, const void *b)
{
    long x = ((const struct status_child *)a)->pid;
    long y = ((const struct status_child *)b)->pid;
    return (x > y) - (x < y);
}

/* Take the snapshot; its children array is the caller's to free. */
static struct status_child *take_snapshot(struct master *m,
                                          struct status_snapshot *s)
{
    double now = clock_now();
    int n = 0;
    FOR_EACH_CHILD(m, r) n++;
    struct status_child *kids = calloc((size_t)n + 1, sizeof(*kids));
    if (!kids) abort();
    memset(s, 0, sizeof(*s));
    s->pid = (long)getpid();
    s->generation = m->generation;
    s->uptime_seconds = now - m->counts.started_at;
    s->script = m->script;
    s->paused = m->paused;
    s->shutting_down = m->shutting_down;
    s->accepted = m->counts.accepted;
    s->requests = m->counts.requests;
    s->children_started = m->counts.spawned;
    memcpy(s->exits, m->counts.exits, sizeof(s->exits));
    FOR_EACH_CHILD(m, r) {
        fill_child(m, r, now, &kids[s->nchildren]);
        s->accepted += kids[s->nchildren].accepted;
        s->requests += kids[s->nchildren].requests;
        s->nchildren++;
    }
    qsort(kids, (size_t)n, sizeof(*kids), by_pid);
    s->children = kids;
    return kids;
}

/* May the peer of req read the status? Always, when only this host can
 * reach StatusListen; otherwise Allow (never empty there) and Deny say. */
static int permitted(struct master *m, struct evhttp_request *req)
{
    char err[TINE_ERR_MAX];
    struct access_list allow, deny;
    if (m->status->local) return 1;
    const struct sockaddr *sa =
        evhttp_connection_get_addr(evhttp_request_get_connection(req));
    if (!sa || m->s.allow.n == 0) return 0;
    if (access_build("Allow", &m->s.allow, &allow, err, sizeof(err)) < 0)
        return 0;
    if (access_build("Deny", &m->s.deny, &deny, err, sizeof(err)) < 0) {
        access_free(&allow);
        return 0;
    }
    int ok = access_permits(&allow, &deny, sa);
    access_free(&allow);
    access_free(&deny);
    return ok;
}

/* The route for req's path, or NULL. */
static const struct route *route_of(struct evhttp_request *req)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || !*path) path = "/";
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (strcmp(routes[i].path, path) == 0) return &routes[i];
    return NULL;
}

/* Render route's page into body; 0, or -1 if memory ran out. */
static int render(struct master *m, const struct route *route,
                  struct evbuffer *body)
{
    struct status_snapshot snap;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return -1;
    struct status_child *kids = take_snapshot(m, &snap);
    route->render(&snap, out);
    free(kids);
    int rc = fclose(out) == 0 ? evbuffer_add(body, text, len) : -1;
    free(text);
    return rc;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct master *m = arg;
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    const struct route *route = route_of(req);
    if (!permitted(m, req)) {
        evhttp_send_error(req, 403, "Forbidden");
        return;
    }
    if (!route) {
        evhttp_send_error(req, 404, "Not Found");
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (!body || render(m, route, body) < 0) {
        if (body) evbuffer_free(body);
        evhttp_send_error(req, 500, "Internal Server Error");
        return;
    }
    evhttp_add_header(headers, "Content-Type", route->content_type);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    evhttp_send_reply(req, 200, "OK", body);
    evbuffer_free(body);
}

/* Serve on the listener l (owned from now on, closed on failure). */
static int serve_on(struct master *m, struct listener *l, char *err,
                    size_t errlen)
{
    struct master_status *st = m->status;
    st->http = evhttp_new(m->base);
    if (!st->http || !evhttp_accept_socket_with_handle(st->http, l->fd)) {
        snprintf(err, errlen, "StatusListen: evhttp failed on %s: %s",
                 l->name, strerror(errno));
        close(l->fd);
        return -1;
    }
    evhttp_set_allowed_methods(st->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_timeout(st->http, STATUS_TIMEOUT);
    evhttp_set_max_headers_size(st->http, STATUS_MAX_HEADERS);
    evhttp_set_max_body_size(st->http, 0);
    evhttp_set_gencb(st->http, on_request, m);
    log_info("status page on %s", l->name);
    return 0;
}

int master_status_open(struct master *m, char *err, size_t errlen)
{
    struct listen_spec spec;
    struct listener l;
    char why[TINE_ERR_MAX];
    if (!m->s.status_listen) return 0;
    if (listen_parse(m->s.status_listen, &spec, why, sizeof(why)) < 0 ||
        listen_open(&spec, &l, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "StatusListen: %s", why);
        return -1;
    }
    m->status = calloc(1, sizeof(*m->status));
    if (!m->status) abort();
    m->status->local = listen_is_local(&spec);
    if (spec.family == AF_UNIX) strcpy(m->status->path, spec.path);
    return serve_on(m, &l, err, errlen);
}

void master_status_close(struct master *m)
{
    if (!m->status) return;
    if (m->status->http) evhttp_free(m->status->http);
    if (m->status->path[0]) unlink(m->status->path);
    free(m->status);
    m->status = NULL;
}
