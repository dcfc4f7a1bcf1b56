/* shdict_ops.c: OpenResty's ngx.shared.DICT methods over a shared
 * dictionary: each checks its arguments, takes the lock, works on the
 * index, LRU list and heap of shdict.c and shdict_heap.c, and says what
 * happened with an enum shdict_rc. */
#include "shdict_int.h"

#include <string.h>

#define LOCK(d, op)                                                         \
    do {                                                                    \
        if (shdict_lock((d), (op)) != 0) return SHDICT_LOCK_FAILED;         \
    } while (0)

/* Check key and fill k with it, its hash and the time; SHDICT_OK or why
 * the key is refused. */
static int key_init(struct shdict *d, struct shdict_key *k, const char *key,
                    size_t klen)
{
    if (klen == 0) return SHDICT_EMPTY_KEY;
    if (klen > SHDICT_KEY_MAX) return SHDICT_KEY_TOO_LONG;
    k->key = key;
    k->len = klen;
    k->hash = shdict_hash(key, klen);
    k->now = d->now(d->now_arg);
    return SHDICT_OK;
}

/* An operation's key and its live entry. */
struct lookup {
    struct shdict_key k;
    uint32_t off;
    struct entry *e;           /* NULL: absent or expired */
};

/* Check key, take the lock for op and find its live entry (an expired one
 * is freed on the way): SHDICT_OK with the lock held and l filled, or why
 * not, without the lock. */
static int begin(struct shdict *d, enum shdict_opcode op, const char *key,
                 size_t klen, struct lookup *l)
{
    int rc = key_init(d, &l->k, key, klen);
    if (rc != SHDICT_OK) return rc;
    LOCK(d, op);
    l->off = shdict_find(d, key, klen, l->k.hash);
    l->e = shdict_entry(d, l->off);
    if (l->e && shdict_expired(l->e, l->k.now)) {
        shdict_remove(d, l->off, l->e);
        l->e = NULL;
    }
    return SHDICT_OK;
}

/* As begin, but an absent key is SHDICT_NOT_FOUND (without the lock). */
static int begin_live(struct shdict *d, enum shdict_opcode op,
                      const char *key, size_t klen, struct lookup *l)
{
    int rc = begin(d, op, key, klen, l);
    if (rc == SHDICT_OK && !l->e) return shdict_unlock(d, SHDICT_NOT_FOUND);
    return rc;
}

int shdict_get(struct shdict *d, const char *key, size_t klen,
               struct shdict_value *out, char *buf, size_t bufsize)
{
    struct lookup l;
    int rc = begin_live(d, OP_GET, key, klen, &l);
    if (rc != SHDICT_OK) return rc;
    struct entry *e = l.e;
    out->type = (enum shdict_type)e->type;
    out->num = e->num;
    out->flags = e->flags;
    out->str = NULL;
    out->len = 0;
    shdict_touch(d, l.off, e);
    if (e->type == SHDICT_STRING) {
        out->len = e->vlen;
        if (e->vlen > bufsize) return shdict_unlock(d, SHDICT_TOO_SMALL);
        if (e->vlen) memcpy(buf, e->data + e->klen, e->vlen);
        out->str = buf;
    }
    return shdict_unlock(d, SHDICT_OK);
}

int shdict_store(struct shdict *d, enum shdict_store_op op, const char *key,
                 size_t klen, const struct shdict_value *v, double exptime,
                 int *forcible)
{
    int ignored;
    if (!forcible) forcible = &ignored;
    *forcible = 0;
    if ((unsigned)v->type > SHDICT_STRING || op < SHDICT_SET
        || op > SHDICT_REPLACE)
        return SHDICT_BAD_VALUE;
    if (!(exptime >= 0)) return SHDICT_BAD_EXPTIME;
    struct lookup l;
    int rc = op == SHDICT_REPLACE ? begin_live(d, OP_STORE, key, klen, &l)
                                  : begin(d, OP_STORE, key, klen, &l);
    if (rc != SHDICT_OK) return rc;
    if (l.e && (op == SHDICT_ADD || op == SHDICT_SAFE_ADD))
        return shdict_unlock(d, SHDICT_EXISTS);
    if (l.e) shdict_remove(d, l.off, l.e);
    if (v->type == SHDICT_NIL) return shdict_unlock(d, SHDICT_OK);
    int safe = op == SHDICT_SAFE_SET || op == SHDICT_SAFE_ADD;
    rc = shdict_insert(d, &l.k, v, exptime > 0 ? l.k.now + exptime : 0, safe,
                       forcible);
    return shdict_unlock(d, rc);
}

int shdict_delete(struct shdict *d, const char *key, size_t klen)
{
    struct shdict_value nil = {.type = SHDICT_NIL};
    return shdict_store(d, SHDICT_SET, key, klen, &nil, 0, NULL);
}

