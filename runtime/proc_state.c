/* proc_state.c: the transition table. */
#include "proc_state.h"

#include <stddef.h>

#define S(x) PROC_##x

/* next[state][event]. When a replacement is gone before it was READY, a
 * child that was to be recycled wants a replacement again, and one that
 * was yielding to a reload's canary serves on: no child is ever left
 * waiting for a replacement that will not come. A yielding child whose
 * generation is superseded becomes an ordinary replaced one. A dequeue
 * process is outside the pool: only a stop or a kill moves it. */
static const unsigned char next[PROC_STATE_COUNT][PROC_EVENT_COUNT] = {
    /* READY, RECYCLE, REPLACEMENT_FORKED, CANARY_FORKED,
     * REPLACEMENT_GONE, STOP, KILL */
    [S(STARTING)] = {S(SERVING), S(RECYCLE), S(STARTING), S(STARTING),
                     S(STARTING), S(STOPPING), S(KILLED)},
    [S(CANARY)] = {S(SERVING), S(CANARY), S(CANARY), S(CANARY), S(CANARY),
                   S(STOPPING), S(KILLED)},
    [S(SERVING)] = {S(SERVING), S(RECYCLE), S(REPLACED), S(YIELDING),
                    S(SERVING), S(STOPPING), S(KILLED)},
    [S(RECYCLE)] = {S(RECYCLE), S(RECYCLE), S(REPLACED), S(REPLACED),
                    S(RECYCLE), S(STOPPING), S(KILLED)},
    [S(REPLACED)] = {S(REPLACED), S(REPLACED), S(REPLACED), S(REPLACED),
                     S(RECYCLE), S(STOPPING), S(KILLED)},
    [S(YIELDING)] = {S(YIELDING), S(REPLACED), S(YIELDING), S(YIELDING),
                     S(SERVING), S(STOPPING), S(KILLED)},
    [S(STOPPING)] = {S(STOPPING), S(STOPPING), S(STOPPING), S(STOPPING),
                     S(STOPPING), S(STOPPING), S(KILLED)},
    [S(KILLED)] = {S(KILLED), S(KILLED), S(KILLED), S(KILLED), S(KILLED),
                   S(KILLED), S(KILLED)},
    [S(DEQUEUE)] = {S(DEQUEUE), S(DEQUEUE), S(DEQUEUE), S(DEQUEUE),
                    S(DEQUEUE), S(STOPPING), S(KILLED)},
};

enum proc_state proc_state_next(enum proc_state s, enum proc_event ev)
{
    if ((unsigned)s >= PROC_STATE_COUNT || (unsigned)ev >= PROC_EVENT_COUNT)
        return s;
    return (enum proc_state)next[s][ev];
}

int proc_state_counts(enum proc_state s)
{
    return s == PROC_STARTING || s == PROC_CANARY || s == PROC_SERVING;
}

const char *proc_state_name(enum proc_state s)
{
    static const char *const names[PROC_STATE_COUNT] = {
        "starting", "canary", "serving", "to recycle", "being replaced",
        "yielding to a canary", "stopping", "killed", "running Dequeue"};
    return (unsigned)s < PROC_STATE_COUNT ? names[s] : "?";
}

const char *proc_kind_name(enum proc_kind k)
{
    return k == PROC_KIND_DEQUEUE ? "dequeue process" : "child";
}

struct proc_info *proc_find(struct proc_info *list, pid_t pid)
{
    for (struct proc_info *p = list; p; p = p->next)
        if (p->pid == pid) return p;
    return NULL;
}

void proc_apply(struct proc_info *p, enum proc_event ev)
{
    p->state = proc_state_next(p->state, ev);
}

void proc_link(struct proc_info *fresh, struct proc_info *old, int canary)
{
    fresh->replaces = old->pid;
    old->replaced_by = fresh->pid;
    proc_apply(old, canary ? PROC_EV_CANARY_FORKED
                           : PROC_EV_REPLACEMENT_FORKED);
}

struct proc_info *proc_ready(struct proc_info *list, struct proc_info *p)
{
    proc_apply(p, PROC_EV_READY);
    struct proc_info *old = p->replaces ? proc_find(list, p->replaces) : NULL;
    p->replaces = 0;
    if (!old || old->replaced_by != p->pid) return NULL;
    old->replaced_by = 0;
    return old;
}

void proc_unlink(struct proc_info *list, struct proc_info *p)
{
    struct proc_info *old = p->replaces ? proc_find(list, p->replaces) : NULL;
    if (old && old->replaced_by == p->pid) {
        old->replaced_by = 0;
        proc_apply(old, PROC_EV_REPLACEMENT_GONE);
    }
    p->replaces = 0;
    struct proc_info *fresh =
        p->replaced_by ? proc_find(list, p->replaced_by) : NULL;
    if (fresh && fresh->replaces == p->pid) fresh->replaces = 0;
    p->replaced_by = 0;
}

void proc_commit(struct proc_info *list, long g)
{
    for (struct proc_info *p = list; p; p = p->next)
        if (p->generation < g) proc_apply(p, PROC_EV_RECYCLE);
}
