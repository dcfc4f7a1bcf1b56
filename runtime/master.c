/* master.c: the pool. The master binds once, forks children, and watches
 * them through their channels (messages), their scoreboard slots (counts,
 * current callback) and SIGCHLD (exits). It never runs Lua while serving
 * and never touches a client. */
#include "master.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "child.h"
#include "clock.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "lua_host.h"
#include "notify.h"
#include "pool.h"
#include "scoreboard.h"

#define MIN_SCOREBOARD_SLOTS 256
#define MESSAGES_PER_WAKEUP 64

/* One child, as the master knows it. */
struct child_rec {
    pid_t pid;
    int fd;                   /* master's end of the channel */
    struct event *ev;
    int slot;                 /* scoreboard index, or -1 */
    long generation;
    double started, last_seen, stop_sent;
    int ready;                /* sent READY */
    enum kill_reason killed;  /* why SIGKILL was sent, if it was */
    int canary;               /* first child of a reload still pending */
    double jitter_draw;       /* in [0, 1): spreads its recycling */
    int recycle_wanted;       /* to be stopped once its replacement is up */
    pid_t replaces;           /* the child this one replaces, if any */
    pid_t replaced_by;        /* its replacement, while that starts */
    char error[CHANNEL_TEXT_MAX + 1];  /* from MSG_FAILED */
    struct master *master;
    struct child_rec *next;
};

struct master {
    struct settings s;
    const char *script;
    const struct cli *cli;
    struct event_base *base;
    struct listener *listeners;
    int nlisteners;
    struct scoreboard sb;
    struct child_rec *children;
    struct event *tick_ev, *respawn_ev, *grace_ev;
    struct event *signal_evs[9];
    int shutting_down;
    int exit_code;
    int started;             /* some child has been READY */
    int failures;            /* start failures in a row */
    double spawn_not_before; /* back-off after start failures */
    int paused;              /* USR1 */
    long generation;         /* reloads done */
    struct settings pending; /* a reload's settings, until its canary is up */
    int reload_pending;
    unsigned long exits[EXIT_KIND_COUNT];  /* children ended, by kind */
    struct notifier notify;  /* the service manager, if any */
    char last_error[CHANNEL_TEXT_MAX + 80];
};

static void pool_run(struct master *m);

static struct child_rec *find_child(struct master *m, pid_t pid)
{
    for (struct child_rec *r = m->children; r; r = r->next)
        if (r->pid == pid) return r;
    return NULL;
}

static struct scoreboard_slot *slot_of(struct master *m, struct child_rec *r)
{
    return r->slot >= 0 ? &m->sb.slots[r->slot] : NULL;
}

static long conns_of(struct master *m, struct child_rec *r)
{
    struct scoreboard_slot *slot = slot_of(m, r);
    return slot ? (long)slot->conns : 0;
}

/* Tell a child to stop gracefully; a signal if the channel fails. */
static void stop_child(struct child_rec *r, const char *why)
{
    if (r->stop_sent > 0 || r->killed) return;
    r->stop_sent = clock_now();
    log_debug("stopping child %d: %s", (int)r->pid, why);
    if (channel_send_type(r->fd, MSG_STOP) < 0) kill(r->pid, SIGTERM);
}

static void kill_child(struct child_rec *r, enum kill_reason why)
{
    if (r->killed) return;
    r->killed = why;
    kill(r->pid, SIGKILL);
}

/* ---- child processes ------------------------------------------------ */

/* Close every descriptor but the ones in keep[]: other children's
 * channels, the master's event base and the like. */
static void close_other_fds(const int *keep, int nkeep)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return;
    int fds[4096], n = 0, self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096) {
        int fd = atoi(e->d_name);
        if (fd <= 2 || fd == self) continue;
        int kept = 0;
        for (int i = 0; i < nkeep; i++) kept |= keep[i] == fd;
        if (!kept) fds[n++] = fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++) close(fds[i]);
}

