/* scoreboard.c: shared slots for the children's live state. */
#include "scoreboard.h"

#include <string.h>
#include <sys/mman.h>

/* The mapping: a header (the high-water mark), then the slots. */
#define HEADER_SIZE 64

int scoreboard_open(struct scoreboard *sb, int nslots)
{
    size_t size = HEADER_SIZE + sizeof(struct scoreboard_slot) * (size_t)nslots;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return -1;
    sb->used = p;
    sb->slots = (struct scoreboard_slot *)((char *)p + HEADER_SIZE);
    sb->nslots = nslots;
    return 0;
}

int scoreboard_claim(struct scoreboard *sb, pid_t pid)
{
    for (int i = 0; i < sb->nslots; i++) {
        if (sb->slots[i].pid == 0) {
            memset((void *)&sb->slots[i], 0, sizeof(sb->slots[i]));
            sb->slots[i].pid = pid;
            if (i + 1 > *sb->used) *sb->used = i + 1;
            return i;
        }
    }
    return -1;
}

long scoreboard_least_busy(const struct scoreboard *sb, int self, double now,
                           double stuck)
{
    long least = -1;
    for (int i = 0; i < *sb->used; i++) {
        const struct scoreboard_slot *s = &sb->slots[i];
        if (i == self || s->pid <= 0 || !s->accepting) continue;
        if (s->callback != 0 && now - s->callback_since >= stuck) continue;
        if (least < 0 || s->conns < least) least = (long)s->conns;
    }
    return least;
}

void scoreboard_release(struct scoreboard *sb, int i)
{
    if (i >= 0 && i < sb->nslots)
        memset((void *)&sb->slots[i], 0, sizeof(sb->slots[i]));
}
