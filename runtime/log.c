/* log.c: one write(2) per line, to stderr or an O_APPEND file. */
#include "log.h"

#include <ctype.h>
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

/* Write one line with the time, pid and level before msg. */
static void write_line(enum log_level level, const char *msg)
{
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = (int)strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ld [%d] %s: %s",
                  (long)tv.tv_usec / 1000, (int)getpid(), level_names[level],
                  msg);
    if (n > (int)sizeof(line) - 2) n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    ssize_t ignored = write(current_fd, line, (size_t)n);
    (void)ignored;
}

/* The message with every run of digits as one '#', cut to fit. */
static void shape_of(const char *msg, char *shape, size_t len)
{
    size_t o = 0;
    for (const char *p = msg; *p && o + 1 < len; p++) {
        if (isdigit((unsigned char)*p)) {
            if (o == 0 || shape[o - 1] != '#') shape[o++] = '#';
        } else {
            shape[o++] = *p;
        }
    }
    shape[o] = '\0';
}

/* The flood being counted: its shape, when it began, lines seen. */
static struct {
    char shape[256];
    double start;
    int count, suppressed;
    enum log_level level;
} flood;

void log_forget_flood(void)
{
    memset(&flood, 0, sizeof(flood));
}

/* Write how many lines of the flood were suppressed, if any. */
static void write_flood_note(void)
{
    if (flood.suppressed == 0) return;
    char note[96];
    snprintf(note, sizeof(note), "(%d similar message(s) suppressed)",
             flood.suppressed);
    flood.suppressed = 0;
    write_line(flood.level, note);
}

/* Is msg (a warning or an error) one line too many of a flood? Counts it
 * if so; writes the count of a flood that has ended. */
static int flooding(enum log_level level, const char *msg)
{
    char shape[256];
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    shape_of(msg, shape, sizeof(shape));
    if (strcmp(shape, flood.shape) == 0 && now - flood.start < LOG_WINDOW) {
        if (++flood.count <= LOG_BURST) return 0;
        flood.suppressed++;
        return 1;
    }
    write_flood_note();
    memcpy(flood.shape, shape, sizeof(flood.shape));
    flood.start = now;
    flood.count = 1;
    flood.suppressed = 0;
    flood.level = level;
    return 0;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > current_level) return;
    char msg[2000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (level <= LOG_WARN) {
        if (flooding(level, msg)) return;
    } else {
        write_flood_note();   /* the count comes before any other line */
    }
    write_line(level, msg);
}
