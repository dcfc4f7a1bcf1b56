/* settings_set.c: setting one value, from a script's global or a flag's
 * text: type and range checks, and messages that name the setting. */
#include "settings.h"

#include <math.h>
#include <string.h>

#include "digits.h"
#include "settings_field.h"

/* Record where def's value came from. A list given again from a new source
 * starts afresh, so a flag replaces the script's list instead of adding. */
static void note_source(struct settings *s, const struct setting_def *def,
                        enum setting_source src)
{
    int i = settings_index(def);
    if (def->type == SETTING_LIST && s->source[i] != src)
        settings_list_clear(settings_field(s, def));
    s->source[i] = src;
}

/* What a value of type t is, for messages. */
static const char *type_name(enum setting_type t)
{
    switch (t) {
    case SETTING_INT: return "a whole number";
    case SETTING_NUM: return "a number";
    case SETTING_BOOL: return "true or false";
    case SETTING_LIST: return "a string or a list of strings";
    default: return "a string";
    }
}

/* Is value within def's bounds? If not, say so in err. */
static int in_range(const struct setting_def *def, double value, char *err,
                    size_t errlen)
{
    if (value >= def->min && !(def->min_exclusive && value == def->min) &&
        value <= def->max)
        return 1;
    if (def->min_exclusive)
        snprintf(err, errlen, "%s: must be more than %g, got %g", def->name,
                 def->min, value);
    else
        snprintf(err, errlen, "%s: must be between %g and %g, got %g",
                 def->name, def->min, def->max, value);
    return 0;
}

int settings_set_number(struct settings *s, const struct setting_def *def,
                        double value, enum setting_source src,
                        char *err, size_t errlen)
{
    if (def->type != SETTING_INT && def->type != SETTING_NUM) {
        snprintf(err, errlen, "%s: expected %s, got a number", def->name,
                 type_name(def->type));
        return -1;
    }
    if (!isfinite(value)) {  /* %g would print "-nan" */
        snprintf(err, errlen, "%s: expected %s, got %s", def->name,
                 type_name(def->type),
                 isnan(value) ? "NaN" : "an infinite number");
        return -1;
    }
    if (def->type == SETTING_INT && value != floor(value)) {
        snprintf(err, errlen, "%s: expected %s, got %g", def->name,
                 type_name(def->type), value);
        return -1;
    }
    if (!in_range(def, value, err, errlen)) return -1;
    note_source(s, def, src);
    if (def->type == SETTING_INT)
        *(long *)settings_field(s, def) = (long)value;
    else
        *(double *)settings_field(s, def) = value;
    return 0;
}

/* The index of value among def's choices, or -1 with err listing them. */
static int choice_of(const struct setting_def *def, const char *value,
                     char *err, size_t errlen)
{
    for (int i = 0; def->choices[i]; i++)
        if (strcmp(def->choices[i], value) == 0) return i;
    snprintf(err, errlen, "%s: \"%s\" is not one of", def->name, value);
    for (const char *const *c = def->choices; *c; c++) {
        size_t used = strlen(err);
        snprintf(err + used, errlen - used, " \"%s\"", *c);
    }
    return -1;
}

int settings_set_string(struct settings *s, const struct setting_def *def,
                        const char *value, enum setting_source src,
                        char *err, size_t errlen)
{
    if (def->type == SETTING_ENUM) {
        int choice = choice_of(def, value, err, errlen);
        if (choice < 0) return -1;
        note_source(s, def, src);
        *(int *)settings_field(s, def) = choice;
        return 0;
    }
    if (def->type != SETTING_STR && def->type != SETTING_LIST)
        return settings_set_text(s, def, value, src, err, errlen);
    if (value[0] == '\0') {
        snprintf(err, errlen, "%s: must not be empty", def->name);
        return -1;
    }
    note_source(s, def, src);
    if (def->type == SETTING_LIST)
        settings_list_add(settings_field(s, def), value);
    else
        settings_set_str(settings_field(s, def), value);
    return 0;
}

int settings_set_bool(struct settings *s, const struct setting_def *def,
                      int value, enum setting_source src,
                      char *err, size_t errlen)
{
    if (def->type != SETTING_BOOL) {
        snprintf(err, errlen, "%s: expected %s, got a boolean", def->name,
                 type_name(def->type));
        return -1;
    }
    note_source(s, def, src);
    *(int *)settings_field(s, def) = value != 0;
    return 0;
}

int settings_set_text(struct settings *s, const struct setting_def *def,
                      const char *text, enum setting_source src,
                      char *err, size_t errlen)
{
    double n;
    switch (def->type) {
    case SETTING_INT:
    case SETTING_NUM:
        if (digits_decimal(text, strlen(text), &n) < 0) {
            snprintf(err, errlen, "%s: expected %s, got \"%s\"", def->name,
                     type_name(def->type), text);
            return -1;
        }
        return settings_set_number(s, def, n, src, err, errlen);
    case SETTING_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
            return settings_set_bool(s, def, 1, src, err, errlen);
        if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
            return settings_set_bool(s, def, 0, src, err, errlen);
        snprintf(err, errlen, "%s: expected true or false, got \"%s\"",
                 def->name, text);
        return -1;
    default:
        return settings_set_string(s, def, text, src, err, errlen);
    }
}
