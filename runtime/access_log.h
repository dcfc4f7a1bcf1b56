/* access_log.h: AccessLog, HTTP mode's one line per request. The master
 * opens the file (children that drop privileges need no access to it) and
 * reopens it on HUP, passing the new descriptor to every child, as it does
 * for LogFile; children append whole lines with one write each. */
#ifndef TINE_ACCESS_LOG_H
#define TINE_ACCESS_LOG_H

#include <stddef.h>

/* Open path for appending as the access log, replacing the one open (its
 * descriptor number stays, so forked children keep finding it); NULL
 * closes it. 0, or -1 with errno (the old file stays). */
int access_log_open(const char *path);

/* The access log's descriptor, or -1 if there is none. */
int access_log_fd(void);

/* In a child: write to fd from now on (passed by the master after a
 * reopen); fd is taken over. */
void access_log_adopt(int fd);

/* Append one line (text without its newline); nothing if there is no
 * access log. */
void access_log_write(const char *text, size_t len);

#endif
