/* test_access.c: Allow and Deny: parsing addresses and CIDR blocks, building
 * lists from settings, and which peers are let in. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "access.h"

/* A peer address of any family, big enough for all of them. */
union peer {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
    struct sockaddr_un un;
};

/* The peer with numeric address text (IPv4 or IPv6). */
static union peer peer(const char *text)
{
    union peer p;
    memset(&p, 0, sizeof(p));
    if (inet_pton(AF_INET, text, &p.in.sin_addr) == 1) {
        p.in.sin_family = AF_INET;
        p.in.sin_port = htons(40000);
    } else if (inet_pton(AF_INET6, text, &p.in6.sin6_addr) == 1) {
        p.in6.sin6_family = AF_INET6;
        p.in6.sin6_port = htons(40000);
    } else {
        fail_msg("bad test address %s", text);
    }
    return p;
}

/* A list built from n entries; the test fails if it is refused. */
static struct access_list list_of(const char *const *items, int n)
{
    struct string_list src = {n, (char **)items};
    struct access_list l;
    char err[256] = "";
    if (access_build("Allow", &src, &l, err, sizeof(err)) < 0)
        fail_msg("access_build refused: %s", err);
    return l;
}

/* Is the peer at `addr` let in by these lists? */
static int permits(const struct access_list *allow,
                   const struct access_list *deny, const char *addr)
{
    union peer p = peer(addr);
    return access_permits(allow, deny, &p.sa);
}

/* ---- access_parse ------------------------------------------------------ */

/* A plain IPv4 address is a /32 rule with its bytes. */
static void test_parse_ipv4(void **state)
{
    static const unsigned char want[4] = {192, 168, 1, 7};
    struct access_rule r;
    char err[128];
    (void)state;
    assert_int_equal(access_parse("192.168.1.7", &r, err, sizeof(err)), 0);
    assert_int_equal(r.family, AF_INET);
    assert_int_equal(r.prefix, 32);
    assert_memory_equal(r.addr, want, 4);
}

/* A plain IPv6 address is a /128 rule with its bytes. */
static void test_parse_ipv6(void **state)
{
    unsigned char want[16] = {0};
    struct access_rule r;
    char err[128];
    (void)state;
    want[15] = 1;
    assert_int_equal(access_parse("::1", &r, err, sizeof(err)), 0);
    assert_int_equal(r.family, AF_INET6);
    assert_int_equal(r.prefix, 128);
    assert_memory_equal(r.addr, want, 16);
}

/* CIDR blocks of both families, including /0 and the full length. */
static void test_parse_cidr(void **state)
{
    static const unsigned char db8[4] = {0x20, 0x01, 0x0d, 0xb8};
    struct access_rule r;
    char err[128];
    (void)state;
    assert_int_equal(access_parse("10.0.0.0/8", &r, err, sizeof(err)), 0);
    assert_int_equal(r.family, AF_INET);
    assert_int_equal(r.prefix, 8);
    assert_int_equal(r.addr[0], 10);
    assert_int_equal(access_parse("2001:db8::/32", &r, err, sizeof(err)), 0);
    assert_int_equal(r.family, AF_INET6);
    assert_int_equal(r.prefix, 32);
    assert_memory_equal(r.addr, db8, 4);
    assert_int_equal(access_parse("0.0.0.0/0", &r, err, sizeof(err)), 0);
    assert_int_equal(r.prefix, 0);
    assert_int_equal(access_parse("::/0", &r, err, sizeof(err)), 0);
    assert_int_equal(r.family, AF_INET6);
    assert_int_equal(r.prefix, 0);
    assert_int_equal(access_parse("1.2.3.4/32", &r, err, sizeof(err)), 0);
    assert_int_equal(r.prefix, 32);
    assert_int_equal(access_parse("::1/128", &r, err, sizeof(err)), 0);
    assert_int_equal(r.prefix, 128);
    assert_int_equal(access_parse("::ffff:10.0.0.0/104", &r, err,
                                  sizeof(err)), 0);
    assert_int_equal(r.family, AF_INET6);
    assert_int_equal(r.prefix, 104);
}

