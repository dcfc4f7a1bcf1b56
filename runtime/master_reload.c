/* master_reload.c: generations. HUP reads the script again, in a process
 * of its own (settings_reader.h); if it loads,
 * one child of the new generation (the canary) starts in place of one old
 * child; once it is READY its settings and generation become the pool's
 * and every older child is replaced, each stopping once its replacement
 * is up. A canary that fails abandons the reload; a newer HUP drops it. */
#include <errno.h>
#include <event2/event.h>
#include <string.h>
#include <time.h>

#include "access_log.h"
#include "clock.h"
#include "log.h"
#include "master_int.h"
#include "pidfile.h"
#include "tine_err.h"

/* Did the reload change what is bound (StatusListen included)? */
static int listeners_differ(const struct settings *a, const struct settings *b)
{
    const char *sa = a->status_listen ? a->status_listen : "";
    const char *sb = b->status_listen ? b->status_listen : "";
    if (a->port != b->port || strcmp(a->address, b->address) != 0 ||
        a->listen.n != b->listen.n || strcmp(sa, sb) != 0)
        return 1;
    for (int i = 0; i < a->listen.n; i++)
        if (strcmp(a->listen.items[i], b->listen.items[i]) != 0) return 1;
    return 0;
}

/* Keep a's listener settings in b (the rows marked restart). */
static void keep_listeners(const struct settings *a, struct settings *b)
{
    settings_keep_fixed(b, a);
}

/* Pass fd, reopened as LogFile or AccessLog (type), to every child,
 * which writes there at once; children forked later inherit it. */
static void pass_reopened(struct master *m, enum channel_type type, int fd,
                          const char *name)
{
    FOR_EACH_CHILD(m, r)
        if (channel_send_fd(r->fd, type, fd) < 0)
            log_warn("child %d could not be given the reopened %s: %s",
                     (int)r->proc.pid, name, strerror(errno));
}

/* Open LogFile and AccessLog anew: a rotated file is followed from now
 * on, by the master and every child. */
static void reopen_log(struct master *m)
{
    if (log_open(m->s.log_file) < 0)
        log_error("LogFile: cannot open %s: %s", m->s.log_file,
                  strerror(errno));
    else if (m->s.log_file)
        pass_reopened(m, MSG_LOG_FILE, log_fd(), "LogFile");
    if (access_log_open(m->s.access_log) < 0)
        log_error("AccessLog: cannot open %s: %s", m->s.access_log,
                  strerror(errno));
    else if (m->s.access_log)
        pass_reopened(m, MSG_ACCESS_LOG, access_log_fd(), "AccessLog");
}

void master_apply_settings(struct master *m)
{
    log_set_level(m->s.log_level);
    reopen_log(m);
    struct timeval tick = clock_timeval(m->s.master_heart_beat_time);
    event_add(m->tick_ev, &tick);
    master_dequeue_apply(m);
}

/* The reload's PidFile differs from the running one: take the new one
 * and remove the old, or keep the old if the new cannot be taken. */
static void move_pid_file(struct master *m, struct settings *fresh)
{
    char err[TINE_ERR_MAX];
    const char *old = m->s.pid_file, *new = fresh->pid_file;
    if ((!old && !new) || (old && new && strcmp(old, new) == 0)) return;
    int fd = new ? pidfile_take(new, err, sizeof(err)) : -1;
    if (new && fd < 0) {
        log_error("reload: %s; the PidFile stays %s", err,
                  old ? old : "none");
        settings_copy_one(fresh, &m->s, settings_def(SET_PID_FILE));
        return;
    }
    if (old) pidfile_release(old, m->pid_fd);
    m->pid_fd = fd;
    log_info("reload: PidFile moved from %s to %s", old ? old : "none",
             new ? new : "none");
}

/* Unmap the shared dictionaries that neither the running settings nor a
 * pending reload's name: no child forked from now on uses them. */
static void prune_zones(struct master *m)
{
    shdict_zones_prune(&m->zones, &m->s.shared_dict,
                       m->reload_pending ? &m->pending.shared_dict : NULL);
}

