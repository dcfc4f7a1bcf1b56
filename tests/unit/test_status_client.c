/* test_status_client.c: `tine status`'s HTTP/1.0 client: the body of a 200
 * answer, refusals that say why, and a whole exchange with a fake status
 * page on a unix socket (a forked process answering once). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "status_client.h"

#include "test_util.h"

/* status_client_body on a string. */
static int body_of(const char *resp, const char **body, size_t *len,
                   char *err, size_t errlen)
{
    return status_client_body(resp, strlen(resp), body, len, err, errlen);
}

static void test_body_of_200(void **state)
{
    (void)state;
    const char *body;
    size_t len;
    char err[256];
    assert_int_equal(body_of("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                             "\r\ntable\n", &body, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(body, "table\n", 6);
}

static void test_refusals(void **state)
{
    (void)state;
    const char *body;
    size_t len;
    char err[256];
    assert_int_equal(body_of("HTTP/1.1 403 Forbidden\r\n\r\nno", &body, &len,
                             err, sizeof(err)), -1);
    assert_string_equal(err, "the status page answered \"HTTP/1.1 403 "
                             "Forbidden\"");
    assert_int_equal(body_of("SSH-2.0-OpenSSH\r\n\r\n", &body, &len, err,
                             sizeof(err)), -1);
    assert_string_equal(err, "the answer is not HTTP");
    assert_int_equal(body_of("HTTP/1.1 200 OK\r\nX: y\r\n", &body, &len, err,
                             sizeof(err)), -1);
    assert_string_equal(err, "the answer is not HTTP");
    assert_int_equal(body_of("", &body, &len, err, sizeof(err)), -1);
}

static void test_cannot_connect(void **state)
{
    (void)state;
    char err[256], addr[128];
    snprintf(addr, sizeof(addr), "unix:/tmp/tine-no-such-%d.sock",
             (int)getpid());
    assert_int_equal(status_client_get(addr, "/status.txt", stdout, err,
                                       sizeof(err)), -1);
    assert_contains(err, "cannot connect to unix:/tmp/tine-no-such-");
    assert_int_equal(status_client_get("no address", "/", stdout, err,
                                       sizeof(err)), -1);
    assert_contains(err, "is not host:port");
}

/* Answer one connection on listening socket lfd with `answer`, after
 * reading the request's head; the request goes to reqfd. Never returns. */
static void answer_once(int lfd, const char *answer, int reqfd)
{
    char req[1024];
    size_t len = 0;
    int fd = accept(lfd, NULL, NULL);
    while (len < sizeof(req) - 1) {
        ssize_t got = read(fd, req + len, sizeof(req) - 1 - len);
        if (got <= 0) break;
        len += (size_t)got;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
    }
    if (write(reqfd, req, len) < 0 ||
        write(fd, answer, strlen(answer)) < 0)
        _exit(1);
    _exit(0);
}

static void test_exchange(void **state)
{
    (void)state;
    char path[64], addr[80], err[256], req[1024] = "", *out = NULL;
    size_t outlen = 0;
    int pipefd[2];
    snprintf(path, sizeof(path), "/tmp/tine-status-%d.sock", (int)getpid());
    snprintf(addr, sizeof(addr), "unix:%s", path);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    unlink(path);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0)
        answer_once(lfd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                         "the table\n", pipefd[1]);
    close(pipefd[1]);
    FILE *f = open_memstream(&out, &outlen);
    int rc = status_client_get(addr, "/status.txt", f, err, sizeof(err));
    fclose(f);
    assert_true(read(pipefd[0], req, sizeof(req) - 1) > 0);
    waitpid(pid, NULL, 0);
    close(lfd);
    unlink(path);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "the table\n");
    assert_contains(req, "GET /status.txt HTTP/1.0\r\n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_of_200),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_cannot_connect),
        cmocka_unit_test(test_exchange),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
