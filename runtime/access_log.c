/* access_log.c: see access_log.h. */
#include "access_log.h"

#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int access_fd = -1;

/* Make fd the access log: onto the current descriptor's number if there
 * is one (dup2 clears close-on-exec: set it again). */
static void take(int fd)
{
    if (access_fd < 0) {
        access_fd = fd;
        return;
    }
    if (fd == access_fd) return;
    dup2(fd, access_fd);
    fcntl(access_fd, F_SETFD, FD_CLOEXEC);
    close(fd);
}

int access_log_open(const char *path)
{
    if (!path) {
        if (access_fd >= 0) close(access_fd);
        access_fd = -1;
        return 0;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    take(fd);
    return 0;
}

int access_log_fd(void) { return access_fd; }

void access_log_adopt(int fd) { take(fd); }

void access_log_write(const char *text, size_t len)
{
    if (access_fd < 0) return;
    struct iovec v[2] = {{(void *)text, len}, {"\n", 1}};
    ssize_t n = writev(access_fd, v, 2);
    (void)n;  /* a full disk loses lines, never the request */
}
