/* master.c: the master's loop. It binds once, starts the pool, and turns
 * signals into actions: reload, resize, pause, shutdown. The process
 * table, the pool's tick and reloads live in master_proc.c, master_pool.c
 * and master_reload.c. It never runs Lua while serving and never touches
 * a client. */
#include "master.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "access_log.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "master_int.h"
#include "pidfile.h"
#include "rseq.h"
#include "tine_err.h"

#define MIN_SCOREBOARD_SLOTS 256

static const int handled_signals[9] = {SIGCHLD, SIGTERM, SIGINT, SIGQUIT,
                                       SIGHUP, SIGTTIN, SIGTTOU, SIGUSR1,
                                       SIGUSR2};

/* GraceExpireTime (and the slack) after a graceful shutdown began: kill
 * whatever is still running. */
static void on_grace_expired(evutil_socket_t fd, short what, void *arg)
{
    struct master *m = arg;
    (void)fd;
    (void)what;
    FOR_EACH_CHILD(m, r) {
        if (r->killed) continue;
        log_warn("%s %d killed: still running %.1f s after shutdown "
                 "began (GraceExpireTime)", proc_kind_name(r->proc.kind),
                 (int)r->proc.pid,
                 m->s.grace_expire_time + POOL_GRACE_SLACK);
        master_kill_child(r, KILLED_GRACE);
    }
}

void master_begin_shutdown(struct master *m, int graceful, const char *why)
{
    log_info("%s: shutting down %s", why, graceful ? "gracefully" : "now");
    notify_send(&m->notify, "STOPPING=1");
    m->shutting_down = 1;
    FOR_EACH_CHILD(m, r) {
        if (graceful) master_stop_child(r, "shutdown");
        else master_kill_child(r, KILLED_SHUTDOWN);
    }
    if (graceful) {
        struct timeval tv = clock_timeval(m->s.grace_expire_time +
                                          POOL_GRACE_SLACK);
        evtimer_add(m->grace_ev, &tv);
    }
    if (!m->children) event_base_loopbreak(m->base);
}

