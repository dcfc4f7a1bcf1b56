/* test_proc_state.c: the children's state machine, over tables of single
 * transitions and over sequences of what happens to a pool: forks,
 * READY, exits, reloads, canaries that die or are dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proc_state.h"

/* Every state and event, one transition each. */
static void test_table(void **state)
{
    static const struct {
        enum proc_state from;
        enum proc_event ev;
        enum proc_state to;
    } rows[] = {
        {PROC_STARTING, PROC_EV_READY, PROC_SERVING},
        {PROC_CANARY, PROC_EV_READY, PROC_SERVING},
        {PROC_CANARY, PROC_EV_RECYCLE, PROC_CANARY},
        {PROC_SERVING, PROC_EV_RECYCLE, PROC_RECYCLE},
        {PROC_SERVING, PROC_EV_CANARY_FORKED, PROC_YIELDING},
        {PROC_RECYCLE, PROC_EV_REPLACEMENT_FORKED, PROC_REPLACED},
        {PROC_RECYCLE, PROC_EV_CANARY_FORKED, PROC_REPLACED},
        {PROC_REPLACED, PROC_EV_REPLACEMENT_GONE, PROC_RECYCLE},
        {PROC_YIELDING, PROC_EV_REPLACEMENT_GONE, PROC_SERVING},
        {PROC_YIELDING, PROC_EV_RECYCLE, PROC_REPLACED},
        {PROC_REPLACED, PROC_EV_STOP, PROC_STOPPING},
        {PROC_STOPPING, PROC_EV_RECYCLE, PROC_STOPPING},
        {PROC_STOPPING, PROC_EV_KILL, PROC_KILLED},
        {PROC_KILLED, PROC_EV_STOP, PROC_KILLED},
        {PROC_DEQUEUE, PROC_EV_READY, PROC_DEQUEUE},
        {PROC_DEQUEUE, PROC_EV_RECYCLE, PROC_DEQUEUE},
        {PROC_DEQUEUE, PROC_EV_REPLACEMENT_FORKED, PROC_DEQUEUE},
        {PROC_DEQUEUE, PROC_EV_CANARY_FORKED, PROC_DEQUEUE},
        {PROC_DEQUEUE, PROC_EV_REPLACEMENT_GONE, PROC_DEQUEUE},
        {PROC_DEQUEUE, PROC_EV_STOP, PROC_STOPPING},
        {PROC_DEQUEUE, PROC_EV_KILL, PROC_KILLED},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum proc_state got = proc_state_next(rows[i].from, rows[i].ev);
        if (got != rows[i].to)
            fail_msg("%s + event %d: %s, want %s",
                     proc_state_name(rows[i].from), rows[i].ev,
                     proc_state_name(got), proc_state_name(rows[i].to));
    }
    assert_true(proc_state_counts(PROC_SERVING));
    assert_true(proc_state_counts(PROC_CANARY));
    assert_false(proc_state_counts(PROC_REPLACED));
    assert_false(proc_state_counts(PROC_YIELDING));
    assert_false(proc_state_counts(PROC_DEQUEUE));
    assert_string_equal(proc_kind_name(PROC_KIND_DEQUEUE), "dequeue process");
    assert_string_equal(proc_kind_name(PROC_KIND_CHILD), "child");
}

/* ---- a small pool, driven as the master drives it ---------------------- */

#define MAX_PROCS 64

struct pool {
    struct proc_info procs[MAX_PROCS];
    int used[MAX_PROCS];
    struct proc_info *list;
    pid_t next_pid;
    long generation;   /* committed */
    int target;        /* children the pool keeps */
};

static void relist(struct pool *p)
{
    p->list = NULL;
    for (int i = MAX_PROCS - 1; i >= 0; i--) {
        if (!p->used[i]) continue;
        p->procs[i].next = p->list;
        p->list = &p->procs[i];
    }
}

