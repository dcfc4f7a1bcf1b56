/* shdict_zones.c: see shdict_zones.h. */
#include "shdict_zones.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"
#include "shdict.h"
#include "tine_err.h"

/* Is the len bytes at s a Lua identifier (and not a keyword, which
 * tine.shared.NAME could not spell)? */
static int is_identifier(const char *s, size_t len)
{
    static const char *const keywords[] = {
        "and", "break", "do", "else", "elseif", "end", "false", "for",
        "function", "if", "in", "local", "nil", "not", "or", "repeat",
        "return", "then", "true", "until", "while", NULL};
    if (len == 0 || isdigit((unsigned char)s[0])) return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_') return 0;
    for (const char *const *k = keywords; *k; k++)
        if (strlen(*k) == len && memcmp(*k, s, len) == 0) return 0;
    return 1;
}

/* The size at text: digits, then an optional k, m or g (powers of 1024).
 * 0 with *size, or -1. */
static int parse_size(const char *text, size_t *size)
{
    size_t len = strlen(text);
    unsigned long scale = 1, n;
    if (len > 0) {
        switch (tolower((unsigned char)text[len - 1])) {
        case 'k': scale = 1024; break;
        case 'm': scale = 1024 * 1024; break;
        case 'g': scale = 1024 * 1024 * 1024; break;
        default: break;
        }
    }
    if (scale > 1) len--;
    if (digits_whole(text, len, SHDICT_MAX_SIZE / scale, &n) < 0) return -1;
    *size = (size_t)n * scale;
    return 0;
}

int shdict_zone_parse(const char *item, char name[SHDICT_NAME_MAX],
                      size_t *size, char *err, size_t errlen)
{
    const char *eq = strchr(item, '=');
    size_t len = eq ? (size_t)(eq - item) : 0;
    if (!eq) {
        snprintf(err, errlen, "\"%s\" is not name=size", item);
        return -1;
    }
    if (!is_identifier(item, len) || len >= SHDICT_NAME_MAX) {
        snprintf(err, errlen, "\"%.*s\" is not a name (a Lua identifier of "
                 "at most %d bytes)", (int)len, item, SHDICT_NAME_MAX - 1);
        return -1;
    }
    memcpy(name, item, len);
    name[len] = '\0';
    if (parse_size(eq + 1, size) < 0) {
        snprintf(err, errlen, "%s: \"%s\" is not a size (bytes, or a number "
                 "with k, m or g)", name, eq + 1);
        return -1;
    }
    if (*size < SHDICT_MIN_SIZE) {
        snprintf(err, errlen, "%s: %zu bytes is less than the least a "
                 "dictionary takes, %d", name, *size, SHDICT_MIN_SIZE);
        return -1;
    }
    return 0;
}

/* Item i of items, as shdict_zone_parse reads it, err starting
 * "SharedDict: ". */
static int parse_item(const struct string_list *items, int i,
                      char name[SHDICT_NAME_MAX], size_t *size, char *err,
                      size_t errlen)
{
    char why[1024];
    if (shdict_zone_parse(items->items[i], name, size, why, sizeof(why)) == 0)
        return 0;
    snprintf(err, errlen, "SharedDict: %s", why);
    return -1;
}

int shdict_zones_check(const struct string_list *items, char *err,
                       size_t errlen)
{
    char name[SHDICT_NAME_MAX], other[SHDICT_NAME_MAX];
    size_t size;
    for (int i = 0; i < items->n; i++) {
        if (parse_item(items, i, name, &size, err, errlen) < 0) return -1;
        for (int k = 0; k < i; k++) {
            parse_item(items, k, other, &size, err, errlen);  /* read before */
            if (strcmp(name, other) != 0) continue;
            snprintf(err, errlen, "SharedDict: %s is given twice", name);
            return -1;
        }
    }
    return 0;
}

struct shdict *shdict_zones_find(const struct shdict_zones *zs,
                                 const char *name, size_t size)
{
    for (int i = 0; i < zs->n; i++)
        if (zs->z[i].size == size && strcmp(zs->z[i].name, name) == 0)
            return zs->z[i].d;
    return NULL;
}

int shdict_zones_ensure(struct shdict_zones *zs,
                        const struct string_list *items, char *err,
                        size_t errlen)
{
    char why[1024], name[SHDICT_NAME_MAX];
    size_t size;
    for (int i = 0; i < items->n; i++) {
        if (parse_item(items, i, name, &size, err, errlen) < 0) return -1;
        if (shdict_zones_find(zs, name, size)) continue;
        struct shdict *d = shdict_create(size, why, sizeof(why));
        if (!d) {
            snprintf(err, errlen, "SharedDict: %s: %s", name, why);
            return -1;
        }
        struct shdict_zone *more = realloc(zs->z, sizeof(*more) *
                                                      (size_t)(zs->n + 1));
        if (!more) abort();
        zs->z = more;
        zs->z[zs->n++] = (struct shdict_zone){.size = size, .d = d};
        snprintf(zs->z[zs->n - 1].name, SHDICT_NAME_MAX, "%s", name);
    }
    return 0;
}

/* Does items name the dictionary z (same name, same size)? */
static int names(const struct string_list *items, const struct shdict_zone *z)
{
    char name[SHDICT_NAME_MAX], why[TINE_ERR_MAX];
    size_t size;
    for (int i = 0; items && i < items->n; i++)
        if (shdict_zone_parse(items->items[i], name, &size, why,
                              sizeof(why)) == 0 &&
            size == z->size && strcmp(name, z->name) == 0)
            return 1;
    return 0;
}

void shdict_zones_prune(struct shdict_zones *zs, const struct string_list *a,
                        const struct string_list *b)
{
    int kept = 0;
    for (int i = 0; i < zs->n; i++) {
        if (names(a, &zs->z[i]) || names(b, &zs->z[i]))
            zs->z[kept++] = zs->z[i];
        else
            shdict_destroy(zs->z[i].d);
    }
    zs->n = kept;
}

void shdict_zones_free(struct shdict_zones *zs)
{
    shdict_zones_prune(zs, NULL, NULL);
    free(zs->z);
    zs->z = NULL;
}
