/* settings_wire.c: the settings given explicitly, as bytes, to carry them
 * from the process that read the script to the master. A record is the
 * setting's id (1 byte), its source (1 byte), the payload's length (4
 * bytes, this machine's order: both ends are the same binary) and the
 * payload: an INT as int64, a NUM as a double, a BOOL or ENUM as int32,
 * a STR as its bytes, a LIST as its items each followed by a NUL. */
#include "settings.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "settings_field.h"

enum { RECORD_HEAD = 6 };

/* Append one record; 0, or -1 if memory ran out. */
static int put_record(struct bytebuf *out, int id, int source,
                      const void *payload, uint32_t len)
{
    unsigned char head[RECORD_HEAD] = {(unsigned char)id,
                                       (unsigned char)source};
    memcpy(head + 2, &len, sizeof(len));
    if (bytebuf_append(out, head, sizeof(head)) < 0) return -1;
    return len ? bytebuf_append(out, payload, len) : 0;
}

/* def's value in s as a payload, appended to out. */
static int put_value(const struct settings *s, const struct setting_def *def,
                     struct bytebuf *out)
{
    const void *f = settings_cfield(s, def);
    int id = settings_index(def), src = s->source[id];
    int64_t whole;
    int32_t small;
    struct bytebuf items = {0};
    int rc;
    switch (def->type) {
    case SETTING_INT:
        whole = *(const long *)f;
        return put_record(out, id, src, &whole, sizeof(whole));
    case SETTING_NUM: return put_record(out, id, src, f, sizeof(double));
    case SETTING_BOOL:
    case SETTING_ENUM:
        small = *(const int *)f;
        return put_record(out, id, src, &small, sizeof(small));
    case SETTING_STR: {
        const char *str = *(char *const *)f;
        return str ? put_record(out, id, src, str, (uint32_t)strlen(str))
                   : 0;
    }
    case SETTING_LIST:
        for (int k = 0; k < ((const struct string_list *)f)->n; k++) {
            const char *item = ((const struct string_list *)f)->items[k];
            if (bytebuf_append(&items, item, strlen(item) + 1) < 0) {
                bytebuf_free(&items);
                return -1;
            }
        }
        rc = put_record(out, id, src, bytebuf_head(&items),
                        (uint32_t)bytebuf_len(&items));
        bytebuf_free(&items);
        return rc;
    }
    return 0;
}

int settings_encode(const struct settings *s, struct bytebuf *out)
{
    for (int i = 0; i < SETTINGS_COUNT; i++)
        if (s->source[i] != SOURCE_DEFAULT &&
            put_value(s, &settings_table[i], out) < 0)
            return -1;
    return 0;
}

/* The number of choices an ENUM setting has. */
static int choice_count(const struct setting_def *def)
{
    int n = 0;
    while (def->choices[n]) n++;
    return n;
}

/* Store payload p (len bytes) into def's field of s; -1 if it is not a
 * value of def's type. */
static int take_value(struct settings *s, const struct setting_def *def,
                      const char *p, uint32_t len)
{
    void *f = settings_field(s, def);
    int64_t whole;
    int32_t small;
    switch (def->type) {
    case SETTING_INT:
        if (len != sizeof(whole)) return -1;
        memcpy(&whole, p, sizeof(whole));
        *(long *)f = (long)whole;
        return 0;
    case SETTING_NUM:
        if (len != sizeof(double)) return -1;
        memcpy(f, p, sizeof(double));
        return 0;
    case SETTING_BOOL:
    case SETTING_ENUM:
        if (len != sizeof(small)) return -1;
        memcpy(&small, p, sizeof(small));
        if (small < 0 || small >= (def->type == SETTING_BOOL
                                       ? 2 : choice_count(def)))
            return -1;
        *(int *)f = small;
        return 0;
    case SETTING_STR: {
        if (memchr(p, '\0', len)) return -1;
        char *copy = strndup(p, len);
        if (!copy) return -1;
        settings_set_str(f, copy);
        free(copy);
        return 0;
    }
    case SETTING_LIST:
        if (len > 0 && p[len - 1] != '\0') return -1;
        settings_list_clear(f);
        for (uint32_t at = 0; at < len; at += (uint32_t)strlen(p + at) + 1)
            settings_list_add(f, p + at);
        return 0;
    }
    return -1;
}

int settings_decode(struct settings *s, const char *p, size_t len,
                    char *err, size_t errlen)
{
    size_t at = 0;
    while (at < len) {
        uint32_t vlen;
        if (len - at < RECORD_HEAD) break;
        int id = (unsigned char)p[at], src = (unsigned char)p[at + 1];
        memcpy(&vlen, p + at + 2, sizeof(vlen));
        at += RECORD_HEAD;
        if (id >= SETTINGS_COUNT || src > SOURCE_FLAG || vlen > len - at ||
            take_value(s, &settings_table[id], p + at, vlen) < 0) {
            snprintf(err, errlen, "malformed setting record at byte %zu",
                     at - RECORD_HEAD);
            return -1;
        }
        s->source[id] = (enum setting_source)src;
        at += vlen;
    }
    if (at == len) return 0;
    snprintf(err, errlen, "settings cut short at byte %zu of %zu", at, len);
    return -1;
}
