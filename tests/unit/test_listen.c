/* test_listen.c: listener addresses ("host:port", "[v6]:port",
 * "unix:/path"), the specs the settings ask for, and unix listeners opened
 * in a scratch directory: listening, stale files replaced, live ones and
 * non-sockets refused, files removed at close. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "listen.h"
#include "settings.h"

#include "test_util.h"

/* listen_parse that must succeed. */
static struct listen_spec parse_ok(const char *text)
{
    struct listen_spec spec;
    char err[512] = "";
    if (listen_parse(text, &spec, err, sizeof(err)) < 0)
        fail_msg("listen_parse(\"%s\") refused: %s", text, err);
    return spec;
}

/* ---- listen_parse ------------------------------------------------------ */

/* An IPv4 host and port. */
static void test_parse_ipv4(void **state)
{
    (void)state;
    struct listen_spec s = parse_ok("127.0.0.1:9000");
    assert_int_equal(s.family, AF_INET);
    assert_string_equal(s.host, "127.0.0.1");
    assert_int_equal(s.port, 9000);
    assert_string_equal(s.path, "");
}

/* A bracketed IPv6 address and port. */
static void test_parse_ipv6(void **state)
{
    (void)state;
    struct listen_spec s = parse_ok("[::1]:9000");
    assert_int_equal(s.family, AF_INET6);
    assert_string_equal(s.host, "::1");
    assert_int_equal(s.port, 9000);
    s = parse_ok("[2001:db8::7]:1");
    assert_string_equal(s.host, "2001:db8::7");
    assert_int_equal(s.port, 1);
}

/* "*" or no host means every address: 0.0.0.0, or :: in brackets. */
static void test_parse_wildcards(void **state)
{
    (void)state;
    struct listen_spec s = parse_ok("*:80");
    assert_int_equal(s.family, AF_INET);
    assert_string_equal(s.host, "0.0.0.0");
    assert_int_equal(s.port, 80);
    s = parse_ok(":80");
    assert_int_equal(s.family, AF_INET);
    assert_string_equal(s.host, "0.0.0.0");
    s = parse_ok("[::]:80");
    assert_int_equal(s.family, AF_INET6);
    assert_string_equal(s.host, "::");
    assert_int_equal(s.port, 80);
}

/* A host name is kept for resolution at bind time; port edges 1, 65535. */
static void test_parse_name_and_port_edges(void **state)
{
    (void)state;
    struct listen_spec s = parse_ok("localhost:65535");
    assert_int_equal(s.family, AF_INET);
    assert_string_equal(s.host, "localhost");
    assert_int_equal(s.port, 65535);
    s = parse_ok("0.0.0.0:1");
    assert_int_equal(s.port, 1);
}

/* "unix:/path": the path, no host, no port. */
static void test_parse_unix(void **state)
{
    (void)state;
    struct listen_spec s = parse_ok("unix:/tmp/x.sock");
    assert_int_equal(s.family, AF_UNIX);
    assert_string_equal(s.path, "/tmp/x.sock");
    assert_string_equal(s.host, "");
    assert_int_equal(s.port, 0);
}

/* The longest unix path that fits sun_path (with its terminator). */
static void test_parse_unix_longest(void **state)
{
    char text[5 + sizeof(((struct sockaddr_un *)0)->sun_path)];
    size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
    (void)state;
    strcpy(text, "unix:/");
    memset(text + 6, 'p', max - 1);
    text[5 + max] = '\0';
    struct listen_spec s = parse_ok(text);
    assert_int_equal(strlen(s.path), max);
}

/* Malformed entries are refused with a message quoting them. */
static void test_parse_refusals(void **state)
{
    static const char *const bad[] = {
        "::1:9000", "host", "host:0", "host:70000", "unix:", "host:",
        "host:80x", "host:-80", "[::1]", "[::1]9000", "[::1:9000", "",
        "127.0.0.1", "1.2.3.4:99999999999999999999"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct listen_spec spec;
        char err[512] = "", quoted[128];
        if (listen_parse(bad[i], &spec, err, sizeof(err)) != -1)
            fail_msg("listen_parse accepted \"%s\"", bad[i]);
        snprintf(quoted, sizeof(quoted), "\"%s\"", bad[i]);
        assert_contains(err, quoted);
    }
}