/* In the new child: defaults for every signal, then run it. */
static void become_child(struct master *m, const struct settings *s,
                         long generation, int fd, struct child_rec *r)
{
    int keep[64 + 2], nkeep = 0;
    sigset_t none;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    log_forget_flood();
    keep[nkeep++] = fd;
    keep[nkeep++] = log_fd();
    for (int i = 0; i < m->nlisteners && nkeep < 66; i++)
        keep[nkeep++] = m->listeners[i].fd;
    close_other_fds(keep, nkeep);
    struct child_start st = {s, m->script, m->listeners, m->nlisteners, fd,
                             &m->sb, r->slot, getppid(), generation,
                             m->paused, r->jitter_draw};
    _exit(child_main(&st));
}

static void on_channel(evutil_socket_t fd, short what, void *arg);

/* Fork one child running settings s as generation `generation`. NULL
 * (and a log line) if it could not be started. */
static struct child_rec *spawn_with(struct master *m, const struct settings *s,
                                    long generation)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) < 0) {
        log_error("socketpair() failed while spawning a child: %s",
                  strerror(errno));
        return NULL;
    }
    struct child_rec *r = calloc(1, sizeof(*r));
    if (!r) abort();
    r->slot = scoreboard_claim(&m->sb, -1);
    r->jitter_draw = (double)random() / ((double)RAND_MAX + 1);
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);  /* no handler runs in the child */
    pid_t pid = fork();
    if (pid == 0) become_child(m, s, generation, sv[1], r);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(sv[1]);
    if (pid < 0) {
        log_error("fork() failed while spawning a child: %s", strerror(errno));
        close(sv[0]);
        scoreboard_release(&m->sb, r->slot);
        free(r);
        m->failures++;
        m->spawn_not_before = clock_now() + pool_backoff(m->failures);
        return NULL;
    }
    if (r->slot >= 0) m->sb.slots[r->slot].pid = pid;
    r->pid = pid;
    r->master = m;
    r->fd = sv[0];
    r->generation = generation;
    r->started = r->last_seen = clock_now();
    r->ev = event_new(m->base, r->fd, EV_READ | EV_PERSIST, on_channel, r);
    event_add(r->ev, NULL);
    r->next = m->children;
    m->children = r;
    log_debug("child %d forked (generation %ld)", (int)pid, generation);
    return r;
}

/* Fork one child of the current generation. */
static struct child_rec *spawn(struct master *m)
{
    return spawn_with(m, &m->s, m->generation);
}

static void remove_child(struct master *m, struct child_rec *r)
{
    for (struct child_rec **p = &m->children; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            break;
        }
    }
    event_free(r->ev);
    close(r->fd);
    scoreboard_release(&m->sb, r->slot);
    free(r);
}

/* ---- shutdown ------------------------------------------------------- */

static void on_grace_expired(evutil_socket_t fd, short what, void *arg)
{
    struct master *m = arg;
    (void)fd;
    (void)what;
    for (struct child_rec *r = m->children; r; r = r->next) {
        if (r->killed) continue;
        log_warn("child %d killed: still running %.1f s after shutdown "
                 "began (GraceExpireTime)", (int)r->pid,
                 m->s.grace_expire_time);
        kill_child(r, KILLED_GRACE);
    }
}

/* Stop the server: gracefully (children drain, GraceExpireTime bounds it)
 * or now (children killed). */
static void begin_shutdown(struct master *m, int graceful, const char *why)
{
    log_info("%s: shutting down %s", why, graceful ? "gracefully" : "now");
    notify_send(&m->notify, "STOPPING=1");
    m->shutting_down = 1;
    for (struct child_rec *r = m->children; r; r = r->next) {
        if (graceful) stop_child(r, "shutdown");
        else kill_child(r, KILLED_SHUTDOWN);
    }
    if (graceful) {
        struct timeval tv = clock_timeval(m->s.grace_expire_time);
        evtimer_add(m->grace_ev, &tv);
    }
    if (!m->children) event_base_loopbreak(m->base);
}

