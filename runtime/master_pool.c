/* master_pool.c: the pool: on each heartbeat (and at once when a child
 * ends or asks) kill the silent and the overdue, mark children for
 * recycling, fork their replacements, and apply the seed's rules with
 * the crash-loop back-off; TTIN and TTOU. */
#include <event2/event.h>
#include <stdio.h>

#include "callback.h"
#include "clock.h"
#include "log.h"
#include "master_int.h"
#include "procmem.h"

/* Has child r reported READY? A dequeue process never does: only the
 * kills for silence and for outstaying a stop apply to it. */
static int is_ready(const struct child_rec *r)
{
    return r->proc.kind == PROC_KIND_CHILD &&
           r->proc.state != PROC_STARTING && r->proc.state != PROC_CANARY;
}

struct pool_counts master_count(struct master *m)
{
    struct pool_counts c = {0, 0};
    FOR_EACH_CHILD(m, r) {
        if (!proc_state_counts(r->proc.state)) continue;
        c.total++;
        if (!is_ready(r) || master_conns(m, r) == 0) c.idle++;
    }
    return c;
}

/* The child to stop when there are too many: the youngest idle ready one,
 * else the one with the fewest connections. */
struct child_rec *master_pick_excess(struct master *m)
{
    struct child_rec *best = NULL;
    FOR_EACH_CHILD(m, r) {
        if (r->proc.state != PROC_SERVING) continue;
        if (!best) {
            best = r;
            continue;
        }
        long a = master_conns(m, r), b = master_conns(m, best);
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

void master_on_respawn(int fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    master_pool_run(arg);
}

/* Fork a replacement for every child waiting for one; 0 if forking must
 * wait (back-off) or failed. */
static int fork_replacements(struct master *m)
{
    FOR_EACH_CHILD(m, r) {
        if (r->proc.state != PROC_RECYCLE) continue;
        struct child_rec *fresh = master_spawn(m, &m->s, m->generation);
        if (!fresh) return 0;
        proc_link(&fresh->proc, &r->proc, 0);
    }
    return 1;
}

void master_pool_run(struct master *m)
{
    if (m->shutting_down || !m->started) return;
    double now = clock_now();
    int may_fork = now >= m->spawn_not_before;
    if (may_fork && !fork_replacements(m)) may_fork = 0;
    struct pool_counts c = master_count(m);
    struct pool_decision d = pool_decide(&c, &m->s);
    for (long i = 0; i < d.stop; i++) {
        struct child_rec *victim = master_pick_excess(m);
        if (!victim) break;
        master_stop_child(victim, "excess");
    }
    for (long i = 0; may_fork && i < d.fork; i++)
        if (!master_spawn(m, &m->s, m->generation)) break;
    now = clock_now();
    if (now < m->spawn_not_before)
        schedule_respawn(m, m->spawn_not_before - now);
}

/* Say what a silent child was doing, from its scoreboard slot. */
static void describe_hang(struct master *m, struct child_rec *r, double now,
                          char *buf, size_t len)
{
    struct scoreboard_slot *slot = master_slot(m, r);
    if (!slot || slot->callback == CB_NONE)
        snprintf(buf, len, "not running a script callback (%d waiting)",
                 slot ? (int)slot->waiting : 0);
    else
        snprintf(buf, len, "in %s since %.2f s",
                 callback_name(slot->callback), now - slot->callback_since);
}

/* STATUS= for the service manager: the pool at a glance. */
static void report_status(struct master *m)
{
    char status[256];
    long children = 0, idle = 0, conns = 0;
    unsigned long long accepted = 0;  /* by the children running now */
    FOR_EACH_CHILD(m, r) {
        struct scoreboard_slot *slot = master_slot(m, r);
        if (r->killed || r->proc.kind != PROC_KIND_CHILD) continue;
        children++;
        idle += master_conns(m, r) == 0;
        conns += master_conns(m, r);
        accepted += slot ? slot->accepted : 0;
    }
    snprintf(status, sizeof(status),
             "generation %ld: %ld children, %ld idle, %ld connections, "
             "%llu accepted%s", m->generation, children, idle, conns,
             accepted, m->paused ? ", paused" : "");
    notify_status(&m->notify, status);
}

/* Mark r for recycling, logging why the first time. */
static void recycle(struct child_rec *r, const char *why)
{
    enum proc_state was = r->proc.state;
    proc_apply(&r->proc, PROC_EV_RECYCLE);
    if (was != r->proc.state)
        log_info("child %d is recycled: %s", (int)r->proc.pid, why);
}

/* Act on the pool's verdict on child r. */
static void act_on(struct master *m, struct child_rec *r,
                   enum pool_verdict v, const struct pool_child *pc,
                   double now)
{
    char why[200];
    switch (v) {
    case VERDICT_KILL_SILENT:
        describe_hang(m, r, now, why, sizeof(why));
        log_error("%s %d killed: no heartbeat for %.1f s, %s",
                  proc_kind_name(r->proc.kind), (int)r->proc.pid,
                  now - r->last_seen, why);
        master_kill_child(r, KILLED_SILENT);
        break;
    case VERDICT_KILL_GRACE:
        log_warn("%s %d killed: still running %.1f s after it was told "
                 "to stop (GraceExpireTime)", proc_kind_name(r->proc.kind),
                 (int)r->proc.pid, now - r->stop_sent);
        master_kill_child(r, KILLED_GRACE);
        break;
    case VERDICT_RECYCLE_LIFETIME:
        snprintf(why, sizeof(why), "older than MaxServerLifeTime (%g s)",
                 m->s.max_server_life_time);
        recycle(r, why);
        break;
    case VERDICT_RECYCLE_SPARETIME:
        snprintf(why, sizeof(why), "idle for MaxServerSpareTime (%g s)",
                 m->s.max_server_spare_time);
        recycle(r, why);
        break;
    case VERDICT_RECYCLE_MEMORY:
        snprintf(why, sizeof(why), "%.0f MiB resident, over MaxServerMemory "
                 "(%ld MiB)", pc->rss_mib, m->s.max_server_memory);
        recycle(r, why);
        break;
    case VERDICT_KEEP: break;
    }
}

void master_on_tick(int fd, short what, void *arg)
{
    struct master *m = arg;
    double now = clock_now();
    (void)fd;
    (void)what;
    FOR_EACH_CHILD(m, r) {
        if (r->killed) continue;
        struct scoreboard_slot *slot = master_slot(m, r);
        struct pool_child pc = {
            r->started, r->last_seen, r->stop_sent,
            slot ? slot->idle_since : 0, is_ready(r),
            m->s.max_server_memory > 0 ? procmem_rss_mib(r->proc.pid) : 0,
            r->jitter_draw};
        act_on(m, r, pool_judge(&pc, now, &m->s), &pc, now);
    }
    master_pool_run(m);
    report_status(m);
}

void master_resize(struct master *m, int delta)
{
    if (settings_resize(&m->s, delta) < 0) {
        log_warn("%s ignored: MaxServer is already %ld",
                 delta > 0 ? "TTIN" : "TTOU", m->s.max_server);
        return;
    }
    m->resized += delta;
    log_info("%s: MinServer %ld, MaxServer %ld", delta > 0 ? "TTIN" : "TTOU",
             m->s.min_server, m->s.max_server);
    if (delta > 0 && master_count(m).total < m->s.max_server) {
        master_spawn(m, &m->s, m->generation);
    } else if (delta < 0) {
        struct child_rec *victim = master_pick_excess(m);
        if (victim) master_stop_child(victim, "TTOU");
    }
    master_pool_run(m);
}