/* A unix path too long for sun_path is refused, not truncated. */
static void test_parse_unix_too_long(void **state)
{
    char text[300], err[512] = "";
    struct listen_spec spec;
    size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
    (void)state;
    strcpy(text, "unix:/");
    memset(text + 6, 'p', max);    /* "/" + max: one byte too many */
    text[6 + max] = '\0';
    assert_int_equal(listen_parse(text, &spec, err, sizeof(err)), -1);
    assert_contains(err, "unix");
    memset(text + 6, 'p', 250);
    text[256] = '\0';
    assert_int_equal(listen_parse(text, &spec, err, sizeof(err)), -1);
}

/* A host too long for the spec is refused, not truncated. */
static void test_parse_host_too_long(void **state)
{
    char text[400], err[512] = "";
    struct listen_spec spec;
    (void)state;
    memset(text, 'h', 300);
    strcpy(text + 300, ":80");
    assert_int_equal(listen_parse(text, &spec, err, sizeof(err)), -1);
}

/* ---- listen_specs ------------------------------------------------------ */

/* Settings with `n` values applied from the script. */
static void make_settings(struct settings *s, const char *const *pairs, int n)
{
    char err[256] = "";
    settings_init(s);
    for (int i = 0; i < n; i++)
        if (settings_set_text(s, settings_find(pairs[2 * i]), pairs[2 * i + 1],
                              SOURCE_SCRIPT, err, sizeof(err)) < 0)
            fail_msg("%s refused: %s", pairs[2 * i], err);
}

/* listen_specs over the defaults with `pairs` name/value pairs from set;
 * the test fails if it refuses. *n gets the count; free() the result. */
static struct listen_spec *specs_of(const char *const *set, int pairs, int *n)
{
    struct settings s;
    struct listen_spec *specs = NULL;
    char err[512] = "";
    make_settings(&s, set, pairs);
    if (listen_specs(&s, &specs, n, err, sizeof(err)) != 0)
        fail_msg("listen_specs refused: %s", err);
    settings_free(&s);
    return specs;
}

/* The defaults: one spec, 127.0.0.1:10000. */
static void test_specs_default(void **state)
{
    int n = -1;
    (void)state;
    struct listen_spec *specs = specs_of(NULL, 0, &n);
    assert_int_equal(n, 1);
    assert_int_equal(specs[0].family, AF_INET);
    assert_string_equal(specs[0].host, "127.0.0.1");
    assert_int_equal(specs[0].port, 10000);
    free(specs);
}

/* Port 0 with a Listen entry: only the Listen entry. */
static void test_specs_port_zero(void **state)
{
    static const char *const set[] = {"Port", "0", "Listen",
                                      "unix:/tmp/a.sock"};
    int n = -1;
    (void)state;
    struct listen_spec *specs = specs_of(set, 2, &n);
    assert_int_equal(n, 1);
    assert_int_equal(specs[0].family, AF_UNIX);
    assert_string_equal(specs[0].path, "/tmp/a.sock");
    free(specs);
}

/* Address "::1" gives an IPv6 spec on Port. */
static void test_specs_ipv6_address(void **state)
{
    static const char *const set[] = {"Address", "::1", "Port", "9000"};
    int n = -1;
    (void)state;
    struct listen_spec *specs = specs_of(set, 2, &n);
    assert_int_equal(n, 1);
    assert_int_equal(specs[0].family, AF_INET6);
    assert_string_equal(specs[0].host, "::1");
    assert_int_equal(specs[0].port, 9000);
    free(specs);
}

