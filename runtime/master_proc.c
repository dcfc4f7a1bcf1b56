/* master_proc.c: the process table: forking children, their channels'
 * messages, and their exits (classified, counted toward the crash-loop
 * back-off, logged). */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "master_int.h"

#define MESSAGES_PER_WAKEUP 64

static void on_channel(evutil_socket_t fd, short what, void *arg);

struct child_rec *master_find(struct master *m, pid_t pid)
{
    return rec_of(proc_find(m->children, pid));
}

struct scoreboard_slot *master_slot(struct master *m, struct child_rec *r)
{
    return r->slot >= 0 ? &m->sb.slots[r->slot] : NULL;
}

long master_conns(struct master *m, struct child_rec *r)
{
    struct scoreboard_slot *slot = master_slot(m, r);
    return slot ? (long)slot->conns : 0;
}

void master_stop_child(struct child_rec *r, const char *why)
{
    if (r->proc.state == PROC_STOPPING || r->proc.state == PROC_KILLED)
        return;
    r->stop_sent = clock_now();
    proc_apply(&r->proc, PROC_EV_STOP);
    log_debug("stopping child %d: %s", (int)r->proc.pid, why);
    if (channel_send_type(r->fd, MSG_STOP) < 0) kill(r->proc.pid, SIGTERM);
}

void master_kill_child(struct child_rec *r, enum kill_reason why)
{
    if (r->killed) return;
    r->killed = why;
    proc_apply(&r->proc, PROC_EV_KILL);
    kill(r->proc.pid, SIGKILL);
}

/* A fork failed: back off before the next. */
static void spawn_failed(struct master *m, struct child_rec *r, int *sv)
{
    log_error("fork() failed while spawning a child: %s", strerror(errno));
    close(sv[0]);
    scoreboard_release(&m->sb, r->slot);
    free(r);
    m->failures++;
    m->spawn_not_before = clock_now() + pool_backoff(m->failures);
}

/* Fork child r; its pid (0 in the child, which never returns), or -1. */
static pid_t fork_child(struct master *m, const struct settings *s,
                        long generation, int fd, struct child_rec *r)
{
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);  /* no handler runs in the child */
    pid_t pid = fork();
    if (pid == 0) {
        struct child_start st = {s, m->script, m->listeners, m->nlisteners,
                                 fd, &m->sb, r->slot, getppid(), generation,
                                 m->paused, r->jitter_draw, m->tls,
                                 r->proc.kind == PROC_KIND_DEQUEUE,
                                 &m->zones};
        child_after_fork(&st);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return pid;
}

/* Fork a process of `kind` with settings s into the table; its record,
 * or NULL (logged) if it could not be forked. */
static struct child_rec *spawn(struct master *m, const struct settings *s,
                               long generation, enum proc_kind kind)
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
    if (r->slot < 0)
        log_warn("no scoreboard slot for a new child: it serves, but hang "
                 "reports and spreading cannot see it");
    r->jitter_draw = (double)random() / ((double)RAND_MAX + 1);
    r->proc.kind = kind;
    pid_t pid = fork_child(m, s, generation, sv[1], r);
    close(sv[1]);
    if (pid < 0) {
        spawn_failed(m, r, sv);
        return NULL;
    }
    if (r->slot >= 0) m->sb.slots[r->slot].pid = pid;
    r->proc.pid = pid;
    r->proc.generation = generation;
    r->proc.state = kind == PROC_KIND_DEQUEUE ? PROC_DEQUEUE : PROC_STARTING;
    r->master = m;
    r->fd = sv[0];
    r->started = r->last_seen = clock_now();
    r->ev = event_new(m->base, r->fd, EV_READ | EV_PERSIST, on_channel, r);
    if (!r->ev || event_add(r->ev, NULL) < 0)
        log_error("event_new() failed for child %d's channel: %s", (int)pid,
                  strerror(errno));
    r->proc.next = m->children;
    m->children = &r->proc;
    m->counts.spawned++;
    log_debug("%s %d forked (generation %ld)", proc_kind_name(kind),
              (int)pid, generation);
    return r;
}

struct child_rec *master_spawn(struct master *m, const struct settings *s,
                               long generation)
{
    return spawn(m, s, generation, PROC_KIND_CHILD);
}

struct child_rec *master_spawn_dequeue(struct master *m)
{
    return spawn(m, &m->s, m->generation, PROC_KIND_DEQUEUE);
}

void master_remove_child(struct master *m, struct child_rec *r)
{
    for (struct proc_info **p = &m->children; *p; p = &(*p)->next) {
        if (*p == &r->proc) {
            *p = r->proc.next;
            break;
        }
    }
    if (r->ev) event_free(r->ev);
    close(r->fd);
    struct scoreboard_slot *slot = master_slot(m, r);
    if (slot) {  /* its counts live on in the master's totals */
        m->counts.accepted += (double)slot->accepted;
        m->counts.requests += (double)slot->requests;
    }
    scoreboard_release(&m->sb, r->slot);
    free(r);
}

void master_broadcast(struct master *m, enum channel_type type)
{
    FOR_EACH_CHILD(m, r) channel_send_type(r->fd, type);
}

