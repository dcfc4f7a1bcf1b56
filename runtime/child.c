/* child.c: the child's life. It serves clients on its own event loop and
 * tells the master what it needs to know over the channel; connection
 * counts go to its scoreboard slot instead of messages. */
#include "child.h"
#include "child_int.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access.h"
#include "access_log.h"
#include "callback.h"
#include "channel.h"
#include "clock.h"
#include "conn.h"
#include "conn_set.h"
#include "log.h"
#include "lua_host.h"
#include "pool.h"
#include "privs.h"
#include "procmem.h"
#include "scoreboard.h"
#include "tine_err.h"

long child_connections(struct child *ch)
{
    return ch->conns ? conn_set_count(ch->conns) : 0;
}

/* ChildStop (or ChildStart) waited and has ended. */
static void on_stopped(void *owner, int cb, int failed, const char *err)
{
    struct child *ch = owner;
    if (failed) log_error("%s failed: %s", callback_name(cb), err);
    event_base_loopbreak(ch->base);
}

/* End the loop once a stopping child has no connection left, after
 * ChildStop (which may wait). */
void child_maybe_finish(struct child *ch)
{
    char err[TINE_ERR_MAX];
    if (!ch->stopping || child_connections(ch) > 0 || ch->finished) return;
    ch->finished = 1;
    enum sched_result r = host_call_hook(ch->host, CB_CHILD_STOP, on_stopped,
                                         ch, err, sizeof(err));
    if (r == SCHED_FAILED) log_error("ChildStop failed: %s", err);
    if (r != SCHED_WAITING) event_base_loopbreak(ch->base);
}

/* GraceExpireTime after the stop: close what is still open ourselves,
 * so ClientDisconnected ("stopping") and ChildStop run before the exit. */
static void on_grace(evutil_socket_t fd, short what, void *arg)
{
    struct child *ch = arg;
    (void)fd;
    (void)what;
    if (ch->dequeue) {
        child_dequeue_expired(ch);
        return;
    }
    log_info("GraceExpireTime: closing %ld connection(s) still open",
             child_connections(ch));
    conn_set_close_all(ch->conns, "stopping");
}

/* ChildStopping waited and has ended. */
static void on_stopping_done(void *owner, int cb, int failed, const char *err)
{
    (void)owner;
    if (failed) log_error("%s failed: %s", callback_name(cb), err);
}

/* Told to stop (reload, recycle, shutdown): accept no more, tell the
 * script (ChildStopping), and finish once the connections are gone, at
 * GraceExpireTime at the latest. A dequeue process only lets Dequeue run
 * on until then. */
static void begin_stop(struct child *ch)
{
    char err[TINE_ERR_MAX];
    if (ch->stopping) return;
    ch->stopping = 1;
    struct timeval tv = clock_timeval(ch->s->grace_expire_time);
    evtimer_add(ch->grace_ev, &tv);
    if (ch->dequeue) return;
    child_update_accepting(ch);
    log_debug("child stopping with %ld connection(s) open",
              child_connections(ch));
    conn_set_stopping(ch->conns);
    if (host_call_hook(ch->host, CB_CHILD_STOPPING, on_stopping_done, ch, err,
                       sizeof(err)) == SCHED_FAILED)
        log_error("ChildStopping failed: %s", err);
    child_maybe_finish(ch);
}

int child_is_stopping(struct child *ch) { return ch->stopping; }

void child_request_shutdown(struct child *ch)
{
    if (ch->shutdown_asked) return;
    ch->shutdown_asked = 1;
    log_info("script asked the server to shut down");
    channel_send_type(ch->channel_fd, MSG_SHUTDOWN_SERVER);
}

void child_request_recycle(struct child *ch)
{
    if (ch->recycle_asked) return;
    ch->recycle_asked = 1;
    if (ch->dequeue) {  /* never replaced: it stops, as on TERM */
        log_info("tine.recycle() in a dequeue process: stopping it");
        begin_stop(ch);
        return;
    }
    channel_send_type(ch->channel_fd, MSG_RECYCLE_ME);
}

void child_set_script_paused(struct child *ch, int paused)
{
    ch->paused_by_script = paused;
    child_update_accepting(ch);
}

