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

void log_adopt(int fd)
{
    if (current_fd == STDERR_FILENO) {
        current_fd = fd;
    } else if (fd != current_fd) {
        dup2(fd, current_fd);  /* dup2 clears close-on-exec: set it again */
        fcntl(current_fd, F_SETFD, FD_CLOEXEC);
        close(fd);
    }
}

/* Write one line with the time, pid and level before msg (already
 * escaped: no newline inside). */
static void write_line(enum log_level level, const char *msg)
{
    char line[LOG_LINE_MAX + 96];
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

/* Length of the valid UTF-8 character at p (left bytes there), or 0 if
 * the bytes there are not one. */
static size_t utf8_char_len(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  /* the second byte's range */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3;
    else if (c >= 0xF0 && c <= 0xF4) n = 4;
    else return 0;
    if (c == 0xE0) lo = 0xA0;        /* overlong */
    if (c == 0xED) hi = 0x9F;        /* surrogates */
    if (c == 0xF0) lo = 0x90;        /* overlong */
    if (c == 0xF4) hi = 0x8F;        /* past U+10FFFF */
    if (left < n || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* The escape for the control character c, in esc (5 bytes at least). */
static size_t escape_byte(unsigned char c, char *esc)
{
    static const char hex[] = "0123456789abcdef";
    if (c == '\n' || c == '\r' || c == '\t') {
        esc[0] = '\\';
        esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        return 2;
    }
    esc[0] = '\\';
    esc[1] = 'x';
    esc[2] = hex[c >> 4];
    esc[3] = hex[c & 15];
    return 4;
}

size_t log_escape(const char *text, size_t len, char *out, size_t outlen,
                  size_t *written)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0, o = 0;
    while (i < len) {
        char esc[8];
        size_t take = utf8_char_len(p + i, len - i), put;
        /* C0 controls, DEL and C1 controls (U+0080..U+009F) reach a
         * terminal as commands: escape them like invalid bytes. */
        int control = take == 1 ? (p[i] < 0x20 || p[i] == 0x7f)
                                : take == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0;
        if (take == 0 || control) {
            put = escape_byte(p[i], esc);
            if (take == 2) put += escape_byte(p[i + 1], esc + put);
            else take = 1;
        } else {
            put = take;
            memcpy(esc, p + i, take);
        }
        if (o + put >= outlen) break;
        memcpy(out + o, esc, put);
        o += put;
        i += take;
    }
    if (outlen > 0) out[o] = '\0';
    *written = o;
    return i;
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

/* Log len bytes of raw text as one escaped line, marking a cut. */
static void log_raw(enum log_level level, const char *raw, size_t len,
                    int cut)
{
    static const char mark[] = "...[truncated]";
    char msg[LOG_LINE_MAX + sizeof(mark)];
    size_t n;
    if (log_escape(raw, len, msg, LOG_LINE_MAX, &n) < len) cut = 1;
    if (cut) memcpy(msg + n, mark, sizeof(mark));
    if (level <= LOG_WARN) {
        if (flooding(level, msg)) return;
    } else {
        write_flood_note();   /* the count comes before any other line */
    }
    write_line(level, msg);
}

void log_text(enum log_level level, const char *text, size_t len)
{
    if (level > current_level) return;
    log_raw(level, text, len, 0);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > current_level) return;
    char raw[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    int cut = (size_t)n >= sizeof(raw);
    log_raw(level, raw, cut ? sizeof(raw) - 1 : (size_t)n, cut);
}
