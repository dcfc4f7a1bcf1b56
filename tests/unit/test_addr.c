/* test_addr.c: socket addresses as text. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "addr.h"

/* IPv4, IPv6 and unix-domain addresses, with their ports. */
static void test_addr_text(void **state)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(8080)};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
                               .sin6_port = htons(443)};
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    char buf[ADDR_TEXT_MAX];
    int port = -1;
    (void)state;
    inet_pton(AF_INET, "192.0.2.7", &in.sin_addr);
    addr_text((struct sockaddr *)&in, buf, sizeof(buf), &port);
    assert_string_equal(buf, "192.0.2.7");
    assert_int_equal(port, 8080);
    inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
    addr_text((struct sockaddr *)&in6, buf, sizeof(buf), &port);
    assert_string_equal(buf, "2001:db8::1");
    assert_int_equal(port, 443);
    addr_text((struct sockaddr *)&un, buf, sizeof(buf), &port);
    assert_string_equal(buf, "unix");
    assert_int_equal(port, 0);
}

/* Every IPv4 byte value in every position reads as inet_ntop writes it. */
static void test_ipv4_as_inet_ntop(void **state)
{
    struct sockaddr_in in = {.sin_family = AF_INET};
    char buf[ADDR_TEXT_MAX], want[INET_ADDRSTRLEN];
    int port;
    (void)state;
    for (unsigned v = 0; v < 256; v++) {
        for (int at = 0; at < 4; at++) {
            unsigned char b[4] = {1, 20, 255, 0};
            b[at] = (unsigned char)v;
            memcpy(&in.sin_addr, b, 4);
            addr_text((struct sockaddr *)&in, buf, sizeof(buf), &port);
            inet_ntop(AF_INET, &in.sin_addr, want, sizeof(want));
            assert_string_equal(buf, want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_addr_text),
                                       cmocka_unit_test(test_ipv4_as_inet_ntop)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
