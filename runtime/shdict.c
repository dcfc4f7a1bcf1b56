/* shdict.c: a shared dictionary's region, its lock, its hash index and
 * LRU list, and the allocation that evicts. The operations themselves are
 * in shdict_ops.c. */
#include "shdict_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "clock.h"

_Static_assert(sizeof(struct entry) == SHDICT_ENTRY_OVERHEAD,
               "SHDICT_ENTRY_OVERHEAD is the entry header's size");
_Static_assert(offsetof(struct entry, num) % 8 == 0,
               "a number is updated with one aligned store");

/* The default clock. */
static double monotonic(void *arg)
{
    (void)arg;
    return clock_now();
}

/* Initialise a process-shared robust mutex; 0 or an errno value. */
static int mutex_init(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    int rc = pthread_mutexattr_init(&a);
    if (rc != 0) return rc;
    rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (rc == 0) rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (rc == 0) rc = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return rc;
}

/* Lay the region out: the header, one bucket per 128 bytes (a power of
 * two, at least 8), the heap. */
static void layout(struct shdict *d, void *p, size_t size)
{
    uint32_t header = (sizeof(struct shdict_region) + 63) & ~63u;
    uint32_t n = 8;
    while ((size_t)n * 2 <= size / 128) n *= 2;
    d->base = p;
    d->r = p;
    d->size = (uint32_t)size;
    d->nbuckets = n;
    d->buckets = (uint32_t *)(d->base + header);
    d->heap_off = header + n * (uint32_t)sizeof(uint32_t);
    d->heap_end = (uint32_t)size & ~(uint32_t)(ALIGN - 1);
}

struct shdict *shdict_create(size_t size, char *err, size_t errlen)
{
    if (size < SHDICT_MIN_SIZE || size > SHDICT_MAX_SIZE) {
        snprintf(err, errlen, "a shared dictionary must have %d to %u bytes,"
                 " not %zu", SHDICT_MIN_SIZE, SHDICT_MAX_SIZE, size);
        return NULL;
    }
    struct shdict *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory for a shared dictionary");
        return NULL;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "mmap() of %zu bytes failed for a shared "
                 "dictionary: %s", size, strerror(errno));
        free(d);
        return NULL;
    }
    layout(d, p, size);
    int rc = mutex_init(&d->r->mutex);
    if (rc != 0) {
        snprintf(err, errlen, "pthread_mutex_init() failed for a shared "
                 "dictionary: %s", strerror(rc));
        shdict_destroy(d);
        return NULL;
    }
    d->r->magic = SHDICT_MAGIC;
    d->now = monotonic;
    shdict_heap_reset(d);
    return d;
}

void shdict_destroy(struct shdict *d)
{
    if (!d) return;
    munmap(d->base, d->size);
    free(d);
}

void shdict_set_clock(struct shdict *d, double (*now)(void *arg), void *arg)
{
    d->now = now ? now : monotonic;
    d->now_arg = arg;
}

void shdict_set_step_hook(struct shdict *d, void (*step)(void *arg),
                          void *arg)
{
    d->step = step;
    d->step_arg = arg;
}

size_t shdict_capacity(const struct shdict *d)
{
    return d->size;
}

int shdict_lock(struct shdict *d, enum shdict_opcode op)
{
    int rc = pthread_mutex_lock(&d->r->mutex);
    if (rc == EOWNERDEAD) {
        shdict_recover(d);
        pthread_mutex_consistent(&d->r->mutex);
    } else if (rc != 0) {
        return -1;
    } else if (d->r->op != OP_NONE || d->r->damaged) {
        shdict_recover(d);
    }
    d->r->op = op;
    return 0;
}

int shdict_unlock(struct shdict *d, int rc)
{
    if (d->r->damaged) {
        shdict_rebuild(d, "an operation met an offset out of bounds");
        d->r->repairs++;
        rc = SHDICT_CORRUPT;
    }
    d->r->op = OP_NONE;
    pthread_mutex_unlock(&d->r->mutex);
    return rc;
}

uint32_t shdict_hash(const char *key, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 16777619u;
    }
    return h;
}

struct entry *shdict_entry(struct shdict *d, uint32_t off)
{
    struct block *b = shdict_heap_block(d, off);
    if (!b) return NULL;
    struct entry *e = (struct entry *)b;
    if ((b->size & BLOCK_USED) && block_size(b) >= SHDICT_ENTRY_OVERHEAD) {
        uint64_t need = (uint64_t)SHDICT_ENTRY_OVERHEAD + e->klen + e->vlen;
        if (e->klen >= 1 && e->klen <= SHDICT_KEY_MAX
            && need <= block_size(b) && e->type >= SHDICT_BOOLEAN
            && e->type <= SHDICT_STRING)
            return e;
    }
    d->r->damaged = 1;
    return NULL;
}

uint32_t shdict_find(struct shdict *d, const char *key, size_t klen,
                     uint32_t hash)
{
    uint32_t off = d->buckets[hash & (d->nbuckets - 1)];
    for (uint32_t n = 0; off && n < shdict_max_entries(d); n++) {
        struct entry *e = shdict_entry(d, off);
        if (!e) return 0;
        if (e->hash == hash && e->klen == klen
            && memcmp(e->data, key, klen) == 0)
            return off;
        off = e->hnext;
    }
    if (off) d->r->damaged = 1;              /* a cycle */
    return 0;
}

