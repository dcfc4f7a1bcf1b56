/* test_shdict_crash.c: the shared dictionary's robust lock. Children die
 * holding it: at every crash point of each operation in turn (_exit from
 * the step hook), right after taking it, and SIGKILLed at random moments
 * in a tight loop of stores. Each time the parent must find the dictionary
 * consistent, usable and holding only values that were written whole. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "shdict_int.h"
#include "shdict_test_util.h"
#include "test_util.h"

#define COMPLETED 0     /* a child's exit status: the operation finished */
#define DIED 7          /* ... it died at the crash point */
#define FILLERS 26      /* k0 .. k25, 200 bytes each */

static int die_at, steps;

/* The step hook: _exit at the die_at-th crash point. */
static void die_on_step(void *arg)
{
    (void)arg;
    if (++steps == die_at) _exit(DIED);
}

/* Bytes `len` long whose every byte is c. */
static const char *repeat(char c, size_t len)
{
    static char buf[1024];
    memset(buf, c, len);
    return buf;
}

/* Fail unless v (under key) is a value some operation wrote whole: k<i>
 * 200 bytes of 'a' + i, "key" 100 'o' or 300 'N', "fresh" 500 'F', "n"
 * the number 5 or 6. */
static void assert_whole(const char *key, const struct shdict_value *v)
{
    size_t len = v->type == SHDICT_STRING ? v->len : 0;
    int ok;
    if (key[0] == 'k' && key[1] != 'e')
        ok = len == 200 && memcmp(v->str, repeat((char)('a' + atoi(key + 1)),
                                                 200), 200) == 0;
    else if (strcmp(key, "key") == 0)
        ok = (len == 100 && memcmp(v->str, repeat('o', 100), 100) == 0)
             || (len == 300 && memcmp(v->str, repeat('N', 300), 300) == 0);
    else if (strcmp(key, "fresh") == 0)
        ok = len == 500 && memcmp(v->str, repeat('F', 500), 500) == 0;
    else
        ok = strcmp(key, "n") == 0 && v->type == SHDICT_NUMBER
             && (v->num == 5 || v->num == 6);
    if (!ok) fail_msg("%s holds a value nobody wrote (length %zu)", key, len);
}

/* Every live value is whole; with `all`, every key the test put is still
 * there. */
static void assert_values(struct shdict *d, int all)
{
    static char buf[65536], val[1024];
    char name[64];
    size_t used, klen, pos = 0;
    unsigned n;
    const char *key;
    struct shdict_value v;
    assert_int_equal(shdict_get_keys(d, 0, buf, sizeof(buf), &used, &n), 0);
    while (shdict_keys_next(buf, used, &pos, &key, &klen)) {
        snprintf(name, sizeof(name), "%.*s", (int)klen, key);
        assert_int_equal(get_into(d, name, &v, val, sizeof(val)), 0);
        assert_whole(name, &v);
    }
    if (all) assert_int_equal(n, FILLERS + 2);
}

/* The operations a child dies in. */
static void act_replace(struct shdict *d)
{
    put_str(d, SHDICT_SET, "key", repeat('N', 300), 300, 0, NULL);
}

static void act_insert(struct shdict *d)
{
    put_str(d, SHDICT_SET, "fresh", repeat('F', 500), 500, 0, NULL);
}

static void act_incr(struct shdict *d)
{
    double val;
    shdict_incr(d, "n", 1, 1, NULL, 0, &val, NULL);
}

static void act_delete(struct shdict *d)
{
    shdict_delete(d, "key", 3);
}

static void act_get(struct shdict *d)
{
    has(d, "n");
}

static void act_flush_all(struct shdict *d)
{
    shdict_flush_all(d);
}

static void act_repair(struct shdict *d)
{
    shdict_free_space(d);                    /* locks: nothing more */
}

struct scenario {
    const char *what;          /* as the repair note names it */
    void (*act)(struct shdict *d);
    int keeps_all;             /* no key may go missing */
    int needs_repair;          /* the child finds the LRU list broken by
                                * an operation that did not finish, and
                                * dies while rebuilding */
};

