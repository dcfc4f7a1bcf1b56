/* pidfile.h: the PidFile: the master's pid, held with a lock. The lock,
 * not the pid written in it, says whether a master owns the file, so a
 * stale file naming a pid that another process reuses never blocks a
 * start. */
#ifndef TINE_PIDFILE_H
#define TINE_PIDFILE_H

#include <stddef.h>

/* Open and lock path and write this process's pid in it; the returned
 * descriptor holds the lock (keep it open; it is close-on-exec). -1 with
 * err if another process holds it (naming the pid it wrote) or the file
 * cannot be written. */
int pidfile_take(const char *path, char *err, size_t errlen);

/* Remove path and release the lock fd. */
void pidfile_release(const char *path, int fd);

#endif
