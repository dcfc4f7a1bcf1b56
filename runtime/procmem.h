/* procmem.h: a process's resident memory, from /proc. */
#ifndef TINE_PROCMEM_H
#define TINE_PROCMEM_H

#include <sys/types.h>

/* Resident memory of process pid (0: this one) in MiB; 0 if unknown. */
double procmem_rss_mib(pid_t pid);

#endif
