/* shdict_zones.h: the SharedDict setting ("name=size" items) and the
 * master's set of mapped dictionaries. The master maps each dictionary a
 * generation's settings name before forking its children, who inherit the
 * mappings; a reload keeps a dictionary whose name and size it keeps, and
 * maps a new one otherwise. A mapping no generation to come can use is
 * unmapped in the master at once: children already forked keep theirs, and
 * the memory goes when the last of them exits. */
#ifndef TINE_SHDICT_ZONES_H
#define TINE_SHDICT_ZONES_H

#include <stddef.h>

#include "settings.h"

#define SHDICT_NAME_MAX 64   /* bytes in a dictionary's name, NUL included */

struct shdict;

struct shdict_zone {
    char name[SHDICT_NAME_MAX];
    size_t size;
    struct shdict *d;
};

struct shdict_zones {
    int n;
    struct shdict_zone *z;
};

/* Read one SharedDict item, "name=size" (size in bytes, or with k, m or g),
 * into name and *size: 0, or -1 with err saying what is wrong (the
 * caller names the setting). */
int shdict_zone_parse(const char *item, char name[SHDICT_NAME_MAX],
                      size_t *size, char *err, size_t errlen);

/* Check every SharedDict item: names are Lua identifiers given once, sizes
 * parse and fit. 0, or -1 with err starting "SharedDict: ". */
int shdict_zones_check(const struct string_list *items, char *err,
                       size_t errlen);

/* Map every dictionary items names that zs lacks (same name, same size).
 * 0, or -1 with err (what was mapped stays, for shdict_zones_prune). */
int shdict_zones_ensure(struct shdict_zones *zs,
                        const struct string_list *items, char *err,
                        size_t errlen);

/* The dictionary called name of size bytes, or NULL. */
struct shdict *shdict_zones_find(const struct shdict_zones *zs,
                                 const char *name, size_t size);

/* Unmap (in this process) every dictionary neither a nor b (may be NULL)
 * names. */
void shdict_zones_prune(struct shdict_zones *zs, const struct string_list *a,
                        const struct string_list *b);

/* Unmap them all and free the set. */
void shdict_zones_free(struct shdict_zones *zs);

#endif
