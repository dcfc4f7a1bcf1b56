/* test_shdict.c: the shared dictionary in one process: OpenResty's results
 * for each method, expiry on a clock the test moves, LRU eviction and
 * forcible, get_keys. The allocator and scribbled regions are in
 * test_shdict_heap.c, the robust lock in test_shdict_crash.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shdict_test_util.h"
#include "test_util.h"

/* Sizes out of range are refused with a reason; capacity is the size. */
static void test_create(void **state)
{
    char err[200] = "";
    (void)state;
    assert_null(shdict_create(SHDICT_MIN_SIZE - 1, err, sizeof(err)));
    assert_contains(err, "8191");
    assert_null(shdict_create((size_t)SHDICT_MAX_SIZE + 1, err, sizeof(err)));
    struct shdict *d = shdict_create(65536, err, sizeof(err));
    assert_non_null(d);
    assert_int_equal(shdict_capacity(d), 65536);
    size_t free_space = shdict_free_space(d);
    assert_true(free_space > 60000 && free_space < 65536);
    assert_consistent(d);
    shdict_destroy(d);
}

/* get returns what set stored, with its type tag and flags. */
static void test_types(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(16384, &now);
    struct shdict_value v, t = {.type = SHDICT_BOOLEAN, .num = 7};
    char buf[64];
    (void)state;
    assert_int_equal(put_str(d, SHDICT_SET, "s", "a\0b", 3, 0, NULL), 0);
    assert_int_equal(get_into(d, "s", &v, buf, sizeof(buf)), SHDICT_OK);
    assert_int_equal(v.type, SHDICT_STRING);
    assert_int_equal(v.len, 3);
    assert_memory_equal(v.str, "a\0b", 3);
    assert_int_equal(put_num(d, "s", -2.5), 0);   /* another type */
    assert_int_equal(get_into(d, "s", &v, buf, sizeof(buf)), SHDICT_OK);
    assert_int_equal(v.type, SHDICT_NUMBER);
    assert_true(v.num == -2.5);
    t.flags = 42;
    assert_int_equal(shdict_store(d, SHDICT_SET, "b", 1, &t, 0, NULL), 0);
    assert_int_equal(get_into(d, "b", &v, buf, sizeof(buf)), SHDICT_OK);
    assert_int_equal(v.type, SHDICT_BOOLEAN);
    assert_true(v.num == 1);
    assert_int_equal(v.flags, 42);
    assert_int_equal(put_str(d, SHDICT_SET, "e", "", 0, 0, NULL), 0);
    assert_int_equal(get_into(d, "e", &v, NULL, 0), SHDICT_OK);
    assert_int_equal(v.len, 0);
    assert_int_equal(put_str(d, SHDICT_SET, "long", "0123456789", 10, 0,
                             NULL), 0);
    assert_int_equal(get_into(d, "long", &v, buf, 4), SHDICT_TOO_SMALL);
    assert_int_equal(v.len, 10);
    assert_int_equal(get_into(d, "none", &v, buf, 4), SHDICT_NOT_FOUND);
    struct shdict_value nil = {.type = SHDICT_NIL};
    assert_int_equal(shdict_store(d, SHDICT_SET, "b", 1, &nil, 0, NULL), 0);
    assert_false(has(d, "b"));
    assert_int_equal(shdict_delete(d, "s", 1), SHDICT_OK);
    assert_int_equal(shdict_delete(d, "s", 1), SHDICT_OK);
    assert_false(has(d, "s"));
    assert_consistent(d);
    shdict_destroy(d);
}

/* add, safe_add and replace: "exists" and "not found", expired keys count
 * as absent; bad keys and expiry times are refused with OpenResty's
 * words. */