/* Address:Port first, then the Listen entries in order. */
static void test_specs_order(void **state)
{
    static const char *const set[] = {"Address", "0.0.0.0", "Listen",
                                      "[::]:81", "Listen", "unix:/tmp/b"};
    int n = -1;
    (void)state;
    struct listen_spec *specs = specs_of(set, 3, &n);
    assert_int_equal(n, 3);
    assert_string_equal(specs[0].host, "0.0.0.0");
    assert_int_equal(specs[0].port, 10000);
    assert_int_equal(specs[1].family, AF_INET6);
    assert_int_equal(specs[1].port, 81);
    assert_int_equal(specs[2].family, AF_UNIX);
    free(specs);
}

/* "tls:host:port" is a TLS listener; the Port listener speaks TLS when
 * TLSCertificate is set; plain entries stay plain. */
static void test_specs_tls(void **state)
{
    static const char *const set[] = {"TLSCertificate", "/c.pem", "Listen",
                                      "tls:[::1]:8443", "Listen",
                                      "127.0.0.1:80"};
    int n = -1;
    (void)state;
    struct listen_spec *specs = specs_of(set, 3, &n);
    assert_int_equal(n, 3);
    assert_int_equal(specs[0].tls, 1);
    assert_int_equal(specs[1].tls, 1);
    assert_int_equal(specs[1].family, AF_INET6);
    assert_int_equal(specs[1].port, 8443);
    assert_int_equal(specs[2].tls, 0);
    free(specs);
}

/* A tls: entry without a certificate is refused, naming Listen. */
static void test_specs_tls_needs_certificate(void **state)
{
    static const char *const set[] = {"Listen", "tls:127.0.0.1:8443"};
    struct settings s;
    struct listen_spec *specs = NULL;
    int n = -1;
    char err[512] = "";
    (void)state;
    make_settings(&s, set, 1);
    assert_int_equal(listen_specs(&s, &specs, &n, err, sizeof(err)), -1);
    assert_int_equal(strncmp(err, "Listen:", 7), 0);
    assert_contains(err, "needs TLSCertificate");
    free(specs);
    settings_free(&s);
}

/* A bad Listen entry: -1 and a message starting with "Listen:". */
static void test_specs_bad_listen(void **state)
{
    static const char *const set[] = {"Listen", "unix:/tmp/ok", "Listen",
                                      "::1:9000"};
    struct settings s;
    struct listen_spec *specs = NULL;
    int n = -1;
    char err[512] = "";
    (void)state;
    make_settings(&s, set, 2);
    assert_int_equal(listen_specs(&s, &specs, &n, err, sizeof(err)), -1);
    assert_int_equal(strncmp(err, "Listen:", 7), 0);
    assert_contains(err, "::1:9000");
    free(specs);
    settings_free(&s);
}

/* An Address too long to be a host: -1 and a message starting with
 * "Address:". */
static void test_specs_bad_address(void **state)
{
    char longname[300];
    const char *set[] = {"Address", longname};
    struct settings s;
    struct listen_spec *specs = NULL;
    int n = -1;
    char err[1024] = "";
    (void)state;
    memset(longname, 'a', 299);
    longname[299] = '\0';
    make_settings(&s, set, 1);
    assert_int_equal(listen_specs(&s, &specs, &n, err, sizeof(err)), -1);
    assert_int_equal(strncmp(err, "Address:", 8), 0);
    free(specs);
    settings_free(&s);
}

/* ---- listen_open and listen_close_all on unix sockets ------------------ */

struct scratch {
    char dir[64];
    char path[128];   /* dir/s.sock */
    char path2[128];  /* dir/t.sock */
};

