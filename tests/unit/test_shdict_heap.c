/* test_shdict_heap.c: the shared dictionary's allocator (fill, free,
 * reuse, sizes up to the whole heap, fragmentation and merging) and what
 * happens to a region scribbled over: offsets out of bounds are never
 * followed, and the rebuild from the heap keeps what it can. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "shdict_int.h"
#include "shdict_test_util.h"
#include "test_util.h"

/* Delete k<i> for i in [from, to). */
static void delete_range(struct shdict *d, int from, int to)
{
    char key[16];
    for (int i = from; i < to; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(shdict_delete(d, key, strlen(key)), SHDICT_OK);
    }
}

/* Emptying gives every byte back and the same entries fit again; values
 * of every size up to the whole heap come back intact; one byte more than
 * the heap holds is "no memory" even for set. */
static void test_alloc_fill_reuse(void **state)
{
    static const size_t sizes[] = {0, 1, 7, 8, 9, 100, 1000, 30000};
    double now = 100;
    struct shdict *d = dict_new(65536, &now);
    struct shdict_value v;
    static char back[65536];
    (void)state;
    size_t empty = shdict_free_space(d);
    size_t max = empty - SHDICT_ENTRY_OVERHEAD - 1;   /* key "m" */
    int n = fill(d, 100);
    assert_true(n > 300);
    assert_true(shdict_free_space(d) < 160);
    delete_range(d, 0, n);
    assert_int_equal(shdict_free_space(d), empty);
    assert_consistent(d);
    assert_int_equal(fill(d, 100), n);
    assert_int_equal(shdict_flush_all(d), 0);
    char *bytes = junk();
    for (size_t i = 0; i < 65536; i++) bytes[i] = (char)(i * 7 + 1);
    for (size_t i = 0; i <= sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t len = i < sizeof(sizes) / sizeof(sizes[0]) ? sizes[i] : max;
        assert_int_equal(put_str(d, SHDICT_SAFE_SET, "m", bytes, len, 0, NULL),
                         SHDICT_OK);
        assert_int_equal(get_into(d, "m", &v, back, sizeof(back)), 0);
        assert_int_equal(v.len, len);
        assert_memory_equal(back, bytes, len);
    }
    assert_int_equal(shdict_free_space(d), 0);
    assert_int_equal(put_str(d, SHDICT_SET, "m", junk(), max + 1, 0, NULL),
                     SHDICT_NO_MEMORY);
    assert_false(has(d, "m"));               /* as in OpenResty: gone */
    assert_int_equal(put_str(d, SHDICT_SET, "m", junk(), max, 0, NULL), 0);
    int forcible = 0;
    assert_int_equal(put_str(d, SHDICT_SET, "s", junk(), 1, 0, &forcible), 0);
    assert_int_equal(forcible, 1);
    assert_false(has(d, "m"));
    assert_consistent(d);
    shdict_destroy(d);
}

/* Freed neighbours merge: two holes apart cannot hold a value twice their
 * size; joined by the block between them, they can. */
static void test_alloc_fragmentation(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(16384, &now);
    size_t two_blocks = 2 * 264 - SHDICT_ENTRY_OVERHEAD - 3;
    int forcible = -1;
    (void)state;
    int n = fill(d, 200);                    /* 264-byte blocks */
    assert_true(n > 20);
    delete_range(d, 3, 4);
    delete_range(d, 5, 6);
    assert_true(shdict_free_space(d) >= 2 * 264);
    assert_int_equal(put_str(d, SHDICT_SAFE_SET, "big", junk(), two_blocks, 0,
                             NULL), SHDICT_NO_MEMORY);
    assert_consistent(d);
    delete_range(d, 4, 5);
    assert_int_equal(put_str(d, SHDICT_SET, "big", junk(), two_blocks, 0,
                             &forcible), SHDICT_OK);
    assert_int_equal(forcible, 0);
    assert_int_equal(put_str(d, SHDICT_SAFE_ADD, "k3", junk(), 200, 0, NULL),
                     SHDICT_OK);              /* the third block's room */
    assert_int_equal(put_str(d, SHDICT_SAFE_ADD, "k4", junk(), 200, 0, NULL),
                     SHDICT_NO_MEMORY);
    assert_consistent(d);
    shdict_destroy(d);
}

/* Put numbers under k0 .. k<n-1>. */
static void put_numbers(struct shdict *d, int n)
{
    char key[16];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(put_num(d, key, i), SHDICT_OK);
    }
}