int shdict_incr(struct shdict *d, const char *key, size_t klen, double n,
                const double *init, double init_ttl, double *newval,
                int *forcible)
{
    int ignored;
    if (!forcible) forcible = &ignored;
    *forcible = 0;
    if (init && !(init_ttl >= 0)) return SHDICT_BAD_EXPTIME;
    struct lookup l;
    int rc = init ? begin(d, OP_INCR, key, klen, &l)
                  : begin_live(d, OP_INCR, key, klen, &l);
    if (rc != SHDICT_OK) return rc;
    if (!l.e) {
        struct shdict_value v = {.type = SHDICT_NUMBER, .num = *init + n};
        rc = shdict_insert(d, &l.k, &v,
                           init_ttl > 0 ? l.k.now + init_ttl : 0, 0, forcible);
        if (rc == SHDICT_OK) *newval = v.num;
        return shdict_unlock(d, rc);
    }
    if (l.e->type != SHDICT_NUMBER)
        return shdict_unlock(d, SHDICT_NOT_A_NUMBER);
    double sum = l.e->num + n;
    l.e->num = sum;                          /* one aligned store */
    *newval = sum;
    shdict_touch(d, l.off, l.e);
    return shdict_unlock(d, SHDICT_OK);
}

int shdict_ttl(struct shdict *d, const char *key, size_t klen, double *ttl)
{
    struct lookup l;
    int rc = begin_live(d, OP_TTL, key, klen, &l);
    if (rc != SHDICT_OK) return rc;
    *ttl = l.e->expires != 0 ? l.e->expires - l.k.now : 0;
    return shdict_unlock(d, SHDICT_OK);
}

int shdict_expire(struct shdict *d, const char *key, size_t klen,
                  double exptime)
{
    struct lookup l;
    if (!(exptime >= 0)) return SHDICT_BAD_EXPTIME;
    int rc = begin_live(d, OP_EXPIRE, key, klen, &l);
    if (rc != SHDICT_OK) return rc;
    l.e->expires = exptime > 0 ? l.k.now + exptime : 0;
    return shdict_unlock(d, SHDICT_OK);
}

int shdict_flush_all(struct shdict *d)
{
    LOCK(d, OP_FLUSH_ALL);
    shdict_heap_reset(d);                    /* every entry is gone here */
    memset(d->buckets, 0, d->nbuckets * sizeof(*d->buckets));
    d->r->lru_head = d->r->lru_tail = 0;
    d->r->nentries = 0;
    return shdict_unlock(d, SHDICT_OK);
}

int shdict_flush_expired(struct shdict *d, unsigned max, unsigned *flushed)
{
    double now = d->now(d->now_arg);
    unsigned count = 0;
    LOCK(d, OP_FLUSH_EXPIRED);
    uint32_t off = d->r->lru_tail;
    for (uint32_t i = 0; off && i < shdict_max_entries(d); i++) {
        struct entry *e = shdict_entry(d, off);
        if (!e) break;
        uint32_t newer = e->lprev;
        if (shdict_expired(e, now)) {
            shdict_remove(d, off, e);
            if (++count == max) break;
        }
        off = newer;
    }
    *flushed = count;
    return shdict_unlock(d, SHDICT_OK);
}

int shdict_get_keys(struct shdict *d, unsigned max, char *buf, size_t size,
                    size_t *used, unsigned *n)
{
    double now = d->now(d->now_arg);
    size_t need = 0;
    unsigned count = 0;
    LOCK(d, OP_GET_KEYS);
    uint32_t off = d->r->lru_head;
    for (uint32_t i = 0; off && i < shdict_max_entries(d); i++) {
        struct entry *e = shdict_entry(d, off);
        if (!e || (max && count == max)) break;
        if (!shdict_expired(e, now)) {
            uint32_t len = e->klen;
            if (need + sizeof(len) + len <= size) {
                memcpy(buf + need, &len, sizeof(len));
                memcpy(buf + need + sizeof(len), e->data, len);
            }
            need += sizeof(len) + len;
            count++;
        }
        off = e->lnext;
    }
    *used = need;
    *n = count;
    return shdict_unlock(d, need > size ? SHDICT_TOO_SMALL : SHDICT_OK);
}

int shdict_keys_next(const char *buf, size_t used, size_t *pos,
                     const char **key, size_t *klen)
{
    uint32_t len;
    if (*pos > used || used - *pos < sizeof(len)) return 0;
    memcpy(&len, buf + *pos, sizeof(len));
    if (len > used - *pos - sizeof(len)) return 0;
    *key = buf + *pos + sizeof(len);
    *klen = len;
    *pos += sizeof(len) + len;
    return 1;
}

size_t shdict_free_space(struct shdict *d)
{
    if (shdict_lock(d, OP_FREE_SPACE) != 0) return 0;
    size_t free_bytes = d->r->free_bytes;
    shdict_unlock(d, SHDICT_OK);
    return free_bytes;
}

const char *shdict_strerror(int rc)
{
    static const char *const words[] = {
        [SHDICT_OK] = "ok",
        [SHDICT_NOT_FOUND] = "not found",
        [SHDICT_EXISTS] = "exists",
        [SHDICT_NO_MEMORY] = "no memory",
        [SHDICT_NOT_A_NUMBER] = "not a number",
        [SHDICT_EMPTY_KEY] = "empty key",
        [SHDICT_KEY_TOO_LONG] = "key too long",
        [SHDICT_BAD_VALUE] = "bad value type",
        [SHDICT_BAD_EXPTIME] = "bad exptime",
        [SHDICT_TOO_SMALL] = "buffer too small",
        [SHDICT_LOCK_FAILED] = "lock unusable",
        [SHDICT_CORRUPT] = "dictionary damaged (rebuilt)",
    };
    if (rc < 0 || (size_t)rc >= sizeof(words) / sizeof(words[0]))
        return "unknown error";
    return words[rc];
}