/* A child is up: a reload's canary commits its generation; a replacement
 * stops the child it replaces. */
static void child_ready(struct master *m, struct child_rec *r)
{
    if (!m->started) {
        notify_send(&m->notify, "READY=1");
        daemon_report(&m->daemon_fd, NULL);
    }
    m->started = 1;
    log_debug("child %d ready", (int)r->proc.pid);
    int canary = r->proc.state == PROC_CANARY;
    struct proc_info *old = proc_ready(m->children, &r->proc);
    if (m->shutting_down) master_stop_child(r, "shutdown");
    if (canary) master_commit_reload(m, r);
    if (old) master_stop_child(rec_of(old), "replaced");
}

static void handle_message(struct master *m, struct child_rec *r,
                           const struct channel_msg *msg)
{
    r->last_seen = clock_now();
    switch (msg->type) {
    case MSG_READY: child_ready(m, r); break;
    case MSG_HEARTBEAT:
        r->lua_kb = msg->lua_kb;
        log_debug("child %d: %u connection(s), %llu accepted, Lua %u KiB",
                  (int)r->proc.pid, msg->conns,
                  (unsigned long long)msg->accepted, msg->lua_kb);
        break;
    case MSG_SHUTDOWN_SERVER:
        if (!m->shutting_down)
            master_begin_shutdown(m, 1, "tine.shutdown() called by a child");
        break;
    case MSG_RECYCLE_ME:
        log_info("child %d asked to be recycled", (int)r->proc.pid);
        proc_apply(&r->proc, PROC_EV_RECYCLE);
        master_pool_run(m);
        break;
    case MSG_FAILED:
        snprintf(r->error, sizeof(r->error), "%s", msg->text);
        break;
    default:
        log_warn("child %d sent %s, which only the master sends: killed",
                 (int)r->proc.pid, channel_type_name(msg->type));
        master_kill_child(r, KILLED_PROTOCOL);
    }
}

static void on_channel(evutil_socket_t fd, short what, void *arg)
{
    struct child_rec *r = arg;
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
                     (int)r->proc.pid);
            event_del(r->ev);
            master_kill_child(r, KILLED_PROTOCOL);
            return;
        }
        handle_message(r->master, r, &msg);
    }
}

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

/* Log how a child ended. Failures in a row (a failed start, a crash, an
 * unasked exit, a kill for silence) push the next fork back, 0.1 s
 * doubling up to 10 s; a child that had lived POOL_STABLE_SECONDS starts
 * the count afresh. A reload's canary that fails abandons the reload. A
 * dequeue process's end is only logged: the pool does not depend on it. */
static void note_exit(struct master *m, struct child_rec *r, int status)
{
    char why[CHANNEL_TEXT_MAX + 80];
    double now = clock_now(), lived = now - r->started;
    int was_ready = r->proc.kind == PROC_KIND_CHILD &&
                    r->proc.state != PROC_STARTING &&
                    r->proc.state != PROC_CANARY;
    enum exit_kind kind = pool_classify_exit(status, r->killed,
                                             r->stop_sent > 0, was_ready);
    describe_exit(r, kind, status, why, sizeof(why));
    m->counts.exits[kind]++;
    if (r->proc.kind == PROC_KIND_DEQUEUE) {
        master_dequeue_ended(r, kind, status, why, lived);
        return;
    }
    if (!pool_exit_is_failure(kind) || m->shutting_down) {
        log_debug("child %d %s after %.1f s", (int)r->proc.pid, why, lived);
        return;
    }
    if (r->proc.state == PROC_CANARY) {
        master_abandon_reload(m, why);
        return;
    }
    if (lived >= POOL_STABLE_SECONDS) m->failures = 0;
    m->failures++;
    double wait = pool_respawn_delay(kind, m->failures);
    m->spawn_not_before = now + wait;
    snprintf(m->last_error, sizeof(m->last_error), "%s",
             kind == EXIT_START_FAILED && r->error[0] ? r->error : why);
    if (!m->started)
        log_error("child %d %s", (int)r->proc.pid, why);
    else
        log_error("child %d %s after %.1f s; %d failure(s) in a row: "
                  "forking again in %.1f s", (int)r->proc.pid, why, lived,
                  m->failures, wait);
}

/* No child of the first generation could start: give up, exit 1. */
static void give_up(struct master *m)
{
    char why[sizeof(m->last_error) + 32];
    snprintf(why, sizeof(why), "no child could start: %s", m->last_error);
    log_error("%s", why);
    if (m->s.log_file) fprintf(stderr, "tine: %s\n", why);
    daemon_report(&m->daemon_fd, why);
    m->exit_code = 1;
    m->shutting_down = 1;
}

void master_reap(struct master *m)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct child_rec *r = master_find(m, pid);
        if (!r) continue;
        note_exit(m, r, status);
        proc_unlink(m->children, &r->proc);
        master_remove_child(m, r);
    }
    if (!m->started && !m->shutting_down && !m->children) give_up(m);
    if (m->shutting_down) {
        if (!m->children) event_base_loopbreak(m->base);
        return;
    }
    master_pool_run(m);
}
