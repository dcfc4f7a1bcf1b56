/* child_accept.c: accepting. A child accepts exactly while nothing holds
 * it back (MaxSessionPerServer, MaxServerLifeTimes, pauses, stopping, out
 * of descriptors), leaves new clients to less busy siblings, and counts
 * its connections in its scoreboard slot. */
#include <errno.h>
#include <event2/event.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "child_int.h"
#include "clock.h"
#include "conn.h"
#include "conn_set.h"
#include "log.h"
#include "scoreboard.h"

#define ACCEPT_RETRY_SECONDS 0.1 /* after EMFILE and the like */
/* Accept by load: a child holding more than child_accept_slack(least)
 * connections above its least busy accepting sibling (least) leaves new
 * ones to the others for ACCEPT_YIELD_SECONDS. A sibling stuck in a
 * callback for STUCK_SECONDS does not count, so a hung child never stops
 * the others accepting. */
#define ACCEPT_YIELD_SECONDS 0.001
#define STUCK_SECONDS 1.0

/* Accept exactly while nothing holds accepting back; MaxSessionPerServer
 * is never exceeded because this runs after every accept. */
void child_update_accepting(struct child *ch)
{
    long limit = ch->s->max_session_per_server;
    int spent = ch->lifetime_limit > 0 && ch->accepted >= ch->lifetime_limit;
    int able = !ch->dequeue && !ch->stopping && !ch->paused_by_master &&
               !ch->paused_by_script && !ch->accept_backoff && !spent &&
               !(limit > 0 && child_connections(ch) >= limit);
    int want = able && !ch->yielding;
    /* Siblings compare loads with children able to accept; yielding is
     * only for a moment, so it does not take a child out of the count. */
    if (ch->slot) ch->slot->accepting = able;
    if (want == ch->accepting) return;
    for (int i = 0; i < ch->nlisteners; i++) {
        if (want)
            event_add(ch->listeners[i].ev, NULL);
        else
            event_del(ch->listeners[i].ev);
    }
    ch->accepting = want;
}

/* Out of descriptors or memory: stop accepting for a moment instead of
 * spinning on a listener that stays readable. Warn at most every 10 s. */
static void accept_pause(struct child *ch, int err)
{
    double now = clock_now();
    if (now - ch->last_accept_warning >= 10) {
        log_warn("accept() failed: %s; accepting again in %.1f s",
                 strerror(err), ACCEPT_RETRY_SECONDS);
        ch->last_accept_warning = now;
    }
    ch->accept_backoff = 1;
    child_update_accepting(ch);
    struct timeval tv = {0, (suseconds_t)(ACCEPT_RETRY_SECONDS * 1e6)};
    evtimer_add(ch->accept_retry_ev, &tv);
}

/* Does this child hold more than the slack above its least busy
 * accepting sibling? */
static int over_siblings(struct child *ch)
{
    if (!ch->scoreboard || child_connections(ch) <= child_accept_slack(0))
        return 0;
    /* coarse, as the callback times it compares with */
    long least = scoreboard_least_busy(ch->scoreboard, ch->slot_index,
                                       clock_coarse(), STUCK_SECONDS);
    return least >= 0 &&
           child_connections(ch) > least + child_accept_slack(least);
}

/* Too busy beside a sibling: leave new connections to the others for a
 * moment. They stay queued on the shared socket, never refused. */
static int yield_to_siblings(struct child *ch)
{
    if (!over_siblings(ch)) return 0;
    ch->yielding = 1;
    child_update_accepting(ch);
    struct timeval tv = {0, (suseconds_t)(ACCEPT_YIELD_SECONDS * 1e6)};
    evtimer_add(ch->accept_retry_ev, &tv);
    return 1;
}

long child_accept_slack(long least)
{
    return least > 256 ? 16 + (least - 256) / 16 : 16;
}

int child_accept_batch(long conns)
{
    long batch = 4 + conns / 32;
    return batch > 64 ? 64 : (int)batch;
}

void child_on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
    struct child *ch = arg;
    (void)fd;
    (void)what;
    ch->accept_backoff = 0;
    ch->yielding = 0;
    child_update_accepting(ch);
}

/* May this peer in? With ProxyProtocol a TCP peer must be a trusted
 * proxy (Allow and Deny apply to the client its header names); else
 * Allow and Deny apply to the peer. */
static int peer_permitted(struct child *ch, const struct sockaddr *peer)
{
    static const struct access_list none;
    if (ch->s->proxy_protocol && peer->sa_family != AF_UNIX) {
        if (access_permits(&ch->trusted, &none, peer)) return 1;
        ch->conns->proxy_refused++;
        log_debug("PROXY: closed a peer not in TrustedProxies (%lu so far)",
                  ch->conns->proxy_refused);
        return 0;
    }
    if (access_permits(&ch->allow, &ch->deny, peer)) return 1;
    log_debug("refused a peer by Allow/Deny");
    return 0;
}

void child_on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct child_listener *l = arg;
    struct child *ch = l->ch;
    (void)what;
    int batch = child_accept_batch(child_connections(ch));
    for (int i = 0; i < batch && ch->accepting; i++) {
        if (yield_to_siblings(ch)) return;
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        memset(&ss, 0, sizeof(ss));
        int cfd = accept4(fd, (struct sockaddr *)&ss, &len,
                          SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM)
                accept_pause(ch, errno);
            else if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warn("accept() failed: %s", strerror(errno));
            return;
        }
        if (!peer_permitted(ch, (struct sockaddr *)&ss)) {
            close(cfd);
            continue;
        }
        conn_open(ch->conns, cfd, (struct sockaddr *)&ss, l->port, l->tls);
    }
}

static void publish_counts(struct child *ch)
{
    if (!ch->slot) return;
    ch->slot->conns = child_connections(ch);
    ch->slot->accepted = ch->accepted;
}

/* A connection opened: count it, recycle at MaxServerLifeTimes. */
static void conn_opened(struct child *ch)
{
    ch->accepted++;
    if (ch->slot) ch->slot->idle_since = 0;
    publish_counts(ch);
    /* At MaxServerLifeTimes, stop accepting at once (exact, like
     * MaxSessionPerServer) and ask for a replacement: new clients wait in
     * the listen queue for a sibling or the replacement, never refused. */
    if (ch->lifetime_limit > 0 && ch->accepted >= ch->lifetime_limit &&
        !ch->recycle_asked) {
        log_info("child reached MaxServerLifeTimes (%lu with RecycleJitter): "
                 "accepting no more, recycling", ch->lifetime_limit);
        child_request_recycle(ch);
    }
    child_update_accepting(ch);
}

/* A yield ends early once this child is no longer over its siblings
 * because its own connections closed. Short connections swing the counts
 * fast: without this, two children would yield to each other in turn,
 * with nobody accepting in between. */
static void end_yield_if_level(struct child *ch)
{
    if (!ch->yielding || ch->accept_backoff || over_siblings(ch)) return;
    ch->yielding = 0;
    evtimer_del(ch->accept_retry_ev);
}

/* A connection closed: a stopping child may now be done. */
static void conn_closed(struct child *ch)
{
    if (ch->slot && child_connections(ch) == 0)
        ch->slot->idle_since = clock_now();
    publish_counts(ch);
    end_yield_if_level(ch);
    child_update_accepting(ch);
    child_maybe_finish(ch);
}

/* The connection set's news. */
void child_on_conns_changed(void *owner, int opened)
{
    if (opened) conn_opened(owner);
    else conn_closed(owner);
}

