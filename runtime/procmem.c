/* procmem.c: resident memory from /proc/PID/statm. */
#include "procmem.h"

#include <stdio.h>
#include <unistd.h>

double procmem_rss_mib(pid_t pid)
{
    char path[64];
    unsigned long size = 0, resident = 0;
    if (pid == 0) snprintf(path, sizeof(path), "/proc/self/statm");
    else snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int got = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (got != 2) return 0;
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}