static struct proc_info *fork_one(struct pool *p, long generation)
{
    for (int i = 0; i < MAX_PROCS; i++) {
        if (p->used[i]) continue;
        p->used[i] = 1;
        memset(&p->procs[i], 0, sizeof(p->procs[i]));
        p->procs[i].pid = ++p->next_pid;
        p->procs[i].generation = generation;
        p->procs[i].state = PROC_STARTING;
        relist(p);
        return &p->procs[i];
    }
    fail_msg("pool full");
    return NULL;
}

/* A child exits (or is reaped after a stop or a kill). */
static void exit_one(struct pool *p, struct proc_info *c)
{
    proc_unlink(p->list, c);
    p->used[c - p->procs] = 0;
    relist(p);
}

/* READY, as the master's child_ready: a canary commits its generation. */
static void ready(struct pool *p, struct proc_info *c)
{
    int canary = c->state == PROC_CANARY;
    struct proc_info *old = proc_ready(p->list, c);
    if (canary) {
        p->generation = c->generation;
        proc_commit(p->list, p->generation);
    }
    if (old) proc_apply(old, PROC_EV_STOP);
}

/* HUP: drop a pending canary, fork a new one in place of a serving child. */
static struct proc_info *reload(struct pool *p)
{
    for (struct proc_info *c = p->list; c; c = c->next) {
        if (c->state != PROC_CANARY) continue;
        proc_unlink(p->list, c);
        proc_apply(c, PROC_EV_STOP);
    }
    struct proc_info *old = NULL;
    for (struct proc_info *c = p->list; c; c = c->next)
        if (c->state == PROC_SERVING) old = c;
    struct proc_info *canary = fork_one(p, p->generation + 1);
    canary->state = PROC_CANARY;
    if (old) proc_link(canary, old, 1);
    return canary;
}

/* The master's pool_run: replacements for those that want one, then the
 * pool's size: excess serving children stopped, or missing ones forked. */
static void pool_run(struct pool *p)
{
    for (struct proc_info *c = p->list; c; c = c->next)
        if (c->state == PROC_RECYCLE)
            proc_link(fork_one(p, p->generation), c, 0);
    int counted = 0;
    for (struct proc_info *c = p->list; c; c = c->next)
        counted += proc_state_counts(c->state);
    for (struct proc_info *c = p->list; c && counted > p->target; c = c->next)
        if (c->state == PROC_SERVING) {
            proc_apply(c, PROC_EV_STOP);
            counted--;
        }
    while (counted++ < p->target) fork_one(p, p->generation);
}

/* Let everything settle: every starting child gets READY, stopped ones
 * exit, the pool runs again, until nothing changes. */
static void settle(struct pool *p)
{
    for (int round = 0; round < 20; round++) {
        pool_run(p);
        for (int i = 0; i < MAX_PROCS; i++) {
            if (!p->used[i]) continue;
            struct proc_info *c = &p->procs[i];
            if (c->state == PROC_STARTING || c->state == PROC_CANARY)
                ready(p, c);
        }
        for (int i = 0; i < MAX_PROCS; i++)
            if (p->used[i] && (p->procs[i].state == PROC_STOPPING ||
                               p->procs[i].state == PROC_KILLED))
                exit_one(p, &p->procs[i]);
    }
}

/* After settling: exactly `target` children, all serving, all of the
 * newest committed generation. */
static void assert_settled(struct pool *p)
{
    int n = 0;
    for (struct proc_info *c = p->list; c; c = c->next) {
        n++;
        if (c->state != PROC_SERVING || c->generation != p->generation)
            fail_msg("child %d is %s in generation %ld (newest %ld)",
                     (int)c->pid, proc_state_name(c->state), c->generation,
                     p->generation);
    }
    assert_int_equal(n, p->target);
}

static void start_pool(struct pool *p, int target)
{
    memset(p, 0, sizeof(*p));
    p->target = target;
    settle(p);
    assert_settled(p);
}

/* A canary dropped by a newer reload leaves no child waiting for it: the
 * bug of 50 HUPs 20 ms apart. */
