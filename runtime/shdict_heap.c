/* shdict_heap.c: the allocator of a shared dictionary's heap. Blocks tile
 * the heap; free ones sit on one of NCLASSES lists by power-of-two size,
 * are split on allocation and merged with free neighbours when freed.
 * Every change to the tiling is one release store of a size word, made
 * after whatever it depends on, so a walk of the heap never goes astray
 * whatever instruction a process dies at. */
#include "shdict_int.h"

#include <string.h>

/* How many blocks of the request's own class are tried before a larger
 * class is used (any block there fits). */
#define FIRST_FIT_TRIES 32

struct block *shdict_heap_block(struct shdict *d, uint32_t off)
{
    if (off == 0) return NULL;
    if (off >= d->heap_off && off % ALIGN == 0
        && off <= d->heap_end - MIN_BLOCK) {
        struct block *b = (struct block *)(d->base + off);
        uint32_t size = block_size(b);
        if (size >= MIN_BLOCK && size <= d->heap_end - off) return b;
    }
    d->r->damaged = 1;
    return NULL;
}

/* The free block at off, or NULL (damage unless off is 0). */
static struct free_block *free_at(struct shdict *d, uint32_t off)
{
    struct block *b = shdict_heap_block(d, off);
    if (b && (b->size & BLOCK_USED)) {
        d->r->damaged = 1;
        return NULL;
    }
    return (struct free_block *)b;
}

unsigned shdict_heap_class(uint32_t size)
{
    unsigned log2 = 31u - (unsigned)__builtin_clz(size | MIN_BLOCK);
    return log2 - 4 < NCLASSES ? log2 - 4 : NCLASSES - 1;
}

/* The block after b (at off), or NULL at the end of the heap. */
static struct block *next_of(struct shdict *d, uint32_t off,
                             const struct block *b)
{
    uint32_t next = off + block_size(b);
    return next < d->heap_end ? shdict_heap_block(d, next) : NULL;
}

void shdict_heap_list_push(struct shdict *d, uint32_t off)
{
    struct free_block *f = (struct free_block *)(d->base + off);
    unsigned c = shdict_heap_class(block_size(&f->b));
    uint32_t head = d->r->free_heads[c];
    f->prev = 0;
    f->next = head;
    STEP(d);
    struct free_block *h = free_at(d, head);
    if (h) h->prev = off;
    STEP(d);
    d->r->free_heads[c] = off;
    STEP(d);
}

/* Take free block f, at off, off its free list. */
static void list_unlink(struct shdict *d, uint32_t off, struct free_block *f)
{
    unsigned c = shdict_heap_class(block_size(&f->b));
    struct free_block *p = free_at(d, f->prev), *n = free_at(d, f->next);
    if (p) p->next = f->next;
    else if (d->r->free_heads[c] == off) d->r->free_heads[c] = f->next;
    STEP(d);
    if (n) n->prev = f->prev;
    STEP(d);
}

void shdict_heap_reset(struct shdict *d)
{
    struct block *b = (struct block *)(d->base + d->heap_off);
    b->prev_size = 0;
    block_publish(b, d->heap_end - d->heap_off);
    STEP(d);
    memset(d->r->free_heads, 0, sizeof(d->r->free_heads));
    d->r->free_bytes = d->heap_end - d->heap_off;
    shdict_heap_list_push(d, d->heap_off);
}

uint32_t shdict_heap_take(struct shdict *d, uint32_t off, uint32_t need)
{
    struct free_block *f = (struct free_block *)(d->base + off);
    uint32_t size = block_size(&f->b);
    list_unlink(d, off, f);
    if (size - need >= MIN_BLOCK) {
        struct block *rest = (struct block *)(d->base + off + need);
        rest->size = size - need;
        rest->prev_size = need;
        block_publish(&f->b, need);          /* the split happens here */
        STEP(d);
        struct block *after = next_of(d, off + need, rest);
        if (after) after->prev_size = size - need;
        STEP(d);
        shdict_heap_list_push(d, off + need);
        size = need;
    }
    d->r->free_bytes -= size;
    return off;
}

uint32_t shdict_heap_alloc(struct shdict *d, uint32_t need)
{
    unsigned c = shdict_heap_class(need);
    uint32_t off = d->r->free_heads[c];
    for (int tries = 0; off && tries < FIRST_FIT_TRIES; tries++) {
        struct free_block *f = free_at(d, off);
        if (!f) return 0;
        if (block_size(&f->b) >= need) return shdict_heap_take(d, off, need);
        off = f->next;
    }
    for (c++; c < NCLASSES; c++) {
        off = d->r->free_heads[c];
        if (off && free_at(d, off)) return shdict_heap_take(d, off, need);
    }
    return 0;
}

void shdict_heap_commit(struct shdict *d, uint32_t off)
{
    struct block *b = (struct block *)(d->base + off);
    block_publish(b, block_size(b) | BLOCK_USED);
    STEP(d);
}

/* Merge free block b (at off, not on a list) with the free block after
 * it, if any; b's new size. */
static uint32_t merge_next(struct shdict *d, uint32_t off, struct block *b)
{
    uint32_t size = block_size(b);
    struct block *n = next_of(d, off, b);
    if (n && !(n->size & BLOCK_USED)) {
        list_unlink(d, off + size, (struct free_block *)n);
        size += block_size(n);
        block_publish(b, size);
        STEP(d);
    }
    return size;
}

uint32_t shdict_heap_free(struct shdict *d, uint32_t off)
{
    struct block *b = (struct block *)(d->base + off);
    uint32_t size = block_size(b), before = b->prev_size;
    block_publish(b, size);                  /* no longer an entry */
    d->r->free_bytes += size;
    STEP(d);
    size = merge_next(d, off, b);
    struct block *p = before ? shdict_heap_block(d, off - before) : NULL;
    if (p && !(p->size & BLOCK_USED) && block_size(p) == before) {
        off -= before;
        list_unlink(d, off, (struct free_block *)p);
        size += before;
        block_publish(p, size);
        STEP(d);
        b = p;
    }
    struct block *n = next_of(d, off, b);
    if (n) n->prev_size = size;
    STEP(d);
    shdict_heap_list_push(d, off);
    return off;
}
