/* after_fork.h: the first moments of a process the master forks (a child,
 * a settings reader): signals back to their defaults and every descriptor
 * closed but the ones it needs. */
#ifndef TINE_AFTER_FORK_H
#define TINE_AFTER_FORK_H

/* In a freshly forked process whose signals the master blocked around the
 * fork: every handler back to its default (a sanitizer build keeps the
 * sanitizer's crash handlers), SIGPIPE ignored, nothing blocked, the log's
 * flood counts forgotten, and every descriptor above 2 closed but the n in
 * keep (which is sorted in place). */
void after_fork_reset(int *keep, int n);

#endif