static void test_store_ops(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(16384, &now);
    struct shdict_value v;
    char buf[64], big[SHDICT_KEY_MAX + 1];
    (void)state;
    assert_int_equal(put_str(d, SHDICT_ADD, "k", "1", 1, 5, NULL), SHDICT_OK);
    assert_int_equal(put_str(d, SHDICT_ADD, "k", "2", 1, 0, NULL),
                     SHDICT_EXISTS);
    assert_int_equal(put_str(d, SHDICT_SAFE_ADD, "k", "2", 1, 0, NULL),
                     SHDICT_EXISTS);
    assert_int_equal(put_str(d, SHDICT_REPLACE, "k", "3", 1, 0, NULL), 0);
    assert_int_equal(get_into(d, "k", &v, buf, sizeof(buf)), SHDICT_OK);
    assert_memory_equal(v.str, "3", 1);
    assert_int_equal(put_str(d, SHDICT_REPLACE, "x", "3", 1, 0, NULL),
                     SHDICT_NOT_FOUND);
    assert_false(has(d, "x"));
    assert_int_equal(put_str(d, SHDICT_SET, "t", "1", 1, 5, NULL), 0);
    now += 5;                                 /* t expires */
    assert_int_equal(put_str(d, SHDICT_REPLACE, "t", "2", 1, 0, NULL),
                     SHDICT_NOT_FOUND);
    assert_int_equal(put_str(d, SHDICT_SET, "t", "1", 1, 5, NULL), 0);
    now += 6;
    assert_int_equal(put_str(d, SHDICT_SAFE_ADD, "t", "2", 1, 0, NULL), 0);
    assert_true(has(d, "t"));
    assert_int_equal(put_str(d, SHDICT_SET, "", "1", 1, 0, NULL),
                     SHDICT_EMPTY_KEY);
    memset(big, 'k', sizeof(big));
    struct shdict_value one = {.type = SHDICT_NUMBER, .num = 1};
    assert_int_equal(shdict_store(d, SHDICT_SET, big, sizeof(big), &one, 0,
                                  NULL), SHDICT_KEY_TOO_LONG);
    assert_int_equal(shdict_store(d, SHDICT_SET, big, SHDICT_KEY_MAX, &one,
                                  0, NULL), SHDICT_NO_MEMORY);
    assert_int_equal(put_str(d, SHDICT_SET, "k", "1", 1, -1, NULL),
                     SHDICT_BAD_EXPTIME);
    assert_string_equal(shdict_strerror(SHDICT_EXISTS), "exists");
    assert_string_equal(shdict_strerror(SHDICT_NOT_FOUND), "not found");
    assert_string_equal(shdict_strerror(SHDICT_NO_MEMORY), "no memory");
    assert_string_equal(shdict_strerror(SHDICT_NOT_A_NUMBER), "not a number");
    assert_string_equal(shdict_strerror(99), "unknown error");
    assert_consistent(d);
    shdict_destroy(d);
}

/* incr: "not found" without init, init + n with it (and its TTL), "not a
 * number" on a string; an existing key keeps its TTL. */
static void test_incr(void **state)
{
    double now = 100, val = 0, ttl = -1, init = 10;
    struct shdict *d = dict_new(16384, &now);
    int forcible = -1;
    (void)state;
    assert_int_equal(shdict_incr(d, "n", 1, 1, NULL, 0, &val, &forcible),
                     SHDICT_NOT_FOUND);
    assert_false(has(d, "n"));
    assert_int_equal(shdict_incr(d, "n", 1, 2, &init, 0, &val, &forcible), 0);
    assert_true(val == 12);
    assert_int_equal(forcible, 0);
    assert_int_equal(shdict_incr(d, "n", 1, -0.5, &init, 0, &val, NULL), 0);
    assert_true(val == 11.5);
    assert_int_equal(shdict_incr(d, "t", 1, 1, &init, 3, &val, NULL), 0);
    now += 2;
    assert_int_equal(shdict_incr(d, "t", 1, 1, NULL, 0, &val, NULL), 0);
    assert_true(val == 12);
    assert_int_equal(shdict_ttl(d, "t", 1, &ttl), 0);
    assert_true(ttl > 0.99 && ttl < 1.01);
    now += 1;                                 /* t expires: init again */
    assert_int_equal(shdict_incr(d, "t", 1, 1, NULL, 0, &val, NULL),
                     SHDICT_NOT_FOUND);
    assert_int_equal(shdict_incr(d, "t", 1, 5, &init, 0, &val, NULL), 0);
    assert_true(val == 15);
    assert_int_equal(put_str(d, SHDICT_SET, "s", "12", 2, 0, NULL), 0);
    assert_int_equal(shdict_incr(d, "s", 1, 1, &init, 0, &val, NULL),
                     SHDICT_NOT_A_NUMBER);
    assert_consistent(d);
    shdict_destroy(d);
}

/* ttl and expire on a moving clock; an expired key is invisible and its
 * memory comes back when it is next touched. */
static void test_expiry(void **state)
{
    double now = 100, ttl = -1;
    struct shdict *d = dict_new(16384, &now);
    (void)state;
    size_t empty = shdict_free_space(d);
    assert_int_equal(put_str(d, SHDICT_SET, "k", "v", 1, 10, NULL), 0);
    assert_int_equal(shdict_ttl(d, "k", 1, &ttl), 0);
    assert_true(ttl == 10);
    now += 4;
    assert_int_equal(shdict_ttl(d, "k", 1, &ttl), 0);
    assert_true(ttl == 6);
    assert_int_equal(shdict_expire(d, "k", 1, 0), 0);
    assert_int_equal(shdict_ttl(d, "k", 1, &ttl), 0);
    assert_true(ttl == 0);
    now += 1000;
    assert_true(has(d, "k"));
    assert_int_equal(shdict_expire(d, "k", 1, 0.5), 0);
    assert_int_equal(shdict_expire(d, "x", 1, 1), SHDICT_NOT_FOUND);
    assert_int_equal(shdict_ttl(d, "x", 1, &ttl), SHDICT_NOT_FOUND);
    assert_int_equal(shdict_expire(d, "k", 1, -1), SHDICT_BAD_EXPTIME);
    assert_true(shdict_free_space(d) < empty);
    now += 0.5;
    assert_int_equal(shdict_ttl(d, "k", 1, &ttl), SHDICT_NOT_FOUND);
    assert_int_equal(shdict_free_space(d), empty);   /* reclaimed */
    assert_int_equal(shdict_expire(d, "k", 1, 1), SHDICT_NOT_FOUND);
    assert_consistent(d);
    shdict_destroy(d);
}