/* Fail unless k0 .. k<n-1> are all there. */
static void assert_numbers(struct shdict *d, int n)
{
    char key[16];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        if (!has(d, key)) fail_msg("%s is missing", key);
    }
}

/* The offset of key's entry. */
static uint32_t entry_of(struct shdict *d, const char *key)
{
    size_t len = strlen(key);
    uint32_t off = shdict_find(d, key, len, shdict_hash(key, len));
    assert_true(off != 0);
    return off;
}

/* Scribbled offsets are never followed: the operation that meets one says
 * so, and the dictionary is rebuilt from its heap with every entry. */
static void test_damage_offsets(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(16384, &now);
    char note[224], key[16];
    struct shdict_value v;
    (void)state;
    put_numbers(d, 10);
    d->r->lru_head = 3;                      /* not a block */
    assert_int_equal(put_num(d, "new", 1), SHDICT_CORRUPT);
    assert_int_equal(shdict_repairs(d, note, sizeof(note)), 1);
    assert_contains(note, "out of bounds");
    assert_consistent(d);
    assert_numbers(d, 10);
    uint32_t off = entry_of(d, "k1");        /* its chain loops */
    struct entry *e = (struct entry *)(d->base + off);
    e->hnext = off;
    uint32_t mask = d->nbuckets - 1;
    for (int i = 0;; i++) {                  /* an absent key there */
        snprintf(key, sizeof(key), "x%d", i);
        if ((shdict_hash(key, strlen(key)) & mask) == (e->hash & mask)) break;
    }
    assert_int_equal(get_into(d, key, &v, NULL, 0), SHDICT_CORRUPT);
    assert_int_equal(shdict_repairs(d, note, sizeof(note)), 2);
    assert_consistent(d);
    assert_numbers(d, 10);
    shdict_destroy(d);
}

/* A block size scribbled over breaks the tiling: the check says so, and
 * the rebuild keeps the entries before it and frees the rest. */
static void test_damage_tiling(void **state)
{
    double now = 100;
    struct shdict *d = dict_new(16384, &now);
    char err[200] = "", note[224];
    (void)state;
    size_t empty = shdict_free_space(d);
    put_numbers(d, 10);
    struct block *b = (struct block *)(d->base + entry_of(d, "k5"));
    b->size = 0xfffffff1u;
    assert_int_equal(shdict_check(d, err, sizeof(err)), -1);
    assert_contains(err, "bad size");
    assert_int_equal(shdict_repairs(d, note, sizeof(note)), 1);
    assert_contains(note, "5 entries kept");
    assert_consistent(d);
    assert_numbers(d, 5);
    assert_false(has(d, "k5") || has(d, "k9"));
    assert_int_equal(shdict_free_space(d), empty - 5 * 64);
    shdict_destroy(d);
}

/* An offset to the heap's last 16 bytes, made to look like a used block:
 * nothing past the mapping's end is read (a page that faults follows it,
 * when the kernel places the region below the page mapped just before). */
static void test_damage_at_the_end(void **state)
{
    double now = 100;
    struct shdict_value v;
    (void)state;
    char *guard = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
    assert_true(guard != MAP_FAILED);
    struct shdict *d = dict_new(SHDICT_MIN_SIZE, &now);   /* two pages */
    if (d->base + SHDICT_MIN_SIZE != guard) {
        shdict_destroy(d);
        munmap(guard, 4096);
        skip();
    }
    assert_int_equal(d->heap_end, SHDICT_MIN_SIZE);
    uint32_t last = d->heap_end - MIN_BLOCK;
    struct block *b = (struct block *)(d->base + last);
    b->size = MIN_BLOCK | BLOCK_USED;        /* inside the free tail */
    d->buckets[shdict_hash("k", 1) & (d->nbuckets - 1)] = last;
    assert_int_equal(get_into(d, "k", &v, NULL, 0), SHDICT_CORRUPT);
    assert_consistent(d);
    assert_int_equal(put_num(d, "k", 1), SHDICT_OK);
    shdict_destroy(d);
    munmap(guard, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_fill_reuse),
        cmocka_unit_test(test_alloc_fragmentation),
        cmocka_unit_test(test_damage_offsets),
        cmocka_unit_test(test_damage_tiling),
        cmocka_unit_test(test_damage_at_the_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
