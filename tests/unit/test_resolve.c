/* test_resolve.c: lookups through evdns against a fake nameserver on
 * loopback (UDP), on a real event loop. */
#include <arpa/inet.h>
#include <ctype.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "resolve.h"

struct fixture {
    struct event_base *base;
    int dns_fd;
    struct event *dns_ev;
    char server[64];
    int answered;
    char got[256];   /* "err" or the addresses, space-separated */
};

/* The fake nameserver: "known.test" has 192.0.2.7; any other name does
 * not exist (NXDOMAIN); only A questions get an answer record. */
static void on_query(evutil_socket_t fd, short what, void *arg)
{
    unsigned char q[512], r[600];
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof(from);
    (void)what;
    (void)arg;
    ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from,
                         &fromlen);
    if (n < 17) return;
    unsigned char lower[512];  /* evdns randomises the name's case */
    for (ssize_t i = 0; i < n; i++) lower[i] = (unsigned char)tolower(q[i]);
    int known = memmem(lower + 12, (size_t)n - 12, "\x05known\x04test", 11)
                != NULL;
    int type_a = q[n - 3] == 1;
    memcpy(r, q, (size_t)n);
    r[2] = 0x81;                          /* response, recursion desired */
    r[3] = known ? 0x80 : 0x83;           /* recursion available; NXDOMAIN */
    r[7] = known && type_a;               /* answers */
    size_t len = (size_t)n;
    if (known && type_a) {
        static const unsigned char rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60,
                                           0, 4, 192, 0, 2, 7};
        memcpy(r + len, rr, sizeof(rr));
        len += sizeof(rr);
    }
    sendto(fd, r, len, 0, (struct sockaddr *)&from, fromlen);
}

static int setup(void **state)
{
    static struct fixture f;
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    memset(&f, 0, sizeof(f));
    f.base = event_base_new();
    f.dns_fd = socket(AF_INET, SOCK_DGRAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(f.dns_fd, (struct sockaddr *)&a, len) < 0 ||
        getsockname(f.dns_fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    snprintf(f.server, sizeof(f.server), "127.0.0.1:%d", ntohs(a.sin_port));
    f.dns_ev = event_new(f.base, f.dns_fd, EV_READ | EV_PERSIST, on_query,
                         &f);
    event_add(f.dns_ev, NULL);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    event_free(f->dns_ev);
    close(f->dns_fd);
    event_base_free(f->base);
    return 0;
}

static void on_done(void *arg, const char *err, const struct addrinfo *ai)
{
    struct fixture *f = arg;
    size_t o = 0;
    f->answered++;
    f->got[0] = '\0';
    if (err) {
        snprintf(f->got, sizeof(f->got), "%s", err);
        return;
    }
    for (; ai; ai = ai->ai_next) {
        char host[64] = "";
        getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0,
                     NI_NUMERICHOST);
        o += (size_t)snprintf(f->got + o, sizeof(f->got) - o, "%s%s",
                              o ? " " : "", host);
    }
}

/* Look name up and run the loop until the answer (bounded). */
static void lookup(struct fixture *f, const char *name, int want_sync)
{
    char err[128];
    char *servers[] = {f->server};
    struct resolver *r = resolver_new(f->base, servers, 1, err, sizeof(err));
    assert_non_null(r);
    f->answered = 0;
    assert_int_equal(resolve_start(r, name, on_done, f), want_sync);
    for (int i = 0; i < 100 && !f->answered; i++)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_int_equal(f->answered, 1);
    resolver_free(r);
}

/* A numeric address needs no nameserver and answers at once. */
static void test_numeric(void **state)
{
    struct fixture *f = *state;
    lookup(f, "192.0.2.1", 1);
    assert_string_equal(f->got, "192.0.2.1");
    lookup(f, "::1", 1);
    assert_string_equal(f->got, "::1");
}

/* A name the nameserver knows comes back from the loop. */
static void test_known_name(void **state)
{
    struct fixture *f = *state;
    lookup(f, "known.test", 0);
    assert_string_equal(f->got, "192.0.2.7");
}

/* A name that does not exist: "no such host". */
static void test_unknown_name(void **state)
{
    struct fixture *f = *state;
    lookup(f, "nowhere.test", 0);
    assert_string_equal(f->got, "no such host");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric),
        cmocka_unit_test(test_known_name),
        cmocka_unit_test(test_unknown_name),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