/* Test fixture: a fresh directory from mkdtemp, removed after the test. */
static int setup_dir(void **state)
{
    struct scratch *t = calloc(1, sizeof(*t));
    if (!t) return -1;
    strcpy(t->dir, "/tmp/tine-test-listen-XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    snprintf(t->path, sizeof(t->path), "%s/s.sock", t->dir);
    snprintf(t->path2, sizeof(t->path2), "%s/t.sock", t->dir);
    *state = t;
    return 0;
}

static int teardown_dir(void **state)
{
    struct scratch *t = *state;
    unlink(t->path);
    unlink(t->path2);
    rmdir(t->dir);
    free(t);
    return 0;
}

/* A unix spec for path. */
static struct listen_spec unix_spec(const char *path)
{
    struct listen_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.family = AF_UNIX;
    strcpy(spec.path, path);
    return spec;
}

/* Connect a client to the unix socket at path: 0, or -1 with errno. */
static int try_connect(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* Is path a socket file? */
static int is_socket_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Open the listener, which must succeed. */
static void open_ok(const char *path, struct listener *l)
{
    struct listen_spec spec = unix_spec(path);
    char err[512] = "";
    if (listen_open(&spec, l, err, sizeof(err)) < 0)
        fail_msg("listen_open(unix:%s) refused: %s", path, err);
}

/* A unix listener: a listening, nonblocking, close-on-exec socket with its
 * file, its name and path, and a client can connect. */
static void test_open_unix(void **state)
{
    struct scratch *t = *state;
    struct listener l;
    int listening = 0;
    socklen_t len = sizeof(listening);
    char name[200];
    open_ok(t->path, &l);
    assert_true(l.fd >= 0);
    assert_int_equal(l.family, AF_UNIX);
    assert_int_equal(l.port, 0);
    assert_string_equal(l.path, t->path);
    snprintf(name, sizeof(name), "unix:%s", t->path);
    assert_string_equal(l.name, name);
    assert_int_equal(getsockopt(l.fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
                                &len), 0);
    assert_int_equal(listening, 1);
    assert_true(fcntl(l.fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(l.fd, F_GETFD) & FD_CLOEXEC);
    assert_true(is_socket_file(t->path));
    assert_int_equal(try_connect(t->path), 0);
    listen_close_all(&l, 1, 1);
}

/* A socket file left by an earlier run (bound, closed, never unlinked)
 * is replaced. */
static void test_open_replaces_stale(void **state)
{
    struct scratch *t = *state;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct listener l;
    strcpy(sun.sun_path, t->path);
    int old = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(old >= 0);
    assert_int_equal(bind(old, (struct sockaddr *)&sun, sizeof(sun)), 0);
    close(old);
    assert_true(is_socket_file(t->path));
    assert_int_equal(try_connect(t->path), -1);
    open_ok(t->path, &l);
    assert_int_equal(try_connect(t->path), 0);
    listen_close_all(&l, 1, 1);
}

/* A socket file a live server listens on is refused as in use, and the
 * live server keeps it. */
static void test_open_refuses_live(void **state)
{
    struct scratch *t = *state;
    struct listener live, second;
    struct listen_spec spec = unix_spec(t->path);
    char err[512] = "";
    open_ok(t->path, &live);
    assert_int_equal(listen_open(&spec, &second, err, sizeof(err)), -1);
    assert_contains(err, "in use");
    assert_contains(err, t->path);
    assert_int_equal(second.fd, -1);
    assert_int_equal(try_connect(t->path), 0);
    listen_close_all(&live, 1, 1);
}

/* A path that is a regular file is refused and the file left alone. */
static void test_open_refuses_regular_file(void **state)
{
    struct scratch *t = *state;
    struct listener l;
    struct listen_spec spec = unix_spec(t->path);
    struct stat st;
    char err[512] = "";
    FILE *f = fopen(t->path, "w");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    assert_int_equal(listen_open(&spec, &l, err, sizeof(err)), -1);
    assert_contains(err, t->path);
    assert_contains(err, "not a socket");
    assert_int_equal(stat(t->path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 8);
}

/* A path in a missing directory: -1 naming the path. */
static void test_open_missing_dir(void **state)
{
    struct scratch *t = *state;
    struct listener l;
    char path[200], err[512] = "";
    snprintf(path, sizeof(path), "%s/no/such/dir.sock", t->dir);
    struct listen_spec spec = unix_spec(path);
    assert_int_equal(listen_open(&spec, &l, err, sizeof(err)), -1);
    assert_contains(err, path);
    assert_int_equal(l.fd, -1);
}

/* listen_close_all(..., 1) closes the socket and removes its file. */
static void test_close_all_removes_file(void **state)
{
    struct scratch *t = *state;
    struct listener l;
    open_ok(t->path, &l);
    int fd = l.fd;
    listen_close_all(&l, 1, 1);
    assert_int_equal(l.fd, -1);
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(access(t->path, F_OK), -1);
}

/* listen_close_all(..., 0) closes the socket but keeps the file (a
 * child's exit must not remove the master's socket file). */
static void test_close_all_keeps_file(void **state)
{
    struct scratch *t = *state;
    struct listener l;
    open_ok(t->path, &l);
    listen_close_all(&l, 1, 0);
    assert_int_equal(l.fd, -1);
    assert_true(is_socket_file(t->path));
    assert_int_equal(try_connect(t->path), -1);
}

/* Several listeners closed at once; closing twice does no harm. */
static void test_close_all_several(void **state)
{
    struct scratch *t = *state;
    struct listener ls[2];
    open_ok(t->path, &ls[0]);
    open_ok(t->path2, &ls[1]);
    listen_close_all(ls, 2, 1);
    listen_close_all(ls, 2, 1);
    assert_int_equal(ls[0].fd, -1);
    assert_int_equal(ls[1].fd, -1);
    assert_int_equal(access(t->path, F_OK), -1);
    assert_int_equal(access(t->path2, F_OK), -1);
}

/* Only this host can reach unix sockets, localhost and loopback
 * addresses; a wildcard, another address or another name may be reached
 * from elsewhere. */
static void test_is_local(void **state)
{
    static const char *const local[] = {
        "unix:/tmp/s", "localhost:1", "127.0.0.1:1", "127.9.8.7:1",
        "[::1]:1", "[::ffff:127.0.0.1]:1"};
    static const char *const remote[] = {
        "0.0.0.0:1", "*:1", "[::]:1", "10.0.0.1:1", "128.0.0.1:1",
        "[::2]:1", "[::ffff:10.0.0.1]:1", "example.com:1", "localhost.x:1"};
    struct listen_spec spec;
    char err[256];
    (void)state;
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        assert_int_equal(listen_parse(local[i], &spec, err, sizeof(err)), 0);
        if (!listen_is_local(&spec)) fail_msg("%s is local", local[i]);
    }
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
        assert_int_equal(listen_parse(remote[i], &spec, err, sizeof(err)), 0);
        if (listen_is_local(&spec)) fail_msg("%s is not local", remote[i]);
    }
}

#define D(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ipv4),
        cmocka_unit_test(test_specs_tls),
        cmocka_unit_test(test_specs_tls_needs_certificate),
        cmocka_unit_test(test_parse_ipv6),
        cmocka_unit_test(test_parse_wildcards),
        cmocka_unit_test(test_parse_name_and_port_edges),
        cmocka_unit_test(test_parse_unix),
        cmocka_unit_test(test_parse_unix_longest),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_parse_unix_too_long),
        cmocka_unit_test(test_parse_host_too_long),
        cmocka_unit_test(test_specs_default),
        cmocka_unit_test(test_specs_port_zero),
        cmocka_unit_test(test_specs_ipv6_address),
        cmocka_unit_test(test_specs_order),
        cmocka_unit_test(test_specs_bad_listen),
        cmocka_unit_test(test_specs_bad_address),
        cmocka_unit_test(test_is_local),
        D(test_open_unix),
        D(test_open_replaces_stale),
        D(test_open_refuses_live),
        D(test_open_refuses_regular_file),
        D(test_open_missing_dir),
        D(test_close_all_removes_file),
        D(test_close_all_keeps_file),
        D(test_close_all_several),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