static void on_channel(evutil_socket_t fd, short what, void *arg)
{
    struct child *ch = arg;
    struct channel_msg m;
    (void)what;
    for (;;) {
        int r = channel_recv(fd, &m);
        if (r == 0) return;
        if (r == -1) {  /* the master is gone: never outlive it */
            ch->exit_code = CHILD_EXIT_ORPHANED;
            event_base_loopbreak(ch->base);
            return;
        }
        if (r == -2) {
            log_warn("malformed message from the master ignored");
            continue;
        }
        if (m.type == MSG_LOG_FILE && m.passed_fd >= 0) log_adopt(m.passed_fd);
        else if (m.type == MSG_ACCESS_LOG && m.passed_fd >= 0)
            access_log_adopt(m.passed_fd);
        else if (m.passed_fd >= 0) close(m.passed_fd);  /* not expected */
        if (m.type == MSG_PAUSE) ch->paused_by_master = 1;
        else if (m.type == MSG_RESUME) ch->paused_by_master = 0;
        else if (m.type == MSG_STOP) begin_stop(ch);
        child_update_accepting(ch);
    }
}

/* Between callbacks: past MaxLuaMemory or MaxServerMemory, ask to be
 * recycled (once); the master need not wait for its own heartbeat. */
static void check_memory(struct child *ch)
{
    if (ch->recycle_asked || ch->dequeue) return;
    if (host_memory_exceeded(ch->host)) {
        log_warn("Lua heap reached MaxLuaMemory (%ld MiB): recycling",
                 ch->s->max_lua_memory);
        child_request_recycle(ch);
        return;
    }
    double rss = ch->s->max_server_memory > 0 ? procmem_rss_mib(0) : 0;
    if (rss > (double)ch->s->max_server_memory && ch->s->max_server_memory > 0) {
        log_info("%.0f MiB resident, over MaxServerMemory (%ld MiB): "
                 "recycling", rss, ch->s->max_server_memory);
        child_request_recycle(ch);
    }
}

/* How late the heartbeat timer fired (the event loop's lag), into the
 * scoreboard for the status page. The next due time follows libevent's
 * rule for a persistent timer: the last due time plus the interval, or
 * now plus the interval if that has passed already. */
static void note_loop_lag(struct child *ch)
{
    double now = clock_now(), beat = ch->s->server_heart_beat_time;
    double lag = now - ch->beat_due;
    ch->beat_due += beat;
    if (ch->beat_due < now) ch->beat_due = now + beat;
    if (ch->slot) ch->slot->loop_lag = lag > 0 ? lag : 0;
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    struct child *ch = arg;
    struct channel_msg m;
    (void)fd;
    (void)what;
    note_loop_lag(ch);
    check_memory(ch);
    memset(&m, 0, sizeof(m));
    m.type = MSG_HEARTBEAT;
    m.conns = (uint32_t)child_connections(ch);
    m.accepted = ch->accepted;
    m.lua_kb = host_heap_kb(ch->host);
    channel_send(ch->channel_fd, &m);
}

/* USR1/USR2 pause and resume accepting; TERM/INT ask the master to
 * replace this child: it stops once its replacement is ready (a dequeue
 * process, which nobody replaces, stops at once). Read from a
 * signalfd: the master's libevent signal state, inherited through fork, is
 * never touched. */
static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    struct child *ch = arg;
    struct signalfd_siginfo si;
    (void)what;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGUSR1 || si.ssi_signo == SIGUSR2) {
            ch->paused_by_master = si.ssi_signo == SIGUSR1;
            child_update_accepting(ch);
        } else if (ch->dequeue) {
            begin_stop(ch);
        } else {
            log_info("%s: recycling this child", strsignal((int)si.ssi_signo));
            child_request_recycle(ch);
        }
    }
}

/* Log why we cannot start (with the traceback, if any) and tell the
 * master file:line: message; returns the exit status. */
static int fail_start(struct child *ch, char *why)
{
    struct channel_msg m;
    if (strstr(why, "\nstack traceback:")) log_error("%s", why);
    host_strip_traceback(why);
    memset(&m, 0, sizeof(m));
    m.type = MSG_FAILED;
    m.text_len = (uint32_t)snprintf(m.text, sizeof(m.text), "%s", why);
    if (m.text_len > CHANNEL_TEXT_MAX) m.text_len = CHANNEL_TEXT_MAX;
    channel_send(ch->channel_fd, &m);
    return CHILD_EXIT_START_FAILED;
}

