/* rseq.h: the master's thread leaves its restartable-sequence area, so
 * the children it forks start without one. */
#ifndef TINE_RSEQ_H
#define TINE_RSEQ_H

/* Unregister the calling thread's rseq area (glibc registers one for
 * every thread). While registered, the kernel writes the area on every
 * return to a process that was preempted or moved, and so every forked
 * child soon holds a private copy of the page it is on (4 KiB a child,
 * idle or not). tine uses no restartable sequence; glibc's sched_getcpu
 * falls back to asking the kernel. Children forked after the call
 * inherit no registration. Returns 0 when the thread has none left,
 * -1 with errno when the kernel refused. */
int rseq_unregister(void);

#endif