/* flush_all empties it; flush_expired frees up to max expired entries. */
static void test_flush(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(16384, &now);
    char key[16];
    unsigned flushed = 99;
    (void)state;
    size_t empty = shdict_free_space(d);
    for (int i = 0; i < 8; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(put_str(d, SHDICT_SET, key, "v", 1, i < 5 ? 1 : 0,
                                 NULL), 0);
    }
    assert_int_equal(shdict_flush_expired(d, 0, &flushed), 0);
    assert_int_equal(flushed, 0);
    now += 2;
    assert_int_equal(shdict_flush_expired(d, 2, &flushed), 0);
    assert_int_equal(flushed, 2);
    assert_int_equal(shdict_flush_expired(d, 0, &flushed), 0);
    assert_int_equal(flushed, 3);
    assert_true(has(d, "k5") && has(d, "k7"));
    assert_consistent(d);
    assert_int_equal(shdict_flush_all(d), 0);
    assert_false(has(d, "k5") || has(d, "k6") || has(d, "k7"));
    assert_int_equal(shdict_free_space(d), empty);
    assert_consistent(d);
    shdict_destroy(d);
}

/* get_keys: most recent first, up to max, expired left out; a short
 * buffer is told the size it needs. */
static void test_get_keys(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(16384, &now);
    char buf[256];
    const char *key;
    size_t used, klen, pos = 0;
    unsigned n;
    (void)state;
    assert_int_equal(shdict_get_keys(d, 0, buf, sizeof(buf), &used, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(put_str(d, SHDICT_SET, "one", "1", 1, 0, NULL), 0);
    assert_int_equal(put_str(d, SHDICT_SET, "gone", "1", 1, 1, NULL), 0);
    assert_int_equal(put_str(d, SHDICT_SET, "three", "1", 1, 0, NULL), 0);
    assert_true(has(d, "one"));
    now += 1;
    assert_int_equal(shdict_get_keys(d, 0, buf, sizeof(buf), &used, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(shdict_keys_next(buf, used, &pos, &key, &klen), 1);
    assert_int_equal(klen, 3);
    assert_memory_equal(key, "one", 3);
    assert_int_equal(shdict_keys_next(buf, used, &pos, &key, &klen), 1);
    assert_memory_equal(key, "three", 5);
    assert_int_equal(shdict_keys_next(buf, used, &pos, &key, &klen), 0);
    assert_int_equal(shdict_get_keys(d, 1, buf, sizeof(buf), &used, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(used, sizeof(uint32_t) + 3);
    assert_int_equal(shdict_get_keys(d, 0, buf, 10, &used, &n),
                     SHDICT_TOO_SMALL);
    assert_int_equal(used, 2 * sizeof(uint32_t) + 8);
    shdict_destroy(d);
}

/* Is key among the live keys? (Unlike a get, the LRU order stays.) */
static int listed(struct shdict *d, const char *key)
{
    static char buf[65536];
    const char *k;
    size_t used, klen, pos = 0;
    unsigned n;
    assert_int_equal(shdict_get_keys(d, 0, buf, sizeof(buf), &used, &n), 0);
    while (shdict_keys_next(buf, used, &pos, &k, &klen))
        if (klen == strlen(key) && memcmp(k, key, klen) == 0) return 1;
    return 0;
}

/* When full, set evicts the least recently used entries and says
 * forcible; an expired entry at the tail goes first and is not forcible;
 * safe_set refuses with "no memory". */
static void test_lru_eviction(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(SHDICT_MIN_SIZE, &now);
    int forcible = -1;
    (void)state;
    int n = fill(d, 200);
    assert_true(n > 10);
    assert_true(has(d, "k0"));                /* k1 is now the oldest */
    assert_int_equal(put_str(d, SHDICT_SAFE_SET, "new", junk(), 200, 0,
                             &forcible), SHDICT_NO_MEMORY);
    assert_int_equal(forcible, 0);
    assert_true(listed(d, "k1"));
    assert_int_equal(put_str(d, SHDICT_SET, "new", junk(), 200, 0, &forcible),
                     SHDICT_OK);
    assert_int_equal(forcible, 1);
    assert_false(listed(d, "k1"));
    assert_true(listed(d, "k0") && listed(d, "k2"));
    assert_int_equal(shdict_expire(d, "k2", 2, 1), 0);   /* the oldest */
    now += 1;
    assert_int_equal(put_str(d, SHDICT_SET, "new2", junk(), 200, 0, &forcible),
                     SHDICT_OK);
    assert_int_equal(forcible, 0);
    assert_false(listed(d, "k2"));
    assert_true(listed(d, "k3"));
    assert_int_equal(put_str(d, SHDICT_SET, "new3", junk(), 200, 0, &forcible),
                     SHDICT_OK);
    assert_int_equal(forcible, 1);
    assert_false(listed(d, "k3"));
    assert_consistent(d);
    shdict_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_store_ops),
        cmocka_unit_test(test_incr),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_get_keys),
        cmocka_unit_test(test_lru_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