/* ---- messages from children ----------------------------------------- */

static void commit_reload(struct master *m, struct child_rec *canary);

/* A new child is up: a reload's canary commits its generation; a
 * replacement stops the child it replaces. */
static void child_ready(struct master *m, struct child_rec *r)
{
    r->ready = 1;
    if (!m->started) notify_send(&m->notify, "READY=1");
    m->started = 1;
    log_debug("child %d ready", (int)r->pid);
    if (m->shutting_down) stop_child(r, "shutdown");
    if (r->canary) commit_reload(m, r);
    struct child_rec *old = r->replaces ? find_child(m, r->replaces) : NULL;
    if (old) stop_child(old, "replaced");
}

static void handle_message(struct master *m, struct child_rec *r,
                           const struct channel_msg *msg)
{
    r->last_seen = clock_now();
    switch (msg->type) {
    case MSG_READY: child_ready(m, r); break;
    case MSG_HEARTBEAT:
        log_debug("child %d: %u connection(s), %llu accepted, Lua %u KiB",
                  (int)r->pid, msg->conns,
                  (unsigned long long)msg->accepted, msg->lua_kb);
        break;
    case MSG_SHUTDOWN_SERVER:
        if (!m->shutting_down)
            begin_shutdown(m, 1, "tine.shutdown() called by a child");
        break;
    case MSG_RECYCLE_ME:
        log_info("child %d asked to be recycled", (int)r->pid);
        r->recycle_wanted = 1;
        pool_run(m);
        break;
    case MSG_FAILED:
        snprintf(r->error, sizeof(r->error), "%s", msg->text);
        break;
    default:
        log_warn("child %d sent %s, which only the master sends: killed",
                 (int)r->pid, channel_type_name(msg->type));
        kill_child(r, KILLED_PROTOCOL);
    }
}

static void on_channel(evutil_socket_t fd, short what, void *arg)
{
    struct child_rec *r = arg;
    struct master *m = r->master;
    struct channel_msg msg;
    (void)what;
    for (int i = 0; i < MESSAGES_PER_WAKEUP; i++) {
        int got = channel_recv(fd, &msg);
        if (got == 0) return;
        if (got == -1) {  /* the child is gone; SIGCHLD will tell why */
            event_del(r->ev);
            return;
        }
        if (got == -2) {
            log_warn("child %d sent a malformed message: killed",
                     (int)r->pid);
            event_del(r->ev);
            kill_child(r, KILLED_PROTOCOL);
            return;
        }
        handle_message(m, r, &msg);
    }
}

/* ---- exits ---------------------------------------------------------- */