static const struct scenario scenarios[] = {
    {"a store", act_replace, 0, 0},
    {"a store", act_insert, 0, 0},
    {"incr", act_incr, 1, 0},
    {"a store", act_delete, 0, 0},
    {"get", act_get, 1, 0},
    {"flush_all", act_flush_all, 0, 0},
    {"a repair", act_repair, 1, 1},
};

/* The state before each crash: "n" (the oldest), "key", then the
 * fillers, so that the dictionary is nearly full; for s->needs_repair,
 * an LRU list without its tail, left by an unfinished store. */
static void prepare(struct shdict *d, const struct scenario *s)
{
    char key[16];
    assert_int_equal(shdict_flush_all(d), 0);
    assert_int_equal(put_num(d, "n", 5), 0);
    assert_int_equal(put_str(d, SHDICT_SET, "key", repeat('o', 100), 100, 0,
                             NULL), 0);
    for (int i = 0; i < FILLERS; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(put_str(d, SHDICT_SET, key,
                                 repeat((char)('a' + i), 200), 200, 0, NULL),
                         0);
    }
    if (s->needs_repair) {
        d->r->lru_tail = 0;
        d->r->op = OP_STORE;
    }
}

/* Run s in a child that dies at crash point k; 1 if it died there, 0 if
 * the operation finished first. */
static int die_in(struct shdict *d, const struct scenario *s, int k)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        die_at = k;
        shdict_set_step_hook(d, die_on_step, NULL);
        s->act(d);
        _exit(COMPLETED);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_true(WEXITSTATUS(status) == DIED
                || WEXITSTATUS(status) == COMPLETED);
    return WEXITSTATUS(status) == DIED;
}

/* For each operation, a child dies at each of its crash points in turn;
 * the next locker repairs what it left (some deaths leave the structures
 * broken), and every value is one that was written whole. */
static void test_die_at_every_step(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(SHDICT_MIN_SIZE, &now);
    char err[200], note[224];
    (void)state;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        const struct scenario *s = &scenarios[i];
        int k = 1, broken = 0;
        unsigned repairs = shdict_repairs(d, note, sizeof(note));
        for (prepare(d, s); die_in(d, s, k); prepare(d, s), k++) {
            uint32_t damaged = d->r->damaged;
            if (shdict_check_locked(d, err, sizeof(err)) != 0) broken++;
            d->r->damaged = damaged;         /* as the child left it */
            assert_int_equal(shdict_repairs(d, note, sizeof(note)),
                             ++repairs);
            assert_contains(note, "died holding the lock in");
            assert_contains(note, s->what);
            assert_consistent(d);
            assert_values(d, s->keeps_all);
            assert_int_equal(put_num(d, "after", 1), SHDICT_OK);
        }
        print_message("scenario %zu (%s): %d crash points, %d left it "
                      "broken\n", i, s->what, k - 1, broken);
        if (k < 3 || broken == 0)
            fail_msg("scenario %zu: %d crash points, %d broken", i, k - 1,
                     broken);
    }
    shdict_destroy(d);
}

/* A child that dies right after taking the lock leaves nothing to
 * repair; the parent takes the lock and finds every value. */
static void test_die_holding_lock(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(SHDICT_MIN_SIZE, &now);
    char note[224];
    (void)state;
    prepare(d, &scenarios[0]);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        shdict_lock(d, OP_STORE);
        _exit(COMPLETED);
    }
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_true(has(d, "key"));
    assert_int_equal(shdict_repairs(d, note, sizeof(note)), 1);
    assert_contains(note, "in a store: nothing to repair");
    assert_values(d, 1);
    shdict_destroy(d);
}

#define CHURN_MAX 2048  /* bytes in a value churn writes */

/* The byte at j of the value churn writes under c<i> with length len. */
static char churn_byte(int i, size_t len, size_t j)
{
    return (char)(i * 31 + (int)len + (int)j);
}