/* TTIN and TTOU outlive a reload: apply their sum to the new settings. */
static void keep_resizes(struct master *m, struct settings *fresh)
{
    int step = m->resized > 0 ? 1 : -1;
    for (long i = 0; i != m->resized; i += step)
        if (settings_resize(fresh, step) < 0) break;
}

void master_commit_reload(struct master *m, struct child_rec *canary)
{
    move_pid_file(m, &m->pending);
    keep_resizes(m, &m->pending);
    settings_free(&m->s);
    m->s = m->pending;
    memset(&m->pending, 0, sizeof(m->pending));
    m->reload_pending = 0;
    m->generation = canary->proc.generation;
    prune_zones(m);
    master_apply_settings(m);
    proc_commit(m->children, m->generation);
    log_info("reload: generation %ld is up; replacing the older children",
             m->generation);
    notify_send(&m->notify, "READY=1");
}

void master_abandon_reload(struct master *m, const char *why)
{
    log_error("reload abandoned: the new generation's first child %s; "
              "generation %ld keeps serving", why, m->generation);
    settings_free(&m->pending);
    m->reload_pending = 0;
    prune_zones(m);
    notify_send(&m->notify, "READY=1");
}

/* A newer reload supersedes the pending one: stop its canary; the child
 * it was to replace serves on. */
static void drop_canary(struct master *m)
{
    FOR_EACH_CHILD(m, r) {
        if (r->proc.state != PROC_CANARY) continue;
        proc_unlink(m->children, &r->proc);
        master_stop_child(r, "superseded by a newer reload");
    }
    settings_free(&m->pending);
    m->reload_pending = 0;
    prune_zones(m);
}

/* Tell the service manager a reload has begun. */
static void notify_reloading(struct master *m)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    notify_send(&m->notify, "RELOADING=1\nMONOTONIC_USEC=%llu",
                (unsigned long long)now.tv_sec * 1000000ULL +
                    (unsigned long long)now.tv_nsec / 1000ULL);
}

/* The reload's settings have been read (fresh, ours now) or could not
 * be (err): start the new generation's canary, or keep serving. */
static void settings_read(void *arg, struct settings *fresh, const char *err)
{
    char why[TINE_ERR_MAX];
    struct master *m = arg;
    if (!fresh) {
        log_error("reload failed, the running children keep serving: %s",
                  err);
        notify_send(&m->notify, "READY=1");
        return;
    }
    if (m->shutting_down) {
        settings_free(fresh);
        return;
    }
    if (listeners_differ(&m->s, fresh)) {
        log_warn("reload: Port, Address, Listen and StatusListen changes "
                 "need a restart; the listeners stay as they are");
        keep_listeners(&m->s, fresh);
    }
    if (m->reload_pending) drop_canary(m);
    if (shdict_zones_ensure(&m->zones, &fresh->shared_dict, why,
                            sizeof(why)) < 0) {
        settings_free(fresh);
        prune_zones(m);
        settings_read(m, NULL, why);
        return;
    }
    master_tls_reload(m, fresh);
    m->pending = *fresh;
    m->reload_pending = 1;
    struct child_rec *old = master_pick_excess(m);
    struct child_rec *canary = master_spawn(m, &m->pending, m->generation + 1);
    if (!canary) {
        master_abandon_reload(m, "could not be forked");
        return;
    }
    canary->proc.state = PROC_CANARY;
    if (old) proc_link(&canary->proc, &old->proc, 1);
    log_info("reload: %s loaded; generation %ld's first child %d is "
             "starting", m->script, canary->proc.generation,
             (int)canary->proc.pid);
}

void master_reload(struct master *m)
{
    char err[TINE_ERR_MAX];
    reopen_log(m);  /* first: a rotated log is followed even if the
                     * script then fails to load */
    notify_reloading(m);
    if (settings_reader_start(&m->reader, m->base, m->script, m->cli,
                              m->s.max_server_expire_time, settings_read, m,
                              err, sizeof(err)) < 0)
        settings_read(m, NULL, err);
}
