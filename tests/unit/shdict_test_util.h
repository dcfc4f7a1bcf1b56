/* shdict_test_util.h: helpers for the shared dictionary's tests (after
 * cmocka.h): a clock the test moves, short forms of store and get, and
 * the consistency check as an assertion. */
#ifndef TINE_SHDICT_TEST_UTIL_H
#define TINE_SHDICT_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "shdict.h"

/* The clock a test moves: monotonic seconds in *arg. */
static inline double test_clock(void *arg)
{
    return *(double *)arg;
}

/* A dictionary of `size` bytes reading its time from *now. */
static inline struct shdict *dict_new(size_t size, double *now)
{
    char err[200] = "";
    struct shdict *d = shdict_create(size, err, sizeof(err));
    if (!d) fail_msg("shdict_create(%zu): %s", size, err);
    shdict_set_clock(d, test_clock, now);
    return d;
}

/* Store `len` bytes of val under key with op; the result. */
static inline int put_str(struct shdict *d, enum shdict_store_op op,
                          const char *key, const char *val, size_t len,
                          double exptime, int *forcible)
{
    struct shdict_value v = {.type = SHDICT_STRING, .str = val, .len = len};
    return shdict_store(d, op, key, strlen(key), &v, exptime, forcible);
}

/* Store number n under key (set, no expiry); the result. */
static inline int put_num(struct shdict *d, const char *key, double n)
{
    struct shdict_value v = {.type = SHDICT_NUMBER, .num = n};
    return shdict_store(d, SHDICT_SET, key, strlen(key), &v, 0, NULL);
}

/* Get key into *v, a string into buf of `size` bytes; the result. */
static inline int get_into(struct shdict *d, const char *key,
                           struct shdict_value *v, char *buf, size_t size)
{
    return shdict_get(d, key, strlen(key), v, buf, size);
}

/* Is key present (live)? Like any get, it makes key the most recent. */
static inline int has(struct shdict *d, const char *key)
{
    struct shdict_value v;
    static char buf[1 << 17];
    int rc = get_into(d, key, &v, buf, sizeof(buf));
    return rc == SHDICT_OK || rc == SHDICT_TOO_SMALL;
}

/* 64 KiB of value bytes, for tests that only care about sizes. */
static inline char *junk(void)
{
    static char bytes[65536];
    return bytes;
}

/* Add entries of `len` bytes named k0, k1, ... until the next would not
 * fit without eviction; how many. */
static inline int fill(struct shdict *d, size_t len)
{
    char key[16];
    int n = 0;
    for (;; n++) {
        snprintf(key, sizeof(key), "k%d", n);
        int rc = put_str(d, SHDICT_SAFE_ADD, key, junk(), len, 0, NULL);
        if (rc == SHDICT_NO_MEMORY) return n;
        assert_int_equal(rc, SHDICT_OK);
    }
}

/* Fail unless every structure agrees with the heap. */
static inline void assert_consistent(struct shdict *d)
{
    char err[200] = "";
    if (shdict_check(d, err, sizeof(err)) != 0)
        fail_msg("inconsistent dictionary: %s", err);
}

#endif