/* Malformed entries are refused with a message quoting them. */
static void test_parse_refusals(void **state)
{
    static const char *const bad[] = {
        "10.0.0.0/33", "::1/129", "abc", "1.2.3.4/", "1.2.3.4/x", "",
        "/8", "1.2.3.4/8x", "1.2.3", "1.2.3.4.5", "10.0.0.0/-1", "::1/-1",
        "[::1]", "1.2.3.4/8/8", "256.0.0.0", "localhost",
        "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct access_rule r;
        char err[256] = "", quoted[128];
        if (access_parse(bad[i], &r, err, sizeof(err)) != -1)
            fail_msg("access_parse accepted \"%s\"", bad[i]);
        snprintf(quoted, sizeof(quoted), "\"%s\"", bad[i]);
        if (!strstr(err, quoted))
            fail_msg("\"%s\" does not quote %s", err, quoted);
    }
}

/* A prefix must be plain digits: a sign or a space before them is
 * refused. "10.0.0.0/-0" would otherwise be a /0 that matches every IPv4
 * peer. Runtime bug: access_parse reads the prefix with strtol, which
 * skips leading spaces and takes a sign. */
static void test_parse_prefix_digits_only(void **state)
{
    static const char *const bad[] = {"10.0.0.0/-0", "10.0.0.0/+8",
                                      "10.0.0.0/ 8", "::/-0"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct access_rule r;
        char err[256] = "";
        if (access_parse(bad[i], &r, err, sizeof(err)) != -1)
            fail_msg("access_parse accepted \"%s\" as /%d", bad[i], r.prefix);
    }
}

/* ---- access_build ------------------------------------------------------ */

/* A list's entries become rules in order; an empty list has none. */
static void test_build(void **state)
{
    static const char *const items[] = {"10.0.0.0/8", "::1", "1.2.3.4"};
    (void)state;
    struct access_list l = list_of(items, 3);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.rules[0].prefix, 8);
    assert_int_equal(l.rules[1].family, AF_INET6);
    assert_int_equal(l.rules[2].addr[3], 4);
    access_free(&l);
    assert_int_equal(l.n, 0);
    assert_null(l.rules);
    l = list_of(NULL, 0);
    assert_int_equal(l.n, 0);
    access_free(&l);
}

/* A bad entry: -1, a message starting with the setting's name and quoting
 * the entry, and an empty list left behind. */
static void test_build_error_names_setting(void **state)
{
    static const char *const items[] = {"10.0.0.0/8", "10.0.0.0/33"};
    struct string_list src = {2, (char **)items};
    struct access_list l;
    char err[256] = "";
    (void)state;
    assert_int_equal(access_build("Allow", &src, &l, err, sizeof(err)), -1);
    assert_int_equal(strncmp(err, "Allow: ", 7), 0);
    assert_non_null(strstr(err, "\"10.0.0.0/33\""));
    assert_int_equal(l.n, 0);
    assert_null(l.rules);
    assert_int_equal(access_build("Deny", &src, &l, err, sizeof(err)), -1);
    assert_int_equal(strncmp(err, "Deny: ", 6), 0);
}

/* ---- access_permits ---------------------------------------------------- */

/* Both lists empty: everyone is let in. */
static void test_empty_lists_permit(void **state)
{
    struct access_list none = {0, NULL};
    (void)state;
    assert_true(permits(&none, &none, "1.2.3.4"));
    assert_true(permits(&none, &none, "2001:db8::1"));
}

/* A peer matching Deny is refused; others are let in. */
static void test_deny(void **state)
{
    static const char *const deny_items[] = {"10.0.0.0/8", "2001:db8::/32"};
    struct access_list none = {0, NULL}, deny = list_of(deny_items, 2);
    (void)state;
    assert_false(permits(&none, &deny, "10.1.2.3"));
    assert_false(permits(&none, &deny, "2001:db8:1::5"));
    assert_true(permits(&none, &deny, "11.1.2.3"));
    assert_true(permits(&none, &deny, "2001:db9::1"));
    access_free(&deny);
}

/* A non-empty Allow lets in only the peers it matches. */
static void test_allow(void **state)
{
    static const char *const allow_items[] = {"192.168.1.7", "::1"};
    struct access_list none = {0, NULL}, allow = list_of(allow_items, 2);
    (void)state;
    assert_true(permits(&allow, &none, "192.168.1.7"));
    assert_true(permits(&allow, &none, "::1"));
    assert_false(permits(&allow, &none, "192.168.1.8"));
    assert_false(permits(&allow, &none, "::2"));
    assert_false(permits(&allow, &none, "127.0.0.1"));
    access_free(&allow);
}