/* Put entry e (at off) at the head of the LRU list. */
static void lru_push(struct shdict *d, uint32_t off, struct entry *e)
{
    struct shdict_region *r = d->r;
    e->lprev = 0;
    e->lnext = r->lru_head;
    STEP(d);
    struct entry *h = shdict_entry(d, r->lru_head);
    if (h) h->lprev = off;
    else r->lru_tail = off;
    STEP(d);
    r->lru_head = off;
    STEP(d);
}

/* Take entry e (at off) out of the LRU list. */
static void lru_unlink(struct shdict *d, uint32_t off, struct entry *e)
{
    struct shdict_region *r = d->r;
    struct entry *p = shdict_entry(d, e->lprev);
    struct entry *n = shdict_entry(d, e->lnext);
    if (p) p->lnext = e->lnext;
    else if (r->lru_head == off) r->lru_head = e->lnext;
    STEP(d);
    if (n) n->lprev = e->lprev;
    else if (r->lru_tail == off) r->lru_tail = e->lprev;
    STEP(d);
}

void shdict_link(struct shdict *d, uint32_t off, struct entry *e)
{
    uint32_t *bucket = &d->buckets[e->hash & (d->nbuckets - 1)];
    e->hnext = *bucket;
    STEP(d);
    *bucket = off;
    STEP(d);
    lru_push(d, off, e);
    d->r->nentries++;
    STEP(d);
}

/* Take entry e (at off) out of its bucket's chain. */
static void index_unlink(struct shdict *d, uint32_t off, struct entry *e)
{
    uint32_t *link = &d->buckets[e->hash & (d->nbuckets - 1)];
    for (uint32_t n = 0; *link && n < shdict_max_entries(d); n++) {
        if (*link == off) {
            *link = e->hnext;
            STEP(d);
            return;
        }
        struct entry *p = shdict_entry(d, *link);
        if (!p) return;
        link = &p->hnext;
    }
    d->r->damaged = 1;                       /* not in its chain */
}

void shdict_touch(struct shdict *d, uint32_t off, struct entry *e)
{
    if (d->r->lru_head == off) return;
    lru_unlink(d, off, e);
    lru_push(d, off, e);
}

uint32_t shdict_remove(struct shdict *d, uint32_t off, struct entry *e)
{
    index_unlink(d, off, e);
    lru_unlink(d, off, e);
    d->r->nentries--;
    STEP(d);
    return shdict_heap_free(d, off);
}

int shdict_expired(const struct entry *e, double now)
{
    return e->expires != 0 && e->expires <= now;
}

/* Free expired entries at the LRU tail, up to 3, as OpenResty does on
 * every store. */
static void reclaim_tail(struct shdict *d, double now)
{
    for (int i = 0; i < 3; i++) {
        uint32_t off = d->r->lru_tail;
        struct entry *e = shdict_entry(d, off);
        if (!e || !shdict_expired(e, now)) return;
        shdict_remove(d, off, e);
    }
}

/* A block of `need` bytes, evicting from the LRU tail unless safe (then
 * only expired entries at the tail go); *forcible if a live entry went.
 * 0 if even evicting everything leaves no room. */
static uint32_t alloc_evicting(struct shdict *d, uint32_t need, int safe,
                               double now, int *forcible)
{
    reclaim_tail(d, now);
    uint32_t off = shdict_heap_alloc(d, need);
    if (off || safe) return off;
    while (!d->r->damaged) {
        uint32_t victim = d->r->lru_tail;
        struct entry *e = shdict_entry(d, victim);
        if (!e) return 0;
        if (!shdict_expired(e, now)) *forcible = 1;
        uint32_t freed = shdict_remove(d, victim, e);
        struct block *b = shdict_heap_block(d, freed);
        if (b && block_size(b) >= need)
            return shdict_heap_take(d, freed, need);
    }
    return 0;                                /* leave it to the rebuild */
}

int shdict_insert(struct shdict *d, const struct shdict_key *k,
                  const struct shdict_value *v, double expires, int safe,
                  int *forcible)
{
    size_t vlen = v->type == SHDICT_STRING ? v->len : 0;
    size_t total = SHDICT_ENTRY_OVERHEAD + k->len + vlen;
    if (vlen > d->heap_end || total > d->heap_end - d->heap_off)
        return SHDICT_NO_MEMORY;
    uint32_t need = ((uint32_t)total + ALIGN - 1) & ~(uint32_t)(ALIGN - 1);
    uint32_t off = alloc_evicting(d, need, safe, k->now, forcible);
    if (!off) return SHDICT_NO_MEMORY;
    struct entry *e = (struct entry *)(d->base + off);
    e->hash = k->hash;
    e->klen = (uint32_t)k->len;
    e->vlen = (uint32_t)vlen;
    e->flags = v->flags;
    e->type = v->type;
    e->expires = expires;
    e->num = v->type == SHDICT_BOOLEAN ? (v->num != 0)
           : v->type == SHDICT_NUMBER ? v->num : 0;
    memcpy(e->data, k->key, k->len);
    if (vlen) memcpy(e->data + k->len, v->str, vlen);
    STEP(d);
    shdict_heap_commit(d, off);
    shdict_link(d, off, e);
    return SHDICT_OK;
}
