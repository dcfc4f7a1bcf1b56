/* settings_field.h: private to settings*.c: a setting's field inside
 * struct settings, and the string and list helpers the setters share. */
#ifndef TINE_SETTINGS_FIELD_H
#define TINE_SETTINGS_FIELD_H

#include "settings.h"

/* ENUM and BOOL settings are read and written as int. */
_Static_assert(sizeof(enum filter_kind) == sizeof(int) &&
                   sizeof(enum log_level) == sizeof(int),
               "enum settings are stored as int");

/* def's field in s. */
static inline void *settings_field(struct settings *s,
                                   const struct setting_def *def)
{
    return (char *)s + def->offset;
}

static inline const void *settings_cfield(const struct settings *s,
                                          const struct setting_def *def)
{
    return (const char *)s + def->offset;
}

/* def's row in settings_table, which is its enum setting_id. */
static inline int settings_index(const struct setting_def *def)
{
    return (int)(def - settings_table);
}

/* Empty l, freeing its items. */
void settings_list_clear(struct string_list *l);

/* Append a copy of item to l. */
void settings_list_add(struct string_list *l, const char *item);

/* Replace the string at *slot with a copy of value (NULL: unset). */
void settings_set_str(char **slot, const char *value);

#endif