/* Deny wins over Allow. */
static void test_deny_beats_allow(void **state)
{
    static const char *const allow_items[] = {"10.0.0.0/8"};
    static const char *const deny_items[] = {"10.9.0.0/16"};
    struct access_list allow = list_of(allow_items, 1),
                       deny = list_of(deny_items, 1);
    (void)state;
    assert_true(permits(&allow, &deny, "10.8.1.1"));
    assert_false(permits(&allow, &deny, "10.9.1.1"));
    assert_false(permits(&allow, &deny, "11.0.0.1"));
    access_free(&allow);
    access_free(&deny);
}

/* /0 matches every address of its family, and only of its family. */
static void test_prefix_zero(void **state)
{
    static const char *const v4_all[] = {"0.0.0.0/0"};
    static const char *const v6_all[] = {"::/0"};
    struct access_list none = {0, NULL}, allow = list_of(v4_all, 1),
                       deny = list_of(v6_all, 1);
    (void)state;
    assert_true(permits(&allow, &none, "1.2.3.4"));
    assert_true(permits(&allow, &none, "255.255.255.255"));
    assert_false(permits(&allow, &none, "2001:db8::1"));
    assert_false(permits(&none, &deny, "::1"));
    assert_false(permits(&none, &deny, "fe80::1"));
    assert_true(permits(&none, &deny, "1.2.3.4"));
    access_free(&allow);
    access_free(&deny);
}

/* Prefixes that are not a multiple of 8 compare the partial byte. */
static void test_partial_byte_prefix(void **state)
{
    static const char *const v4[] = {"10.0.0.0/9"};
    static const char *const v6[] = {"2001:db8::/33"};
    static const char *const v4_31[] = {"192.168.1.6/31"};
    struct access_list none = {0, NULL}, a4 = list_of(v4, 1),
                       a6 = list_of(v6, 1), a31 = list_of(v4_31, 1);
    (void)state;
    assert_true(permits(&a4, &none, "10.0.0.0"));
    assert_true(permits(&a4, &none, "10.127.255.255"));
    assert_false(permits(&a4, &none, "10.128.0.0"));
    assert_false(permits(&a4, &none, "11.0.0.0"));
    assert_true(permits(&a6, &none, "2001:db8:7fff:ffff::1"));
    assert_false(permits(&a6, &none, "2001:db8:8000::"));
    assert_true(permits(&a31, &none, "192.168.1.6"));
    assert_true(permits(&a31, &none, "192.168.1.7"));
    assert_false(permits(&a31, &none, "192.168.1.8"));
    assert_false(permits(&a31, &none, "192.168.1.5"));
    access_free(&a4);
    access_free(&a6);
    access_free(&a31);
}

/* An IPv4-mapped IPv6 peer (a dual-stack listener) is matched as IPv4. */
static void test_v4_mapped_peer(void **state)
{
    static const char *const v4[] = {"10.0.0.0/8"};
    static const char *const v6[] = {"::1"};
    struct access_list none = {0, NULL}, rules = list_of(v4, 1),
                       loop6 = list_of(v6, 1);
    (void)state;
    assert_false(permits(&none, &rules, "::ffff:10.1.2.3"));
    assert_true(permits(&rules, &none, "::ffff:10.1.2.3"));
    assert_false(permits(&rules, &none, "::ffff:11.1.2.3"));
    assert_false(permits(&loop6, &none, "::ffff:127.0.0.1"));
    access_free(&rules);
    access_free(&loop6);
}

/* A unix-domain peer is always let in, whatever the lists say. */
static void test_unix_peer_permitted(void **state)
{
    static const char *const all[] = {"0.0.0.0/0", "::/0"};
    static const char *const one[] = {"1.2.3.4"};
    struct access_list deny = list_of(all, 2), allow = list_of(one, 1);
    union peer p;
    (void)state;
    memset(&p, 0, sizeof(p));
    p.un.sun_family = AF_UNIX;
    strcpy(p.un.sun_path, "/tmp/x.sock");
    assert_true(access_permits(&allow, &deny, &p.sa));
    access_free(&deny);
    access_free(&allow);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ipv4),
        cmocka_unit_test(test_parse_ipv6),
        cmocka_unit_test(test_parse_cidr),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_parse_prefix_digits_only),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_build_error_names_setting),
        cmocka_unit_test(test_empty_lists_permit),
        cmocka_unit_test(test_deny),
        cmocka_unit_test(test_allow),
        cmocka_unit_test(test_deny_beats_allow),
        cmocka_unit_test(test_prefix_zero),
        cmocka_unit_test(test_partial_byte_prefix),
        cmocka_unit_test(test_v4_mapped_peer),
        cmocka_unit_test(test_unix_peer_permitted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