/* The value churn writes under c<i> with length len (CHURN_MAX at most):
 * a slice of a table of every byte value over and over, so that making it
 * costs nothing and the loop spends its time in the dictionary. */
static const char *churn_value(int i, size_t len)
{
    static char table[256 + CHURN_MAX];
    if (table[1] == 0)
        for (size_t j = 0; j < sizeof(table); j++) table[j] = (char)j;
    return table + (size_t)churn_byte(i, len, 0) % 256;
}

/* A child's tight loop, until it is killed: strings of random lengths
 * under c0 .. c63 (evicting, in 16 KiB), counters n0 .. n7, deletes. It
 * writes a byte to `ready` once it is running. */
static void churn(struct shdict *d, unsigned seed, int ready)
{
    char key[16];
    double sum;
    for (long ops = 0;; ops++) {
        if (ops == 100 && write(ready, "", 1) != 1) _exit(1);
        int i = rand_r(&seed) % 64, what = rand_r(&seed) % 8;
        size_t len = (size_t)(rand_r(&seed) % CHURN_MAX);
        if (what == 0) {
            snprintf(key, sizeof(key), "n%d", i % 8);
            double zero = 0;
            shdict_incr(d, key, strlen(key), 1, &zero, 0, &sum, NULL);
            continue;
        }
        snprintf(key, sizeof(key), "c%d", i);
        if (what == 1) {
            shdict_delete(d, key, strlen(key));
            continue;
        }
        put_str(d, SHDICT_SET, key, churn_value(i, len), len, 0, NULL);
    }
}

/* Every value churn left is one it wrote whole. */
static void assert_churned(struct shdict *d)
{
    static char buf[65536], val[CHURN_MAX];
    size_t used, klen, pos = 0;
    unsigned n;
    const char *key;
    char name[64];
    struct shdict_value v;
    assert_int_equal(shdict_get_keys(d, 0, buf, sizeof(buf), &used, &n), 0);
    while (shdict_keys_next(buf, used, &pos, &key, &klen)) {
        snprintf(name, sizeof(name), "%.*s", (int)klen, key);
        assert_int_equal(get_into(d, name, &v, val, sizeof(val)), 0);
        if (name[0] == 'n') {
            assert_int_equal(v.type, SHDICT_NUMBER);
            assert_true(v.num >= 1 && v.num == (double)(long)v.num);
            continue;
        }
        assert_int_equal(v.type, SHDICT_STRING);
        for (size_t j = 0; j < v.len; j++)
            if (v.str[j] != churn_byte(atoi(name + 1), v.len, j))
                fail_msg("%s: byte %zu of %zu is torn", name, j, v.len);
    }
}

/* Children SIGKILLed at random moments of a tight store loop, for about a
 * second: after each, the dictionary is consistent and whole, and most
 * deaths were inside the lock. */
static void test_sigkill_loop(void **state)
{
    char err[200], note[224];
    struct shdict *d = shdict_create(16384, err, sizeof(err));
    int rounds = 0;
    (void)state;
    assert_non_null(d);
    srand(12345);
    double start = clock_now();
    while (rounds < 300 && clock_now() - start < 1.0) {
        int ready[2];
        char byte;
        assert_int_equal(pipe(ready), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) churn(d, (unsigned)getpid(), ready[1]);
        assert_int_equal(read(ready[0], &byte, 1), 1);
        close(ready[0]);
        close(ready[1]);
        usleep((useconds_t)(rand() % 1000));
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_consistent(d);
        assert_churned(d);
        rounds++;
    }
    unsigned repairs = shdict_repairs(d, note, sizeof(note));
    print_message("%d kills, %u inside the lock; last: %s\n", rounds, repairs,
                  note);
    assert_true(rounds >= 20);
    assert_true(repairs >= 3 && repairs >= (unsigned)rounds / 8);
    assert_int_equal(put_num(d, "after", 1), SHDICT_OK);
    assert_true(has(d, "after"));
    shdict_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_die_at_every_step),
        cmocka_unit_test(test_die_holding_lock),
        cmocka_unit_test(test_sigkill_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
