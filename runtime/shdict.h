/* shdict.h: one shared dictionary (OpenResty's ngx.shared.DICT) in one
 * MAP_SHARED anonymous region, mapped by the master before forking so that
 * every child sees the same data at the same address.
 *
 * Inside the region: a header with a process-shared robust mutex, a hash
 * index, an LRU list and a heap of blocks; all links are offsets, checked
 * against the region's bounds before use. No operation calls malloc.
 * A process that dies holding the lock, at any instruction, leaves a state
 * the next locker checks and, if anything is off, rebuilds from the heap:
 * an interrupted write leaves the key with its old value, its new value or
 * none, and every other key as it was. */
#ifndef TINE_SHDICT_H
#define TINE_SHDICT_H

#include <stddef.h>
#include <stdint.h>

#define SHDICT_MIN_SIZE 8192          /* bytes, header and index included */
#define SHDICT_MAX_SIZE 0xfffff000u   /* offsets are 32 bits */
#define SHDICT_KEY_MAX 65535          /* bytes in a key */
#define SHDICT_ENTRY_OVERHEAD 56      /* bytes an entry takes besides its
                                       * key and string value (then rounded
                                       * up to 8) */

struct shdict;

enum shdict_type {
    SHDICT_NIL = 0,        /* no value: storing it deletes the key */
    SHDICT_BOOLEAN,
    SHDICT_NUMBER,
    SHDICT_STRING
};

/* Results; shdict_strerror gives OpenResty's words for them. */
enum shdict_rc {
    SHDICT_OK = 0,
    SHDICT_NOT_FOUND,      /* "not found" */
    SHDICT_EXISTS,         /* "exists" */
    SHDICT_NO_MEMORY,      /* "no memory" */
    SHDICT_NOT_A_NUMBER,   /* "not a number" */
    SHDICT_EMPTY_KEY,      /* "empty key" */
    SHDICT_KEY_TOO_LONG,   /* "key too long" */
    SHDICT_BAD_VALUE,      /* "bad value type" */
    SHDICT_BAD_EXPTIME,    /* "bad exptime" */
    SHDICT_TOO_SMALL,      /* the caller's buffer is short: grow it to the
                            * length reported and ask again */
    SHDICT_LOCK_FAILED,    /* the lock cannot be taken any more */
    SHDICT_CORRUPT         /* found scribbled on and rebuilt; not done */
};

/* What a store puts and what a get returns. */
struct shdict_value {
    enum shdict_type type;
    double num;            /* SHDICT_NUMBER; SHDICT_BOOLEAN as 0 or 1 */
    const char *str;       /* SHDICT_STRING: the bytes (get: the caller's
                            * buffer, which holds a copy) */
    size_t len;            /* SHDICT_STRING: their length */
    uint32_t flags;        /* the user flags stored with the value */
};

enum shdict_store_op {
    SHDICT_SET = 1,        /* evicts LRU entries when full (forcible) */
    SHDICT_SAFE_SET,       /* "no memory" rather than evict */
    SHDICT_ADD,            /* "exists" if the key is live */
    SHDICT_SAFE_ADD,
    SHDICT_REPLACE         /* "not found" unless the key is live */
};

/* Map a dictionary of `size` bytes (SHDICT_MIN_SIZE to SHDICT_MAX_SIZE),
 * shared with children forked later; NULL with the reason in err. */
struct shdict *shdict_create(size_t size, char *err, size_t errlen);

/* Unmap it (in this process) and free the handle. */
void shdict_destroy(struct shdict *d);

/* Read expiry times from now(arg), monotonic seconds, in this process
 * (default: CLOCK_MONOTONIC, the same in every process). */
void shdict_set_clock(struct shdict *d, double (*now)(void *arg), void *arg);

/* The live value of key into *out, a string copied into buf: SHDICT_OK,
 * SHDICT_NOT_FOUND (absent or expired), or SHDICT_TOO_SMALL with out->len
 * the length buf must have. A hit makes the key the most recently used. */
int shdict_get(struct shdict *d, const char *key, size_t klen,
               struct shdict_value *out, char *buf, size_t bufsize);

/* Store v under key as op says, expiring exptime seconds from now (0:
 * never); a SHDICT_NIL value deletes. *forcible (may be NULL) tells
 * whether live entries were evicted to make room. On failure the key
 * keeps its value, except after "no memory": as in OpenResty, the key's
 * old value is gone then. */
int shdict_store(struct shdict *d, enum shdict_store_op op, const char *key,
                 size_t klen, const struct shdict_value *v, double exptime,
                 int *forcible);

/* Remove key if present; SHDICT_OK either way. */
int shdict_delete(struct shdict *d, const char *key, size_t klen);

/* Add n to the number under key, *newval the result. An absent key is
 * SHDICT_NOT_FOUND, unless init is given: then it becomes *init + n,
 * expiring after init_ttl seconds (0: never), and *forcible tells if that
 * evicted live entries. A live non-number is SHDICT_NOT_A_NUMBER. */
int shdict_incr(struct shdict *d, const char *key, size_t klen, double n,
                const double *init, double init_ttl, double *newval,
                int *forcible);

/* Seconds key has left in *ttl (0: it never expires); SHDICT_NOT_FOUND. */
int shdict_ttl(struct shdict *d, const char *key, size_t klen, double *ttl);

/* Make key expire exptime seconds from now (0: never); SHDICT_NOT_FOUND. */
int shdict_expire(struct shdict *d, const char *key, size_t klen,
                  double exptime);

/* Remove every entry and free their memory. */
int shdict_flush_all(struct shdict *d);

/* Free up to max expired entries (0: all), least recently used first;
 * *flushed gets how many. */
int shdict_flush_expired(struct shdict *d, unsigned max, unsigned *flushed);

/* Copy up to max live keys (0: all), most recently used first, into buf as
 * records of a uint32_t length then the key's bytes (read them with
 * shdict_keys_next); *n the count, *used the bytes. SHDICT_TOO_SMALL with
 * *used the size buf must have. */
int shdict_get_keys(struct shdict *d, unsigned max, char *buf, size_t size,
                    size_t *used, unsigned *n);

/* The key at *pos in a shdict_get_keys buffer of `used` bytes, moving *pos
 * past it; 1, or 0 at the end. */
int shdict_keys_next(const char *buf, size_t used, size_t *pos,
                     const char **key, size_t *klen);

/* The size the dictionary was created with. */
size_t shdict_capacity(const struct shdict *d);

/* Bytes in free blocks now (block headers included). */
size_t shdict_free_space(struct shdict *d);

/* OpenResty's message for a result ("not found", "no memory", ...). */
const char *shdict_strerror(int rc);

/* Check every structure against the heap: 0, or -1 with what is wrong in
 * err (the dictionary is then rebuilt). */
int shdict_check(struct shdict *d, char *err, size_t errlen);

/* How many times a dead lock holder or damage was repaired, in every
 * process, with what the last repair found in note. */
unsigned shdict_repairs(struct shdict *d, char *note, size_t len);

/* For tests: call step(arg) between the stores of every mutation, in this
 * process, so a test can die at each of them. */
void shdict_set_step_hook(struct shdict *d, void (*step)(void *arg),
                          void *arg);

#endif