/* ChildStart has run: report READY and start accepting. */
static void become_ready(struct child *ch)
{
    if (ch->slot) ch->slot->idle_since = clock_now();
    channel_send_type(ch->channel_fd, MSG_READY);
    child_update_accepting(ch);
}

/* ChildStart waited and has ended: ready, or a failed start. */
static void on_started(void *owner, int cb, int failed, const char *err)
{
    struct child *ch = owner;
    char why[TINE_ERR_MAX];
    (void)cb;
    if (!failed) {
        become_ready(ch);
        return;
    }
    snprintf(why, sizeof(why), "%s", err);
    ch->exit_code = fail_start(ch, why);
    event_base_loopbreak(ch->base);
}

/* Run ChildStart (which may wait): 0, or -1 and err if it failed at once.
 * A dequeue process runs Dequeue instead. */
static int start_script(struct child *ch, char *err, size_t errlen)
{
    if (ch->dequeue) {
        child_dequeue_run(ch);
        return 0;
    }
    enum sched_result r = host_call_hook(ch->host, CB_CHILD_START, on_started,
                                         ch, err, errlen);
    if (r == SCHED_FAILED) return -1;
    if (r == SCHED_DONE) become_ready(ch);
    return 0;
}

/* TrustedProxies as a list, loopback only when none is given. */
static int build_trusted(struct child *ch, char *err, size_t errlen)
{
    static char *loopback[] = {"127.0.0.0/8", "::1"};
    static const struct string_list dflt = {2, loopback};
    const struct string_list *given = &ch->s->trusted_proxies;
    return access_build("TrustedProxies", given->n ? given : &dflt,
                        &ch->trusted, err, errlen);
}

/* Events: listeners (not yet added; none in a dequeue process), channel,
 * heartbeat, signals. */
static int setup_events(struct child *ch, const struct child_start *st)
{
    static const int sigs[4] = {SIGUSR1, SIGUSR2, SIGTERM, SIGINT};
    ch->nlisteners = ch->dequeue ? 0 : st->nlisteners;
    ch->listeners = calloc((size_t)ch->nlisteners + 1, sizeof(*ch->listeners));
    if (!ch->listeners) return -1;
    for (int i = 0; i < ch->nlisteners; i++) {
        struct child_listener *l = &ch->listeners[i];
        l->ch = ch;
        l->port = st->listeners[i].port;
        l->tls = st->listeners[i].tls ? st->tls : NULL;
        l->ev = event_new(ch->base, st->listeners[i].fd, EV_READ | EV_PERSIST,
                          child_on_accept, l);
        if (!l->ev) return -1;
    }
    ch->channel_ev = event_new(ch->base, ch->channel_fd, EV_READ | EV_PERSIST,
                               on_channel, ch);
    ch->heartbeat_ev = event_new(ch->base, -1, EV_PERSIST, on_heartbeat, ch);
    ch->accept_retry_ev = evtimer_new(ch->base, child_on_accept_retry, ch);
    ch->grace_ev = evtimer_new(ch->base, on_grace, ch);
    if (!ch->channel_ev || !ch->heartbeat_ev || !ch->accept_retry_ev ||
        !ch->grace_ev)
        return -1;
    double beat = ch->s->server_heart_beat_time;
    struct timeval tv = {(time_t)beat,
                         (suseconds_t)((beat - (double)(time_t)beat) * 1e6)};
    event_add(ch->channel_ev, NULL);
    event_add(ch->heartbeat_ev, &tv);
    ch->beat_due = clock_now() + beat;
    sigset_t mask;
    sigemptyset(&mask);
    for (int i = 0; i < 4; i++) sigaddset(&mask, sigs[i]);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    ch->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (ch->signal_fd < 0) return -1;
    ch->signal_ev = event_new(ch->base, ch->signal_fd, EV_READ | EV_PERSIST,
                              on_signal, ch);
    if (!ch->signal_ev || event_add(ch->signal_ev, NULL) < 0) return -1;
    return 0;
}

