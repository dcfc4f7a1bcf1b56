/* log.h: log lines to standard error or LogFile, filtered by LogLevel. */
#ifndef TINE_LOG_H
#define TINE_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#include <stddef.h>

#define LOG_BURST 5
#define LOG_LINE_MAX 4000  /* bytes of one escaped message */
#define LOG_WINDOW 10.0

/* The level named "error", "warn", "info" or "debug"; -1 for another. */
int log_level_from_name(const char *name);

/* Log lines of `level` and above from now on. */
void log_set_level(enum log_level level);

/* Append to path from now on (NULL: standard error). Returns 0, or -1 with
 * errno set, leaving the previous destination in place. */
int log_open(const char *path);

/* Write log lines to descriptor fd from now on (a reopened LogFile the
 * master passed over): it takes the number of the descriptor in use, so
 * nothing holding that number needs to change; fd is consumed. */
void log_adopt(int fd);

/* Forget the flood count: a forked child starts with a clean slate. */
void log_forget_flood(void);

/* The descriptor log lines go to, so a forked child can keep it. */
int log_fd(void);

/* One line: time, pid, level, message. One write(2), so lines from several
 * processes sharing the file do not interleave. Floods of warnings and
 * errors are cut: after LOG_BURST such lines in a row of the same shape
 * (the same text but for its numbers) within LOG_WINDOW seconds, the rest
 * are counted, not written, and one line at their level says how many
 * were suppressed. Info and debug lines are never cut. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The same for len bytes of text that may hold anything (a script's
 * message: NULs, newlines, escapes, invalid UTF-8). */
void log_text(enum log_level level, const char *text, size_t len);

/* Copy len bytes of text into out as one printable line: valid UTF-8 is
 * kept but for control characters; newline, CR and tab become the two
 * characters "\n", "\r", "\t"; other control characters (C0, DEL, C1)
 * and every byte of invalid UTF-8 become "\xHH". Writes at most outlen - 1
 * bytes and a NUL, never cutting an escape or a character in two; puts the
 * bytes written in *written and returns the input bytes consumed (len when
 * everything fit). Every message logged goes through it, so one log line
 * is one line whatever a client sent. */
size_t log_escape(const char *text, size_t len, char *out, size_t outlen,
                  size_t *written);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