/* Put what ended child r, of kind `kind`, into buf for the log. */
static void describe_exit(struct child_rec *r, enum exit_kind kind,
                          int status, char *buf, size_t len)
{
    switch (kind) {
    case EXIT_START_FAILED:
        snprintf(buf, len, "could not start: %s",
                 r->error[0] ? r->error : "no reason given");
        break;
    case EXIT_CRASHED:
        snprintf(buf, len, "crashed: signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
        break;
    case EXIT_FAILED:
        if (r->killed == KILLED_PROTOCOL)
            snprintf(buf, len, "was killed for breaking the channel protocol");
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            snprintf(buf, len, "exited on its own");
        else
            snprintf(buf, len, "exited with status %d",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        break;
    case EXIT_KILLED_SILENT: snprintf(buf, len, "was killed for silence"); break;
    case EXIT_KILLED_GRACE: snprintf(buf, len, "was killed after grace"); break;
    default: snprintf(buf, len, "exited"); break;
    }
}

static void abandon_reload(struct master *m, const char *why)
{
    log_error("reload abandoned: the new generation's first child %s; "
              "generation %ld keeps serving", why, m->generation);
    settings_free(&m->pending);
    m->reload_pending = 0;
    notify_send(&m->notify, "READY=1");
}

/* Log how a child ended and count it. Failures in a row (a failed start,
 * a crash, an unasked exit, a kill for silence) push the next fork back,
 * 0.1 s doubling up to 10 s; a child that had lived POOL_STABLE_SECONDS
 * starts the count afresh. */
static void note_exit(struct master *m, struct child_rec *r, int status)
{
    char why[CHANNEL_TEXT_MAX + 80];
    double now = clock_now(), lived = now - r->started;
    enum exit_kind kind = pool_classify_exit(status, r->killed,
                                             r->stop_sent > 0);
    m->exits[kind]++;
    describe_exit(r, kind, status, why, sizeof(why));
    if (!pool_exit_is_failure(kind) || m->shutting_down) {
        log_debug("child %d %s after %.1f s", (int)r->pid, why, lived);
        return;
    }
    if (r->canary) {
        abandon_reload(m, why);
        return;
    }
    if (lived >= POOL_STABLE_SECONDS) m->failures = 0;
    m->failures++;
    double wait = pool_respawn_delay(kind, m->failures);
    m->spawn_not_before = now + wait;
    snprintf(m->last_error, sizeof(m->last_error), "%s",
             kind == EXIT_START_FAILED && r->error[0] ? r->error : why);
    if (!m->started)
        log_error("child %d %s", (int)r->pid, why);
    else
        log_error("child %d %s after %.1f s; %d failure(s) in a row: "
                  "forking again in %.1f s", (int)r->pid, why, lived,
                  m->failures, wait);
}

/* The replacement of a recycling child died: let a new one be forked. */
static void forget_replacement(struct master *m, struct child_rec *r)
{
    struct child_rec *old = r->replaces ? find_child(m, r->replaces) : NULL;
    if (old && old->replaced_by == r->pid) old->replaced_by = 0;
}

static void reap(struct master *m)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct child_rec *r = find_child(m, pid);
        if (!r) continue;
        note_exit(m, r, status);
        forget_replacement(m, r);
        remove_child(m, r);
    }
    if (!m->started && !m->shutting_down && !m->children) {
        log_error("no child could start: %s", m->last_error);
        if (m->s.log_file)
            fprintf(stderr, "tine: no child could start: %s\n",
                    m->last_error);
        m->exit_code = 1;
        m->shutting_down = 1;
    }
    if (m->shutting_down) {
        if (!m->children) event_base_loopbreak(m->base);
        return;
    }
    pool_run(m);
}

/* ---- the pool ------------------------------------------------------- */

/* Does r count toward the pool (not on its way out)? */
static int counts(const struct child_rec *r)
{
    return r->stop_sent == 0 && !r->killed && !r->recycle_wanted;
}

static struct pool_counts count_children(struct master *m)
{
    struct pool_counts c = {0, 0};
    for (struct child_rec *r = m->children; r; r = r->next) {
        if (!counts(r)) continue;
        c.total++;
        if (!r->ready || conns_of(m, r) == 0) c.idle++;
    }
    return c;
}

/* The child to stop when there are too many: the youngest idle ready one,
 * else the one with the fewest connections. */
static struct child_rec *pick_excess(struct master *m)
{
    struct child_rec *best = NULL;
    for (struct child_rec *r = m->children; r; r = r->next) {
        if (!counts(r) || !r->ready) continue;
        if (!best) { best = r; continue; }
        long a = conns_of(m, r), b = conns_of(m, best);
        if (a < b || (a == b && r->started > best->started)) best = r;
    }
    return best;
}

static void schedule_respawn(struct master *m, double delay)
{
    if (evtimer_pending(m->respawn_ev, NULL)) return;
    struct timeval tv = clock_timeval(delay > 0 ? delay : 0);
    evtimer_add(m->respawn_ev, &tv);
}

static void on_respawn(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pool_run(arg);
}

/* Fork replacements for children waiting to be recycled, then apply the
 * pool rules. Forks wait out the back-off after start failures. */