/* USR1 / USR2: pause or resume accepting in every child. */
static void set_paused(struct master *m, int paused)
{
    m->paused = paused;
    log_info("%s: %s accepting in every child", paused ? "USR1" : "USR2",
             paused ? "pausing" : "resuming");
    master_broadcast(m, paused ? MSG_PAUSE : MSG_RESUME);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct master *m = arg;
    (void)what;
    switch (sig) {
    case SIGCHLD: master_reap(m); break;
    case SIGTERM:
    case SIGINT:  /* a second TERM or INT means now */
        master_begin_shutdown(m, !m->shutting_down,
                              sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    case SIGQUIT: master_begin_shutdown(m, 0, "SIGQUIT"); break;
    case SIGHUP: master_reload(m); break;
    case SIGTTIN: master_resize(m, 1); break;
    case SIGTTOU: master_resize(m, -1); break;
    case SIGUSR1:
    case SIGUSR2: set_paused(m, sig == SIGUSR1); break;
    }
}

/* Raise the soft descriptor limit to the hard one: children hold many
 * connections. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Bind (or take over) the listeners and log them. */
static int open_listeners(struct master *m)
{
    char err[TINE_ERR_MAX];
    int inherited;
    if (listen_open_all(&m->s, &m->listeners, &m->nlisteners, &inherited,
                        err, sizeof(err)) < 0) {
        log_error("%s", err);
        return -1;
    }
    if (inherited)
        log_info("using %d socket(s) from the service manager; Port, "
                 "Address and Listen are not bound", m->nlisteners);
    for (int i = 0; i < m->nlisteners; i++)
        log_info("listening on %s", m->listeners[i].name);
    return 0;
}

/* The loop's events: signals, the pool's tick, respawn, grace and dequeue
 * timers.
 * 0, or -1 with err naming the call that failed. */
static int setup_events(struct master *m, char *err, size_t errlen)
{
    m->base = event_base_new();
    if (!m->base) {
        snprintf(err, errlen, "event_base_new() failed: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < 9; i++) {
        m->signal_evs[i] = evsignal_new(m->base, handled_signals[i],
                                        on_signal, m);
        if (!m->signal_evs[i] || event_add(m->signal_evs[i], NULL) < 0) {
            snprintf(err, errlen, "evsignal_new() failed for signal %d: %s",
                     handled_signals[i], strerror(errno));
            return -1;
        }
    }
    m->tick_ev = event_new(m->base, -1, EV_PERSIST, master_on_tick, m);
    m->respawn_ev = evtimer_new(m->base, master_on_respawn, m);
    m->grace_ev = evtimer_new(m->base, on_grace_expired, m);
    struct timeval tv = clock_timeval(m->s.master_heart_beat_time);
    if (!m->tick_ev || !m->respawn_ev || !m->grace_ev ||
        event_add(m->tick_ev, &tv) < 0 || master_dequeue_init(m) < 0) {
        snprintf(err, errlen, "event_new() failed for the master's timers: "
                 "%s", strerror(errno));
        return -1;
    }
    return 0;
}

static void teardown(struct master *m)
{
    for (int i = 0; i < 9; i++)
        if (m->signal_evs[i]) event_free(m->signal_evs[i]);
    if (m->tick_ev) event_free(m->tick_ev);
    if (m->respawn_ev) event_free(m->respawn_ev);
    if (m->grace_ev) event_free(m->grace_ev);
    master_dequeue_free(m);
    settings_reader_cancel(&m->reader);
    master_tls_close(m);
    while (m->children) master_remove_child(m, rec_of(m->children));
    master_status_close(m);
    if (m->base) event_base_free(m->base);
    listen_close_all(m->listeners, m->nlisteners, 1);
    free(m->listeners);
    if (m->s.pid_file) pidfile_release(m->s.pid_file, m->pid_fd);
    settings_free(&m->s);
    if (m->reload_pending) settings_free(&m->pending);
    shdict_zones_free(&m->zones);
    notify_close(&m->notify);
}

/* Room in the scoreboard for every child MaxServer can ever allow (TTIN
 * and reloads raise it): pages are touched only as slots are used. */
static int open_scoreboard(struct master *m)
{
    long slots = settings_max_server_limit() * 2;
    if (slots < MIN_SCOREBOARD_SLOTS) slots = MIN_SCOREBOARD_SLOTS;
    if (scoreboard_open(&m->sb, (int)slots) < 0) {
        log_error("mmap() failed for the scoreboard: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Take the PidFile; -1 (logged) if another master holds it. */
static int take_pid_file(struct master *m)
{
    char err[TINE_ERR_MAX];
    if (!m->s.pid_file) return 0;
    m->pid_fd = pidfile_take(m->s.pid_file, err, sizeof(err));
    if (m->pid_fd >= 0) return 0;
    log_error("%s", err);
    daemon_report(&m->daemon_fd, err);
    free(m->s.pid_file);  /* not ours: do not remove it at exit */
    m->s.pid_file = NULL;
    return -1;
}

/* Start the pool: the loop's events, the PidFile (only once signals are
 * handled, so a HUP or TERM sent as soon as the file names us is never
 * fatal), StartServer children, then the loop. */
static int serve(struct master *m)
{
    char err[TINE_ERR_MAX];
    if (open_scoreboard(m) < 0) return 1;
    if (setup_events(m, err, sizeof(err)) < 0) {
        log_error("cannot set up the master's event loop: %s", err);
        return 1;
    }
    if (take_pid_file(m) < 0) return 1;
    if (shdict_zones_ensure(&m->zones, &m->s.shared_dict, err,
                            sizeof(err)) < 0) {
        log_error("%s", err);
        daemon_report(&m->daemon_fd, err);
        return 1;
    }
    m->counts.started_at = clock_now();
    if (master_status_open(m, err, sizeof(err)) < 0) {
        log_error("%s", err);
        daemon_report(&m->daemon_fd, err);
        return 1;
    }
    log_info("tine master %d serving %s with %ld children", (int)getpid(),
             m->script, m->s.start_server);
    for (long i = 0; i < m->s.start_server; i++)
        master_spawn(m, &m->s, m->generation);
    if (!m->children) return 1;
    event_base_dispatch(m->base);
    log_info("tine master %d exits with status %d", (int)getpid(),
             m->exit_code);
    return m->exit_code;
}

/* Detach into the background if asked; -1 if that failed. The
 * foreground process waits for the daemon's report (daemon.h). */
static int detach(struct master *m)
{
    if (!m->s.daemonize) return 0;
    m->daemon_fd = daemon_start();
    if (m->daemon_fd >= 0) return 0;
    log_error("cannot fork the daemon: %s", strerror(errno));
    return -1;
}

/* Read the TLS certificate and key, if a listener speaks TLS; -1 (said
 * on standard error) if they cannot be used. */
static int open_tls(struct master *m)
{
    char err[TINE_ERR_MAX];
    if (master_tls_open(m, err, sizeof(err)) == 0) return 0;
    log_error("%s", err);
    if (m->s.log_file) fprintf(stderr, "tine: %s\n", err);
    return -1;
}

/* Open LogFile and AccessLog if set; -1 (said on standard error) if one
 * cannot be opened. */
static int open_logs(const struct settings *s)
{
    if (s->log_file && log_open(s->log_file) < 0) {
        fprintf(stderr, "tine: LogFile: cannot open %s: %s\n", s->log_file,
                strerror(errno));
        return -1;
    }
    if (s->access_log && access_log_open(s->access_log) < 0) {
        fprintf(stderr, "tine: AccessLog: cannot open %s: %s\n",
                s->access_log, strerror(errno));
        return -1;
    }
    return 0;
}

int master_run(struct settings *s, const char *script, const struct cli *cli)
{
    struct master m;
    int rc = 1;
    memset(&m, 0, sizeof(m));
    m.s = *s;
    m.script = script;
    m.cli = cli;
    m.pid_fd = -1;
    m.daemon_fd = -1;
    settings_reader_init(&m.reader);
    notify_open(&m.notify);
    log_set_level(m.s.log_level);
    if (open_logs(&m.s) < 0) {
        settings_free(&m.s);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (rseq_unregister() < 0)  /* costs each child 4 KiB, nothing more */
        log_debug("cannot unregister the rseq area: %s", strerror(errno));
    srandom((unsigned)getpid() ^ (unsigned)clock_now());
    raise_fd_limit();
    if (open_listeners(&m) == 0 && open_tls(&m) == 0 && detach(&m) == 0)
        rc = serve(&m);
    if (m.daemon_fd >= 0) {
        char why[64];
        snprintf(why, sizeof(why), "the master exited with status %d "
                 "before its children were ready", rc);
        daemon_report(&m.daemon_fd, why);
    }
    teardown(&m);
    return rc;
}
