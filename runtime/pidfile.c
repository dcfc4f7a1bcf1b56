/* pidfile.c: the PidFile with flock. */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The pid written in fd's file, or 0. */
static long pid_in(int fd)
{
    char buf[32] = "";
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0) return 0;
    buf[n] = '\0';
    long pid = 0;
    return sscanf(buf, "%ld", &pid) == 1 ? pid : 0;
}

int pidfile_take(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "PidFile: cannot open %s: %s", path,
                 strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            snprintf(err, errlen, "PidFile: %s is held by a running master "
                     "(pid %ld)", path, pid_in(fd));
        else
            snprintf(err, errlen, "PidFile: cannot lock %s: %s", path,
                     strerror(errno));
        close(fd);
        return -1;
    }
    char line[32];
    int len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)len, 0) != len) {
        snprintf(err, errlen, "PidFile: cannot write %s: %s", path,
                 strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void pidfile_release(const char *path, int fd)
{
    if (fd < 0) return;
    unlink(path);
    close(fd);
}