static void pool_run(struct master *m)
{
    if (m->shutting_down || !m->started) return;
    double now = clock_now();
    int may_fork = now >= m->spawn_not_before;
    for (struct child_rec *r = m->children; r; r = r->next) {
        if (!r->recycle_wanted || r->stop_sent > 0 || r->killed ||
            r->replaced_by)
            continue;
        if (!may_fork) break;
        struct child_rec *fresh = spawn(m);
        if (!fresh) break;
        fresh->replaces = r->pid;
        r->replaced_by = fresh->pid;
    }
    struct pool_counts c = count_children(m);
    struct pool_decision d = pool_decide(&c, &m->s);
    for (long i = 0; i < d.stop; i++) {
        struct child_rec *victim = pick_excess(m);
        if (!victim) break;
        stop_child(victim, "excess");
    }
    if (d.fork > 0 && !may_fork) {
        schedule_respawn(m, m->spawn_not_before - now);
        return;
    }
    for (long i = 0; i < d.fork; i++)
        if (!spawn(m)) break;
    if (now < m->spawn_not_before) schedule_respawn(m, m->spawn_not_before - now);
}

/* Resident memory of process pid in MiB, from /proc; 0 if unknown. */
static double rss_mib(pid_t pid)
{
    char path[64];
    unsigned long size = 0, resident = 0;
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int got = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (got != 2) return 0;
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

/* Say what a silent child was doing, from its scoreboard slot. */
static void describe_hang(struct master *m, struct child_rec *r, double now,
                          char *buf, size_t len)
{
    struct scoreboard_slot *slot = slot_of(m, r);
    if (!slot || slot->callback == CB_NONE)
        snprintf(buf, len, "not in a script callback");
    else
        snprintf(buf, len, "in %s since %.2f s",
                 host_callback_name(slot->callback),
                 now - slot->callback_since);
}

/* STATUS= for the service manager: the pool at a glance. */
static void report_status(struct master *m)
{
    char status[256];
    long children = 0, idle = 0, conns = 0;
    for (struct child_rec *r = m->children; r; r = r->next) {
        if (r->killed) continue;
        children++;
        idle += conns_of(m, r) == 0;
        conns += conns_of(m, r);
    }
    snprintf(status, sizeof(status),
             "generation %ld: %ld children, %ld idle, %ld connections%s",
             m->generation, children, idle, conns,
             m->paused ? ", paused" : "");
    notify_status(&m->notify, status);
}

/* Each master heartbeat: kill the silent and the overdue, mark the old
 * and the long idle for recycling, then apply the pool rules. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct master *m = arg;
    double now = clock_now();
    char where[160];
    (void)fd;
    (void)what;
    for (struct child_rec *r = m->children; r; r = r->next) {
        if (r->killed) continue;
        struct scoreboard_slot *slot = slot_of(m, r);
        struct pool_child pc = {r->started, r->last_seen, r->stop_sent,
                                slot ? slot->idle_since : 0, r->ready,
                                m->s.max_server_memory > 0 ? rss_mib(r->pid)
                                                           : 0,
                                r->jitter_draw};
        switch (pool_judge(&pc, now, &m->s)) {
        case VERDICT_KILL_SILENT:
            describe_hang(m, r, now, where, sizeof(where));
            log_error("child %d killed: no heartbeat for %.1f s, %s",
                      (int)r->pid, now - r->last_seen, where);
            kill_child(r, KILLED_SILENT);
            break;
        case VERDICT_KILL_GRACE:
            log_warn("child %d killed: still running %.1f s after it was "
                     "told to stop (GraceExpireTime)", (int)r->pid,
                     now - r->stop_sent);
            kill_child(r, KILLED_GRACE);
            break;
        case VERDICT_RECYCLE_LIFETIME:
            if (!r->recycle_wanted)
                log_info("child %d is recycled: older than "
                         "MaxServerLifeTime (%g s)", (int)r->pid,
                         m->s.max_server_life_time);
            r->recycle_wanted = 1;
            break;
        case VERDICT_RECYCLE_SPARETIME:
            if (!r->recycle_wanted)
                log_info("child %d is recycled: idle for "
                         "MaxServerSpareTime (%g s)", (int)r->pid,
                         m->s.max_server_spare_time);
            r->recycle_wanted = 1;
            break;
        case VERDICT_RECYCLE_MEMORY:
            if (!r->recycle_wanted)
                log_info("child %d is recycled: %.0f MiB resident, over "
                         "MaxServerMemory (%ld MiB)", (int)r->pid, pc.rss_mib,
                         m->s.max_server_memory);
            r->recycle_wanted = 1;
            break;
        case VERDICT_KEEP: break;
        }
    }
    pool_run(m);
    report_status(m);
}

/* ---- signals -------------------------------------------------------- */

/* Send type to every child; one still starting reads it once ready. */
static void broadcast(struct master *m, enum channel_type type)
{
    for (struct child_rec *r = m->children; r; r = r->next)
        channel_send_type(r->fd, type);
}

/* Did the reload change what is bound? */
static int listeners_differ(const struct settings *a, const struct settings *b)
{
    if (a->port != b->port || strcmp(a->address, b->address) != 0 ||
        a->listen.n != b->listen.n)
        return 1;
    for (int i = 0; i < a->listen.n; i++)
        if (strcmp(a->listen.items[i], b->listen.items[i]) != 0) return 1;
    return 0;
}

/* Keep a's listener settings in b. */
static void keep_listeners(const struct settings *a, struct settings *b)
{
    settings_keep_fixed(b, a);  /* the rows marked restart */
}

/* Make settings that changed take effect in the master itself. */
static void apply_settings(struct master *m)
{
    log_set_level(m->s.log_level);
    if (log_open(m->s.log_file) < 0)
        log_error("LogFile: cannot open %s: %s", m->s.log_file,
                  strerror(errno));
    struct timeval tick = clock_timeval(m->s.master_heart_beat_time);
    event_add(m->tick_ev, &tick);
}

/* The canary of a reload is ready: its generation and settings become
 * the pool's, and every older child is replaced, each stopping once its
 * replacement is ready. */
static void commit_reload(struct master *m, struct child_rec *canary)
{
    canary->canary = 0;
    settings_free(&m->s);
    m->s = m->pending;
    memset(&m->pending, 0, sizeof(m->pending));
    m->reload_pending = 0;
    m->generation = canary->generation;
    apply_settings(m);
    for (struct child_rec *r = m->children; r; r = r->next)
        if (r->generation < m->generation && r->stop_sent == 0 && !r->killed)
            r->recycle_wanted = 1;
    log_info("reload: generation %ld is up; replacing the older children",
             m->generation);
    notify_send(&m->notify, "READY=1");
}

/* Forget a reload's canary that a newer reload supersedes. */
static void drop_canary(struct master *m)
{
    for (struct child_rec *r = m->children; r; r = r->next) {
        if (!r->canary) continue;
        r->canary = 0;
        r->replaces = 0;
        stop_child(r, "superseded by a newer reload");
    }
    settings_free(&m->pending);
    m->reload_pending = 0;
}

/* HUP: read the script again. If it fails, log it: the running children
 * keep serving. If it loads, fork one child of the new generation (the
 * canary) in place of one old child; only once it is ready are the rest
 * replaced. If it fails to start, the reload is abandoned. */
static void reload(struct master *m)
{
    struct settings fresh;
    char err[2048];
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    notify_send(&m->notify, "RELOADING=1\nMONOTONIC_USEC=%llu",
                (unsigned long long)now.tv_sec * 1000000ULL +
                    (unsigned long long)now.tv_nsec / 1000ULL);
    if (config_load(m->script, m->cli, &fresh, err, sizeof(err)) != 0) {
        log_error("reload failed, the running children keep serving: %s",
                  err);
        notify_send(&m->notify, "READY=1");
        return;
    }
    if (listeners_differ(&m->s, &fresh)) {
        log_warn("reload: Port, Address and Listen changes need a restart; "
                 "the listeners stay as they are");
        keep_listeners(&m->s, &fresh);
    }
    if (m->reload_pending) drop_canary(m);
    m->pending = fresh;
    m->reload_pending = 1;
    struct child_rec *old = pick_excess(m);
    struct child_rec *canary = spawn_with(m, &m->pending, m->generation + 1);
    if (!canary) {
        abandon_reload(m, "could not be forked");
        return;
    }
    canary->canary = 1;
    if (old) {
        canary->replaces = old->pid;
        old->replaced_by = canary->pid;
    }
    log_info("reload: %s loaded; generation %ld's first child %d is "
             "starting", m->script, canary->generation, (int)canary->pid);
}

/* TTIN / TTOU: one child more or fewer, moving MinServer and MaxServer. */
static void resize(struct master *m, int delta)
{
    if (settings_resize(&m->s, delta) < 0) {
        log_warn("TTOU ignored: MaxServer is already 1");
        return;
    }
    log_info("%s: MinServer %ld, MaxServer %ld", delta > 0 ? "TTIN" : "TTOU",
             m->s.min_server, m->s.max_server);
    if (delta > 0 && count_children(m).total < m->s.max_server) {
        spawn(m);
    } else if (delta < 0) {
        struct child_rec *victim = pick_excess(m);
        if (victim) stop_child(victim, "TTOU");
    }
    pool_run(m);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct master *m = arg;
    (void)what;
    switch (sig) {
    case SIGCHLD: reap(m); break;
    case SIGTERM:
    case SIGINT:
        /* A second TERM or INT means now. */
        begin_shutdown(m, !m->shutting_down,
                       sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    case SIGQUIT: begin_shutdown(m, 0, "SIGQUIT"); break;
    case SIGHUP: reload(m); break;
    case SIGTTIN: resize(m, 1); break;
    case SIGTTOU: resize(m, -1); break;
    case SIGUSR1:
    case SIGUSR2:
        m->paused = sig == SIGUSR1;
        log_info("%s: %s accepting in every child", sig == SIGUSR1 ? "USR1"
                 : "USR2", m->paused ? "pausing" : "resuming");
        broadcast(m, m->paused ? MSG_PAUSE : MSG_RESUME);
        break;
    }
}

/* ---- start and end -------------------------------------------------- */

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

/* Take the service manager's sockets if it handed any over, else bind
 * what the settings ask for. */
static int open_listeners(struct master *m)
{
    struct listen_spec *specs;
    char err[512];
    int n;
    if (listen_inherit(&m->listeners, &m->nlisteners, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return -1;
    }
    if (m->nlisteners > 0) {
        log_info("using %d socket(s) from the service manager; Port, "
                 "Address and Listen are not bound", m->nlisteners);
        for (int i = 0; i < m->nlisteners; i++)
            log_info("listening on %s", m->listeners[i].name);
        return 0;
    }
    if (listen_specs(&m->s, &specs, &n, err, sizeof(err)) < 0) {
        log_error("%s", err);
        free(specs);
        return -1;
    }
    m->listeners = calloc((size_t)n, sizeof(*m->listeners));
    if (!m->listeners) abort();
    for (int i = 0; i < n; i++) {
        if (listen_open(&specs[i], &m->listeners[i], err, sizeof(err)) < 0) {
            log_error("cannot listen on %s", err);
            free(specs);
            return -1;
        }
        m->nlisteners++;
        log_info("listening on %s", m->listeners[i].name);
    }
    free(specs);
    return 0;
}

/* Write the PidFile, refusing to take over one of a live master. */
static int write_pid_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f) {
        int pid = 0;
        int got = fscanf(f, "%d", &pid);
        fclose(f);
        if (got == 1 && pid > 0 && pid != getpid() &&
            (kill(pid, 0) == 0 || errno == EPERM)) {
            log_error("PidFile: %s names pid %d, which is running", path, pid);
            return -1;
        }
    }
    f = fopen(path, "w");
    if (!f) {
        log_error("PidFile: cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    return 0;
}

static int setup_events(struct master *m)
{
    static const int sigs[9] = {SIGCHLD, SIGTERM, SIGINT,  SIGQUIT, SIGHUP,
                                SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};
    m->base = event_base_new();
    if (!m->base) return -1;
    for (int i = 0; i < 9; i++) {
        m->signal_evs[i] = evsignal_new(m->base, sigs[i], on_signal, m);
        if (!m->signal_evs[i] || event_add(m->signal_evs[i], NULL) < 0)
            return -1;
    }
    m->tick_ev = event_new(m->base, -1, EV_PERSIST, on_tick, m);
    m->respawn_ev = evtimer_new(m->base, on_respawn, m);
    m->grace_ev = evtimer_new(m->base, on_grace_expired, m);
    if (!m->tick_ev || !m->respawn_ev || !m->grace_ev) return -1;
    struct timeval tv = clock_timeval(m->s.master_heart_beat_time);
    return event_add(m->tick_ev, &tv);
}

static void teardown(struct master *m)
{
    for (int i = 0; i < 9; i++)
        if (m->signal_evs[i]) event_free(m->signal_evs[i]);
    if (m->tick_ev) event_free(m->tick_ev);
    if (m->respawn_ev) event_free(m->respawn_ev);
    if (m->grace_ev) event_free(m->grace_ev);
    while (m->children) remove_child(m, m->children);
    if (m->base) event_base_free(m->base);
    listen_close_all(m->listeners, m->nlisteners, 1);
    free(m->listeners);
    if (m->s.pid_file) unlink(m->s.pid_file);
    settings_free(&m->s);
    if (m->reload_pending) settings_free(&m->pending);
    notify_close(&m->notify);
}

/* Start the pool: StartServer children, then the loop. */
static int serve(struct master *m)
{
    long slots = m->s.max_server * 4;
    if (scoreboard_open(&m->sb, slots > MIN_SCOREBOARD_SLOTS
                                    ? (int)slots : MIN_SCOREBOARD_SLOTS) < 0) {
        log_error("mmap() failed for the scoreboard: %s", strerror(errno));
        return 1;
    }
    if (setup_events(m) < 0) {
        log_error("cannot set up the master's event loop");
        return 1;
    }
    log_info("tine master %d serving %s with %ld children", (int)getpid(),
             m->script, m->s.start_server);
    for (long i = 0; i < m->s.start_server; i++) spawn(m);
    if (!m->children) return 1;
    event_base_dispatch(m->base);
    log_info("tine master %d exits with status %d", (int)getpid(),
             m->exit_code);
    return m->exit_code;
}

int master_run(struct settings *s, const char *script, const struct cli *cli)
{
    struct master m;
    int rc = 1;
    memset(&m, 0, sizeof(m));
    m.s = *s;
    m.script = script;
    m.cli = cli;
    notify_open(&m.notify);
    log_set_level(m.s.log_level);
    if (m.s.log_file && log_open(m.s.log_file) < 0) {
        fprintf(stderr, "tine: LogFile: cannot open %s: %s\n", m.s.log_file,
                strerror(errno));
        settings_free(&m.s);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)getpid() ^ (unsigned)clock_now());
    raise_fd_limit();
    if (open_listeners(&m) < 0) goto done;
    if (m.s.daemonize && daemon(1, 0) < 0) {
        log_error("daemon() failed: %s", strerror(errno));
        goto done;
    }
    if (m.s.pid_file && write_pid_file(m.s.pid_file) < 0) {
        free(m.s.pid_file);  /* not ours: do not remove it at exit */
        m.s.pid_file = NULL;
        goto done;
    }
    rc = serve(&m);
done:
    teardown(&m);
    return rc;
}
