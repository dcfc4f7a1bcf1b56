/* shdict_repair.c: a shared dictionary after a process died holding its
 * lock, or after an operation met an offset out of bounds. The heap's
 * tiling and its used blocks are the truth; the check compares every
 * derived structure (index, LRU list, free lists, counters) with it, and
 * the rebuild derives them all again. Both are bounded, trust no offset,
 * and the rebuild can itself be interrupted and run again. */
#include "shdict_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* What a walk of the heap found. */
struct census {
    uint32_t used, nfree, free_bytes;
};

/* Say what is wrong in err; -1. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Walk the tiling: sizes in bounds, prev_size right, no two free blocks
 * side by side, every used block a well-formed entry; count them. */
static int check_heap(struct shdict *d, struct census *c, char *err,
                      size_t errlen)
{
    uint32_t off = d->heap_off, prev = 0;
    int prev_free = 0;
    memset(c, 0, sizeof(*c));
    while (off < d->heap_end) {
        struct block *b = shdict_heap_block(d, off);
        if (!b || (b->size & (ALIGN - 2)))
            return fail(err, errlen, "block at %u has a bad size", off);
        if (b->prev_size != prev)
            return fail(err, errlen, "block at %u: prev_size %u, not %u",
                        off, b->prev_size, prev);
        int is_free = !(b->size & BLOCK_USED);
        if (is_free && prev_free)
            return fail(err, errlen, "free blocks side by side at %u", off);
        if (!is_free && !shdict_entry(d, off))
            return fail(err, errlen, "bad entry at %u", off);
        if (is_free) {
            c->nfree++;
            c->free_bytes += block_size(b);
        } else {
            c->used++;
        }
        prev = block_size(b);
        prev_free = is_free;
        off += prev;
    }
    return 0;
}

/* Every free list: its blocks free, of its class, linked both ways, and
 * as many as the heap has. */
static int check_free_lists(struct shdict *d, const struct census *c,
                            char *err, size_t errlen)
{
    uint32_t seen = 0;
    for (unsigned k = 0; k < NCLASSES; k++) {
        uint32_t prev = 0, off = d->r->free_heads[k];
        while (off) {
            struct free_block *f =
                (struct free_block *)shdict_heap_block(d, off);
            if (!f || (f->b.size & BLOCK_USED) || ++seen > c->nfree)
                return fail(err, errlen, "free list %u: bad block %u", k, off);
            if (shdict_heap_class(block_size(&f->b)) != k || f->prev != prev)
                return fail(err, errlen, "free list %u: block %u misplaced",
                            k, off);
            prev = off;
            off = f->next;
        }
    }
    if (seen != c->nfree)
        return fail(err, errlen, "%u free blocks, %u on free lists",
                    c->nfree, seen);
    return 0;
}

/* Every bucket's chain: well-formed entries that hash there. */
static int check_index(struct shdict *d, const struct census *c, char *err,
                       size_t errlen)
{
    uint32_t seen = 0;
    for (uint32_t i = 0; i < d->nbuckets; i++) {
        for (uint32_t off = d->buckets[i]; off;) {
            struct entry *e = shdict_entry(d, off);
            if (!e || ++seen > c->used)
                return fail(err, errlen, "bucket %u: bad entry %u", i, off);
            if (shdict_hash(e->data, e->klen) != e->hash
                || (e->hash & (d->nbuckets - 1)) != i)
                return fail(err, errlen, "bucket %u: entry %u misplaced",
                            i, off);
            off = e->hnext;
        }
    }
    if (seen != c->used)
        return fail(err, errlen, "%u entries, %u in the index", c->used,
                    seen);
    return 0;
}

/* The LRU list: every entry once, linked both ways, head to tail. */
static int check_lru(struct shdict *d, const struct census *c, char *err,
                     size_t errlen)
{
    uint32_t seen = 0, prev = 0;
    for (uint32_t off = d->r->lru_head; off;) {
        struct entry *e = shdict_entry(d, off);
        if (!e || ++seen > c->used || e->lprev != prev)
            return fail(err, errlen, "LRU list: bad entry %u", off);
        prev = off;
        off = e->lnext;
    }
    if (seen != c->used || d->r->lru_tail != prev)
        return fail(err, errlen, "%u entries, %u on the LRU list", c->used,
                    seen);
    return 0;
}

int shdict_check_locked(struct shdict *d, char *err, size_t errlen)
{
    struct census c;
    if (check_heap(d, &c, err, errlen) < 0
        || check_free_lists(d, &c, err, errlen) < 0
        || check_index(d, &c, err, errlen) < 0
        || check_lru(d, &c, err, errlen) < 0)
        return -1;
    if (c.used != d->r->nentries || c.free_bytes != d->r->free_bytes)
        return fail(err, errlen, "counters: %u entries and %u free bytes "
                    "counted, %u and %u recorded", c.used, c.free_bytes,
                    d->r->nentries, d->r->free_bytes);
    return 0;
}

