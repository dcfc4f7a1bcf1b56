/* daemon.c: the foreground waits for the daemon's word on its start. The
 * word is one byte, '0' ready or '1' failed, then the reason's text; the
 * pipe closing without a word means the daemon died first. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Read the daemon's report from fd and exit with what it says. */
static void wait_for_report(int fd)
{
    char buf[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(buf) - 1 &&
           ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 ||
            (n < 0 && errno == EINTR)))
        if (n > 0) len += (size_t)n;
    buf[len] = '\0';
    if (len > 0 && buf[0] == '0') _exit(0);
    if (len > 1)
        fprintf(stderr, "tine: %s\n", buf + 1);
    else
        fprintf(stderr, "tine: the daemon exited before it was ready "
                        "(see LogFile)\n");
    _exit(1);
}

/* Point standard input, output and error at /dev/null. */
static void quiet_standard_streams(void)
{
    int null = open("/dev/null", O_RDWR);
    if (null < 0) return;
    for (int fd = 0; fd <= 2; fd++)
        if (null != fd) dup2(null, fd);
    if (null > 2) close(null);
}

int daemon_start(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(p[0]);
        close(p[1]);
        errno = saved;
        return -1;
    }
    if (pid > 0) {
        close(p[1]);
        wait_for_report(p[0]);
    }
    close(p[0]);
    setsid();
    quiet_standard_streams();
    return p[1];
}

void daemon_report(int *fd, const char *why)
{
    if (*fd < 0) return;
    char buf[4096];
    int len = why ? snprintf(buf, sizeof(buf), "1%s", why)
                  : snprintf(buf, sizeof(buf), "0");
    if (len >= (int)sizeof(buf)) len = (int)sizeof(buf) - 1;
    ssize_t n = write(*fd, buf, (size_t)len);
    (void)n;  /* the foreground may be gone: nothing more to do */
    close(*fd);
    *fd = -1;
}
