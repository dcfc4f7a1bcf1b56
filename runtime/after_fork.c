/* after_fork.c: see after_fork.h. */
#include "after_fork.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

/* Signals whose handlers a sanitizer installs: a sanitizer build keeps
 * them, so a crash in a child still writes its report. */
static int sanitizer_signal(int sig)
{
#ifdef TINE_SANITIZE
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
           sig == SIGILL || sig == SIGABRT;
#else
    (void)sig;
    return 0;
#endif
}

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Close every descriptor above 2 but the n in keep (sorted here), with
 * one close_range per gap: no limit on how many are kept or closed. */
static void close_all_but(int *keep, int n)
{
    unsigned from = 3;
    qsort(keep, (size_t)n, sizeof(*keep), compare_ints);
    for (int i = 0; i < n; i++) {
        if (keep[i] < (int)from) continue;
        if ((unsigned)keep[i] > from) close_range(from, (unsigned)keep[i] - 1, 0);
        from = (unsigned)keep[i] + 1;
    }
    close_range(from, ~0U, 0);
}

void after_fork_reset(int *keep, int n)
{
    sigset_t none;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP && !sanitizer_signal(sig))
            signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    log_forget_flood();
    close_all_but(keep, n);
}