/* Keep the used block at off as an entry if it is well formed and its key
 * is not indexed yet; 1 if kept. */
static int keep_entry(struct shdict *d, uint32_t off)
{
    struct entry *e = shdict_entry(d, off);
    if (!e) return 0;
    e->hash = shdict_hash(e->data, e->klen);
    if (shdict_find(d, e->data, e->klen, e->hash) != 0) return 0;
    shdict_link(d, off, e);
    return 1;
}

/* The block at off during a rebuild; where the tiling is broken, the rest
 * of the heap becomes one free block (or, if under MIN_BLOCK, part of the
 * block before it, at last). NULL when the heap ends there. */
static struct block *walk_block(struct shdict *d, uint32_t off, uint32_t last,
                                uint32_t *lost)
{
    struct block *b = (struct block *)(d->base + off);
    uint32_t size = block_size(b), rest = d->heap_end - off;
    if (size >= MIN_BLOCK && size <= rest && !(b->size & (ALIGN - 2)))
        return b;
    (*lost)++;
    if (rest >= MIN_BLOCK) {
        block_publish(b, rest);
        return b;
    }
    struct block *l = (struct block *)(d->base + last);
    block_publish(l, l->size + rest);
    return NULL;
}

/* Push the free run at off, if any, and count its bytes. */
static void close_run(struct shdict *d, uint32_t off)
{
    if (!off) return;
    d->r->free_bytes += block_size((struct block *)(d->base + off));
    shdict_heap_list_push(d, off);
}

/* Walk the heap: keep good entries, free the rest, merge free runs. */
static void rebuild_heap(struct shdict *d, uint32_t *kept, uint32_t *lost)
{
    uint32_t off = d->heap_off, last = 0, run = 0;
    while (off < d->heap_end) {
        struct block *b = walk_block(d, off, last, lost);
        if (!b) break;
        uint32_t size = block_size(b);
        b->prev_size = last ? block_size((struct block *)(d->base + last)) : 0;
        if ((b->size & BLOCK_USED) && keep_entry(d, off)) {
            close_run(d, run);
            run = 0;
            last = off;
            (*kept)++;
        } else {
            if (b->size & BLOCK_USED) (*lost)++;
            block_publish(b, size);
            STEP(d);
            if (run) {
                struct block *r = (struct block *)(d->base + run);
                block_publish(r, block_size(r) + size);
            }
            if (!run) run = off;
            last = run;
        }
        off += size;
    }
    close_run(d, run);
}

void shdict_rebuild(struct shdict *d, const char *why)
{
    struct shdict_region *r = d->r;
    uint32_t kept = 0, lost = 0;
    r->op = OP_REPAIR;
    memset(d->buckets, 0, d->nbuckets * sizeof(*d->buckets));
    memset(r->free_heads, 0, sizeof(r->free_heads));
    r->lru_head = r->lru_tail = 0;
    r->nentries = 0;
    r->free_bytes = 0;
    rebuild_heap(d, &kept, &lost);
    snprintf(r->note, sizeof(r->note), "%s: rebuilt, %u entries kept, %u "
             "dropped", why, kept, lost);
    r->damaged = 0;
}

/* The name of an operation, for the note. */
static const char *op_name(uint32_t op)
{
    static const char *const names[] = {
        "no operation", "get", "a store", "incr", "ttl", "expire",
        "flush_all", "flush_expired", "get_keys", "free_space", "a check",
        "a repair",
    };
    return op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}

void shdict_recover(struct shdict *d)
{
    struct shdict_region *r = d->r;
    char why[100] = "an operation met an offset out of bounds", what[160];
    snprintf(what, sizeof(what), "a process died holding the lock in %s",
             op_name(r->op));
    if (!r->damaged && shdict_check_locked(d, why, sizeof(why)) == 0) {
        snprintf(r->note, sizeof(r->note), "%s: nothing to repair", what);
    } else {
        size_t len = strlen(what);
        snprintf(what + len, sizeof(what) - len, " (%s)", why);
        shdict_rebuild(d, what);
    }
    r->repairs++;
    r->op = OP_NONE;
}

int shdict_check(struct shdict *d, char *err, size_t errlen)
{
    if (shdict_lock(d, OP_CHECK) != 0)
        return fail(err, errlen, "%s", shdict_strerror(SHDICT_LOCK_FAILED));
    int rc = shdict_check_locked(d, err, errlen);
    if (rc < 0) {
        shdict_rebuild(d, "shdict_check");
        d->r->repairs++;
    }
    shdict_unlock(d, SHDICT_OK);
    return rc;
}

unsigned shdict_repairs(struct shdict *d, char *note, size_t len)
{
    if (shdict_lock(d, OP_CHECK) != 0) return 0;
    unsigned n = d->r->repairs;
    snprintf(note, len, "%s", d->r->note);
    shdict_unlock(d, SHDICT_OK);
    return n;
}
