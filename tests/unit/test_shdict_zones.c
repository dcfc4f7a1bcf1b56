/* test_shdict_zones.c: SharedDict items ("name=size") are read and
 * checked, and the master's set of mapped dictionaries keeps a name whose
 * size stays, maps anew one whose size changes, and unmaps what no
 * settings name any more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shdict.h"
#include "shdict_zones.h"

/* A list of the given items (at most 4). */
struct items {
    char *v[4];
    struct string_list l;
};

static const struct string_list *list_of(struct items *it, int n,
                                         const char *a, const char *b)
{
    it->v[0] = (char *)a;
    it->v[1] = (char *)b;
    it->l.n = n;
    it->l.items = it->v;
    return &it->l;
}

/* Sizes in bytes or with k, m or g (either case); names kept. */
static void test_parse_sizes(void **state)
{
    char name[SHDICT_NAME_MAX], err[256];
    size_t size = 0;
    (void)state;
    assert_int_equal(shdict_zone_parse("cache=10m", name, &size, err,
                                       sizeof(err)), 0);
    assert_string_equal(name, "cache");
    assert_int_equal(size, 10 * 1024 * 1024);
    assert_int_equal(shdict_zone_parse("_x1=1048576", name, &size, err,
                                       sizeof(err)), 0);
    assert_int_equal(size, 1048576);
    assert_int_equal(shdict_zone_parse("a=64K", name, &size, err,
                                       sizeof(err)), 0);
    assert_int_equal(size, 65536);
    assert_int_equal(shdict_zone_parse("a=1g", name, &size, err,
                                       sizeof(err)), 0);
    assert_int_equal(size, 1024UL * 1024 * 1024);
}

/* Each malformed item is refused with a reason naming what is wrong. */
static void test_parse_refuses(void **state)
{
    static const struct {
        const char *item, *why;
    } cases[] = {
        {"cache", "is not name=size"},
        {"=10m", "is not a name"},
        {"1st=10m", "is not a name"},
        {"end=10m", "is not a name"},
        {"a-b=10m", "is not a name"},
        {"cache=", "is not a size"},
        {"cache=10x", "is not a size"},
        {"cache=-5", "is not a size"},
        {"cache=1.5m", "is not a size"},
        {"cache=4g", "is not a size"},
        {"cache=8191", "less than the least"},
    };
    char name[SHDICT_NAME_MAX], err[256];
    size_t size;
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        assert_int_equal(shdict_zone_parse(cases[i].item, name, &size, err,
                                           sizeof(err)), -1);
        if (!strstr(err, cases[i].why))
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].item, err,
                     cases[i].why);
    }
}

/* The check names SharedDict, and refuses a name given twice. */
static void test_check(void **state)
{
    struct items it;
    char err[256];
    (void)state;
    assert_int_equal(shdict_zones_check(list_of(&it, 2, "a=8k", "b=1m"), err,
                                        sizeof(err)), 0);
    assert_int_equal(shdict_zones_check(list_of(&it, 2, "a=8k", "a=1m"), err,
                                        sizeof(err)), -1);
    assert_string_equal(err, "SharedDict: a is given twice");
    assert_int_equal(shdict_zones_check(list_of(&it, 1, "a=1k", NULL), err,
                                        sizeof(err)), -1);
    assert_non_null(strstr(err, "SharedDict: a: 1024 bytes"));
}

/* Ensure maps what is missing; the same name and size is the same
 * dictionary (its data kept); another size is another dictionary; prune
 * drops what neither list names. */
static void test_ensure_and_prune(void **state)
{
    struct shdict_zones zs = {0};
    struct items a, b;
    char err[256];
    (void)state;
    assert_int_equal(shdict_zones_ensure(&zs, list_of(&a, 2, "x=8k", "y=16k"),
                                         err, sizeof(err)), 0);
    assert_int_equal(zs.n, 2);
    struct shdict *x = shdict_zones_find(&zs, "x", 8192);
    assert_non_null(x);
    assert_null(shdict_zones_find(&zs, "x", 16384));
    struct shdict_value v = {.type = SHDICT_NUMBER, .num = 7};
    assert_int_equal(shdict_store(x, SHDICT_SET, "k", 1, &v, 0, NULL), 0);
    assert_int_equal(shdict_zones_ensure(&zs, list_of(&b, 2, "x=8k", "y=32k"),
                                         err, sizeof(err)), 0);
    assert_int_equal(zs.n, 3);
    assert_ptr_equal(shdict_zones_find(&zs, "x", 8192), x);
    assert_non_null(shdict_zones_find(&zs, "y", 32768));
    shdict_zones_prune(&zs, &b.l, NULL);
    assert_int_equal(zs.n, 2);
    assert_null(shdict_zones_find(&zs, "y", 16384));
    struct shdict_value got;
    assert_int_equal(shdict_get(x, "k", 1, &got, NULL, 0), SHDICT_OK);
    assert_true(got.num == 7);
    shdict_zones_free(&zs);
    assert_int_equal(zs.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_sizes),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_ensure_and_prune),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