static void teardown(struct child *ch)
{
    for (int i = 0; i < ch->nlisteners; i++)
        if (ch->listeners[i].ev) event_free(ch->listeners[i].ev);
    free(ch->listeners);
    if (ch->signal_ev) event_free(ch->signal_ev);
    if (ch->signal_fd > 0) close(ch->signal_fd);
    if (ch->channel_ev) event_free(ch->channel_ev);
    if (ch->heartbeat_ev) event_free(ch->heartbeat_ev);
    if (ch->accept_retry_ev) event_free(ch->accept_retry_ev);
    if (ch->grace_ev) event_free(ch->grace_ev);
    conn_set_free(ch->conns);
    host_close(ch->host);
    access_free(&ch->allow);
    access_free(&ch->deny);
    access_free(&ch->trusted);
    if (ch->base) event_base_free(ch->base);
}

/* Fill ch (zeroed first) from what the master handed over. */
static void init_child(struct child *ch, const struct child_start *st)
{
    memset(ch, 0, sizeof(*ch));
    ch->s = st->settings;
    ch->scoreboard = st->scoreboard;
    ch->slot_index = st->slot_index;
    ch->slot = st->slot_index >= 0 ? &st->scoreboard->slots[st->slot_index]
                                   : NULL;
    ch->channel_fd = st->channel_fd;
    ch->paused_by_master = st->paused;
    ch->dequeue = st->dequeue;
    ch->lifetime_limit = (unsigned long)pool_jitter(
        (double)ch->s->max_server_life_times, ch->s->recycle_jitter,
        st->jitter_draw);
}

/* Start the child (its script, its events, ChildStart) and serve until
 * it stops; returns its exit status. A start failure goes into err
 * (TINE_ERR_MAX bytes) and to the master. */
static int run_child(struct child *ch, const struct child_start *st, char *err)
{
    struct privs privs;
    size_t script_len;
    char *script_text = host_read_script(st->script, &script_len, err,
                                         TINE_ERR_MAX);
    if (!script_text) return fail_start(ch, err);
    if (privs_resolve(ch->s->user, ch->s->group, &privs, err,
                      TINE_ERR_MAX) < 0 ||
        privs_drop(&privs, err, TINE_ERR_MAX) < 0) {
        free(script_text);
        return fail_start(ch, err);
    }
    if (access_build("Allow", &ch->s->allow, &ch->allow, err, TINE_ERR_MAX) < 0 ||
        access_build("Deny", &ch->s->deny, &ch->deny, err, TINE_ERR_MAX) < 0 ||
        build_trusted(ch, err, TINE_ERR_MAX) < 0 ||
        !(ch->base = event_base_new())) {
        if (!ch->base && !err[0])
            snprintf(err, TINE_ERR_MAX, "event_base_new() failed: %s",
                     strerror(errno));
        free(script_text);
        return fail_start(ch, err);
    }
    struct host_env env = {ch, ch->base, ch->s, ch->slot, st->master_pid,
                           st->generation, st->slot_index, script_text,
                           script_len, st->zones};
    ch->host = host_open(st->script, &env, err, TINE_ERR_MAX);
    free(script_text);
    if (ch->host)
        ch->conns = conn_set_new(ch->base, ch->host, ch->s,
                                 child_on_conns_changed, ch);
    if (ch->conns) {
        ch->conns->allow = &ch->allow;
        ch->conns->deny = &ch->deny;
    }
    if (!ch->host) {
        ch->exit_code = fail_start(ch, err);
    } else if (!ch->conns || setup_events(ch, st) < 0) {
        snprintf(err, TINE_ERR_MAX, "cannot set up the event loop: %s",
                 strerror(errno));
        ch->exit_code = fail_start(ch, err);
    } else if (start_script(ch, err, TINE_ERR_MAX) < 0) {
        ch->exit_code = fail_start(ch, err);
    }
    if (ch->exit_code == 0 && !ch->finished) event_base_dispatch(ch->base);
    return ch->exit_code;
}

int child_main(const struct child_start *st)
{
    struct child ch;
    init_child(&ch, st);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != st->master_pid) return CHILD_EXIT_ORPHANED;
    /* The start's error text, in a mapping of its own: no memory unless an
     * error is written. On this stack it would put the script's loading
     * and every frame under it 4 KiB deeper: a page more in every child. */
    char *err = mmap(NULL, TINE_ERR_MAX, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (err == MAP_FAILED) {
        log_error("cannot map the start's error text: %s", strerror(errno));
        return 1;
    }
    int code = run_child(&ch, st, err);
    teardown(&ch);
    munmap(err, TINE_ERR_MAX);
    return code;
}