static void test_dropped_canary(void **state)
{
    struct pool p;
    (void)state;
    start_pool(&p, 3);
    reload(&p);
    reload(&p);   /* the first canary is dropped before it is READY */
    reload(&p);
    settle(&p);
    assert_settled(&p);
    assert_int_equal(p.generation, 1);
}

/* A canary that dies before READY: the reload is abandoned, the child it
 * was to replace serves on, nothing is replaced. */
static void test_canary_dies(void **state)
{
    struct pool p;
    (void)state;
    start_pool(&p, 2);
    pid_t before = p.next_pid;
    exit_one(&p, reload(&p));
    settle(&p);
    assert_settled(&p);
    assert_int_equal(p.generation, 0);
    assert_int_equal(p.next_pid, before + 1);  /* only the canary forked */
}

/* A replacement that dies before READY is forked again. */
static void test_replacement_dies(void **state)
{
    struct pool p;
    (void)state;
    start_pool(&p, 2);
    proc_apply(p.list, PROC_EV_RECYCLE);
    pool_run(&p);
    struct proc_info *fresh = NULL;
    for (struct proc_info *c = p.list; c; c = c->next)
        if (c->state == PROC_STARTING) fresh = c;
    assert_non_null(fresh);
    exit_one(&p, fresh);
    assert_int_equal(p.list->state == PROC_RECYCLE ||
                         p.list->next->state == PROC_RECYCLE, 1);
    settle(&p);
    assert_settled(&p);
}

/* A dequeue process lives beside the pool: reloads, commits and the
 * pool's runs neither count it, recycle it nor replace it, and the pool
 * keeps its own size. */
static void test_dequeue_outside_pool(void **state)
{
    struct pool p;
    (void)state;
    start_pool(&p, 2);
    struct proc_info *dq = fork_one(&p, p.generation);
    dq->kind = PROC_KIND_DEQUEUE;
    dq->state = PROC_DEQUEUE;
    reload(&p);
    for (int round = 0; round < 5; round++) {
        pool_run(&p);
        for (int i = 0; i < MAX_PROCS; i++) {
            struct proc_info *c = &p.procs[i];
            if (p.used[i] && (c->state == PROC_STARTING ||
                              c->state == PROC_CANARY))
                ready(&p, c);
        }
        for (int i = 0; i < MAX_PROCS; i++)
            if (p.used[i] && p.procs[i].state == PROC_STOPPING)
                exit_one(&p, &p.procs[i]);
    }
    assert_int_equal(p.generation, 1);
    assert_int_equal(dq->state, PROC_DEQUEUE);
    assert_int_equal(dq->generation, 0);
    int serving = 0;
    for (struct proc_info *c = p.list; c; c = c->next)
        serving += c->state == PROC_SERVING && c->generation == 1;
    assert_int_equal(serving, 2);
}

/* Random sequences of reloads, READYs, deaths and recycles always settle
 * to the newest generation and the pool's size. */
static void test_random_sequences(void **state)
{
    (void)state;
    srand(7);
    for (int run = 0; run < 500; run++) {
        struct pool p;
        start_pool(&p, 1 + rand() % 4);
        for (int step = 0; step < 30; step++) {
            int i = rand() % MAX_PROCS;
            switch (rand() % 5) {
            case 0: reload(&p); break;
            case 1: if (p.used[i] && (p.procs[i].state == PROC_STARTING ||
                                      p.procs[i].state == PROC_CANARY))
                        ready(&p, &p.procs[i]);
                    break;
            case 2: if (p.used[i]) exit_one(&p, &p.procs[i]); break;
            case 3: if (p.used[i]) proc_apply(&p.procs[i], PROC_EV_RECYCLE);
                    break;
            case 4: pool_run(&p); break;
            }
        }
        settle(&p);
        assert_settled(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_dropped_canary),
        cmocka_unit_test(test_canary_dies),
        cmocka_unit_test(test_replacement_dies),
        cmocka_unit_test(test_dequeue_outside_pool),
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
