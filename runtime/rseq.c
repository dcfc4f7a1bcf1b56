/* rseq.c: unregistering glibc's restartable-sequence area. */
#include "rseq.h"

#include <errno.h>
#include <stdint.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One unregistration attempt with the length the area was registered
 * with. */
static int unregister_area(struct rseq *area, unsigned length)
{
    return syscall(SYS_rseq, area, length, RSEQ_FLAG_UNREGISTER, RSEQ_SIG)
           == 0 ? 0 : -1;
}

/* The kernel wants the length the area was registered with. glibc 2.35
 * and 2.36 publish it as __rseq_size; later releases (and Debian 12's
 * updates) publish the size of the features there (20) while still
 * registering the original 32-byte area, which is tried next. */
int rseq_unregister(void)
{
    if (__rseq_size == 0) return 0;  /* glibc registered nothing */
    struct rseq *area =
        (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
    /* Negative: never registered (a refusal, valgrind) or already left;
     * the kernel keeps it a CPU number while the area is registered. */
    if ((int32_t)area->cpu_id < 0) return 0;
    if (unregister_area(area, __rseq_size) == 0) return 0;
    if (errno != EINVAL || __rseq_size == sizeof(*area)) return -1;
    return unregister_area(area, sizeof(*area));
}
