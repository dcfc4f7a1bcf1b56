/* shdict_int.h: the layout of a shared dictionary's region, shared by
 * shdict.c (index, LRU, operations), shdict_heap.c (the allocator) and
 * shdict_repair.c (check and rebuild). Not for other modules.
 *
 * Region: [struct shdict_region][bucket array: uint32_t offsets][heap].
 * The heap is a sequence of blocks that tile it exactly; each starts with
 * struct block. A block whose header has BLOCK_USED holds a complete entry
 * (the flag is stored last, with release order); any other block is free.
 * Splitting and merging change the tiling with one 32-bit store each, so a
 * walk of the heap is always possible: it is the truth, and the index, the
 * LRU list, the free lists and the counters are derived from it. */
#ifndef TINE_SHDICT_INT_H
#define TINE_SHDICT_INT_H

#include <pthread.h>
#include <stdint.h>

#include "shdict.h"

#define SHDICT_MAGIC 0x74696e65u     /* "tine" */
#define NCLASSES 28                  /* free lists: sizes 2^(c+4) .. */
#define ALIGN 8
#define MIN_BLOCK 16                 /* a free block's header and links */
#define BLOCK_USED 1u

/* Operations, recorded in the region while they run (the dirty marker). */
enum shdict_opcode {
    OP_NONE = 0, OP_GET, OP_STORE, OP_INCR, OP_TTL, OP_EXPIRE,
    OP_FLUSH_ALL, OP_FLUSH_EXPIRED, OP_GET_KEYS, OP_FREE_SPACE, OP_CHECK,
    OP_REPAIR
};

struct shdict_region {
    uint32_t magic;
    uint32_t op;               /* enum shdict_opcode in progress, or 0 */
    uint32_t damaged;          /* an operation met an offset out of bounds */
    uint32_t repairs;          /* recoveries so far */
    uint32_t lru_head;         /* most recently used entry */
    uint32_t lru_tail;         /* least recently used entry */
    uint32_t nentries;
    uint32_t free_bytes;       /* sum of the free blocks' sizes */
    uint32_t free_heads[NCLASSES];
    char note[224];            /* what the last repair found */
    pthread_mutex_t mutex;     /* process-shared, robust */
};

struct block {
    uint32_t size;             /* bytes, a multiple of 8, | BLOCK_USED */
    uint32_t prev_size;        /* size of the block before it; 0: first */
};

struct free_block {
    struct block b;
    uint32_t next, prev;       /* its free list */
};

struct entry {
    struct block b;
    uint32_t hnext;            /* next entry in the same bucket */
    uint32_t lprev, lnext;     /* LRU neighbours, toward head / tail */
    uint32_t hash;
    uint32_t klen, vlen;       /* key bytes; string value bytes */
    uint32_t flags;            /* the user flags */
    uint32_t type;             /* enum shdict_type, never SHDICT_NIL */
    double expires;            /* monotonic seconds; 0: never */
    double num;                /* number, or boolean 0 / 1 */
    char data[];               /* the key, then a string value */
};

/* The handle: process-local, identical in every child of the master that
 * created it. The layout is read from here, never from the region. */
struct shdict {
    struct shdict_region *r;
    char *base;
    uint32_t size;             /* mapping length */
    uint32_t nbuckets;         /* a power of two */
    uint32_t heap_off, heap_end;
    uint32_t *buckets;
    double (*now)(void *);
    void *now_arg;
    void (*step)(void *);
    void *step_arg;
};

/* A crash point for tests, between two stores of a mutation. */
#define STEP(d) do { if ((d)->step) (d)->step((d)->step_arg); } while (0)

static inline uint32_t block_size(const struct block *b)
{
    return b->size & ~(uint32_t)(ALIGN - 1);
}

/* Store a block's size word so that every store before it lands first. */
static inline void block_publish(struct block *b, uint32_t word)
{
    __atomic_store_n(&b->size, word, __ATOMIC_RELEASE);
}

/* The most entries the heap could hold: a bound for every walk. */
static inline uint32_t shdict_max_entries(const struct shdict *d)
{
    return (d->heap_end - d->heap_off) / SHDICT_ENTRY_OVERHEAD + 1;
}

/* shdict_heap.c */

/* The block at off if its header is within bounds, else NULL (and, for an
 * offset other than 0, the region is marked damaged). */
struct block *shdict_heap_block(struct shdict *d, uint32_t off);

/* Its free list for a free block of `size` bytes. */
unsigned shdict_heap_class(uint32_t size);

/* Make the whole heap one free block. */
void shdict_heap_reset(struct shdict *d);

/* A block of at least `need` bytes taken off the free lists (not yet
 * marked used: the caller fills it, then heap_commit), or 0. */
uint32_t shdict_heap_alloc(struct shdict *d, uint32_t need);

/* Take free block off (on its free list) for `need` <= its size. */
uint32_t shdict_heap_take(struct shdict *d, uint32_t off, uint32_t need);

/* Mark a filled block as a used entry. */
void shdict_heap_commit(struct shdict *d, uint32_t off);

/* Free a used block, merged with free neighbours; the merged block. */
uint32_t shdict_heap_free(struct shdict *d, uint32_t off);

/* Put free block off on the free list for its size. */
void shdict_heap_list_push(struct shdict *d, uint32_t off);

/* shdict.c */

/* The key of an operation, hashed, and the time it started. */
struct shdict_key {
    const char *key;
    size_t len;
    uint32_t hash;
    double now;
};

/* Take the lock for op, recovering from a holder that died or from damage
 * first; 0, or -1 if the lock is unusable. */
int shdict_lock(struct shdict *d, enum shdict_opcode op);

/* Release the lock, rebuilding first if the operation met damage (then
 * SHDICT_CORRUPT); otherwise rc. */
int shdict_unlock(struct shdict *d, int rc);

/* Has e expired at now? */
int shdict_expired(const struct entry *e, double now);

/* Make entry e (at off) the most recently used. */
void shdict_touch(struct shdict *d, uint32_t off, struct entry *e);

/* Unlink entry e (at off) and free its block; the merged free block. */
uint32_t shdict_remove(struct shdict *d, uint32_t off, struct entry *e);

/* Store a new entry for k (absent from the index), expiring at `expires`
 * (0: never), evicting unless safe; SHDICT_OK or SHDICT_NO_MEMORY. */
int shdict_insert(struct shdict *d, const struct shdict_key *k,
                  const struct shdict_value *v, double expires, int safe,
                  int *forcible);

/* The entry at off if it is a used block holding a well-formed entry,
 * else NULL (and, for an offset other than 0, the region is damaged). */
struct entry *shdict_entry(struct shdict *d, uint32_t off);

/* FNV-1a of a key. */
uint32_t shdict_hash(const char *key, size_t len);

/* The entry for key, expired or not, or 0. */
uint32_t shdict_find(struct shdict *d, const char *key, size_t klen,
                     uint32_t hash);

/* Put the committed entry at off in the index and at the LRU head. */
void shdict_link(struct shdict *d, uint32_t off, struct entry *e);

/* shdict_repair.c */

/* Check every structure against the heap, lock held: 0, or -1 and why. */
int shdict_check_locked(struct shdict *d, char *err, size_t errlen);

/* Rebuild the index, LRU list, free lists and counters from the heap,
 * lock held; `why` goes into the region's note. Every well-formed entry
 * is kept (the LRU order becomes the heap's address order, the last
 * block the most recent); a broken tiling frees the heap from there. */
void shdict_rebuild(struct shdict *d, const char *why);

/* After EOWNERDEAD or damage: check, rebuild if needed, say so. */
void shdict_recover(struct shdict *d);

#endif
