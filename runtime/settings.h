/* settings.h: the one table of tine's settings, their defaults, derivations
 * and validation. Script globals, command-line flags and `tine --check` are
 * all driven from this table. */
#ifndef TINE_SETTINGS_H
#define TINE_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

enum setting_type {
    SETTING_INT,    /* whole number within [min, max] */
    SETTING_NUM,    /* seconds or a fraction, within [min, max] */
    SETTING_STR,    /* a string; unset is "none" */
    SETTING_BOOL,
    SETTING_LIST,   /* a list of strings; a flag may repeat */
    SETTING_ENUM    /* a string out of def->choices */
};

/* Where a setting's value came from; a flag beats the script, which beats
 * the default. */
enum setting_source { SOURCE_DEFAULT, SOURCE_SCRIPT, SOURCE_FLAG };

struct string_list {
    int n;
    char **items;
};

struct settings {
    long port;
    char *address;
    struct string_list listen;
    long max_server;
    long start_server;
    long min_server;
    long min_spare_server;
    long max_spare_server;
    double master_heart_beat_time;
    double server_heart_beat_time;
    long max_session_per_server;
    double max_server_expire_time;
    double grace_expire_time;
    double max_server_spare_time;
    double max_server_life_time;
    long max_server_life_times;
    long max_server_memory;       /* MiB of RSS; 0: off */
    double recycle_jitter;
    char *filter;
    long max_line_length;
    char *log_level;
    char *log_file;
    char *pid_file;
    char *user;
    char *group;
    struct string_list allow;
    struct string_list deny;
    long max_output_buffer;
    int daemonize;
    struct string_list resolver;  /* nameservers; none: /etc/resolv.conf */
    long max_lua_memory;          /* MiB of Lua heap per child; 0: off */
    double idle_timeout;          /* close a silent connection; 0: never */
    enum setting_source source[32];  /* indexed like settings_table */
};

struct setting_def {
    const char *name;          /* CamelCase, as the script's global */
    enum setting_type type;
    size_t offset;             /* into struct settings */
    const char *default_text;  /* the default as the README states it */
    double min, max;           /* bounds for INT and NUM */
    int min_exclusive;         /* NUM: the value must be above min */
    const char *const *choices;/* ENUM: NULL-terminated */
};

extern const struct setting_def settings_table[];
extern const int settings_count;

/* Fill s with the plain defaults (derived settings are set later by
 * settings_finish). Every setting's source becomes SOURCE_DEFAULT. */
void settings_init(struct settings *s);

/* Release the strings and lists s owns; s may be initialised again. */
void settings_free(struct settings *s);

/* Copy one setting (value and source) from src into dst. */
void settings_copy_one(struct settings *dst, const struct settings *src,
                       const struct setting_def *def);

/* The definition named `name` (CamelCase), or NULL. */
const struct setting_def *settings_find(const char *name);

/* The definition whose flag is `--kebab` (given without the dashes). */
const struct setting_def *settings_find_flag(const char *kebab);

/* Write def's flag name ("max-server") into buf. */
void settings_flag_name(const struct setting_def *def, char *buf, size_t len);

/* Setters. Each checks type and range; on error returns -1 with a message
 * naming the setting in err. A list value is appended (the first value from
 * a new source replaces the list). */
int settings_set_number(struct settings *s, const struct setting_def *def,
                        double value, enum setting_source src,
                        char *err, size_t errlen);
int settings_set_string(struct settings *s, const struct setting_def *def,
                        const char *value, enum setting_source src,
                        char *err, size_t errlen);
int settings_set_bool(struct settings *s, const struct setting_def *def,
                      int value, enum setting_source src,
                      char *err, size_t errlen);

/* What a setting of type t expects, for messages ("a whole number"). */
const char *settings_type_name(enum setting_type t);

/* Parse text (as given to a flag) into def's setting; -1 and err if it is
 * malformed. Numbers are decimal only. */
int settings_set_text(struct settings *s, const struct setting_def *def,
                      const char *text, enum setting_source src,
                      char *err, size_t errlen);

/* Apply the derived defaults (MinServer from StartServer and so on) and
 * check that the settings agree with each other. Returns 0, or -1 with err
 * naming the setting; *culprit (if not NULL) gets its source, so a caller
 * can tell a bad flag from a bad script. */
int settings_finish(struct settings *s, char *err, size_t errlen,
                    enum setting_source *culprit);

/* TTIN (delta 1) / TTOU (delta -1): move MaxServer and MinServer by one,
 * never below 1, and MinSpareServer with them while it is derived. Returns
 * 0, or -1 (nothing changed) when MaxServer would drop below 1 or pass
 * settings_max_server_limit(). */
int settings_resize(struct settings *s, int delta);

/* The most MaxServer can ever be (TTIN included). */
long settings_max_server_limit(void);

/* Print every setting as `Name = value` (Lua syntax), one per line. */
void settings_print(const struct settings *s, FILE *out);

/* The setting a misspelt global most likely meant ("MaxServers" gives
 * "MaxServer"), or NULL when name is no near miss of any setting. */
const char *settings_near_miss(const char *name);

#endif
