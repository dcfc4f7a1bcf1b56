/* log.c: one write(2) per line, to stderr or an O_APPEND file. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LOG_INFO;
static int current_fd = STDERR_FILENO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_level_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0) return i;
    return -1;
}

void log_set_level(enum log_level level) { current_level = level; }

int log_open(const char *path)
{
    if (!path) {
        if (current_fd != STDERR_FILENO) close(current_fd);
        current_fd = STDERR_FILENO;
        return 0;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    if (current_fd != STDERR_FILENO) close(current_fd);
    current_fd = fd;
    return 0;
}

int log_fd(void) { return current_fd; }

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > current_level) return;
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = (int)strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ld [%d] %s: ",
                  (long)tv.tv_usec / 1000, (int)getpid(), level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n = (m < 0) ? n : n + m;
    if (n > (int)sizeof(line) - 2) n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    ssize_t ignored = write(current_fd, line, (size_t)n);
    (void)ignored;
}
