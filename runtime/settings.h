/* settings.h: the one table of tine's settings. Each row gives a setting's
 * name, type, default or derivation, the kind of value its flag takes, a
 * one-line meaning and whether a reload may change it; settings_init's
 * defaults, the script globals, the flags, `tine --help`, `tine --check`,
 * tine.settings and the README's table are all driven from it. Code names
 * a setting by its enum setting_id, never by its name. */
#ifndef TINE_SETTINGS_H
#define TINE_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

#include "log.h"

enum setting_type {
    SETTING_INT,    /* whole number within [min, max], stored as long */
    SETTING_NUM,    /* seconds or a fraction, within [min, max]: double */
    SETTING_STR,    /* a string; unset is NULL ("none") */
    SETTING_BOOL,   /* int, 0 or 1 */
    SETTING_LIST,   /* a list of strings; a flag may repeat */
    SETTING_ENUM    /* one of def->choices, stored as a C enum */
};

/* Where a setting's value came from; a flag beats the script, which beats
 * the default. */
enum setting_source { SOURCE_DEFAULT, SOURCE_SCRIPT, SOURCE_FLAG };

/* Every setting, in table order (the order of `tine --check`). */
enum setting_id {
    SET_PORT,
    SET_ADDRESS,
    SET_LISTEN,
    SET_MAX_SERVER,
    SET_START_SERVER,
    SET_MIN_SERVER,
    SET_MIN_SPARE_SERVER,
    SET_MAX_SPARE_SERVER,
    SET_MASTER_HEART_BEAT_TIME,
    SET_SERVER_HEART_BEAT_TIME,
    SET_MAX_SESSION_PER_SERVER,
    SET_MAX_SERVER_EXPIRE_TIME,
    SET_GRACE_EXPIRE_TIME,
    SET_MAX_SERVER_SPARE_TIME,
    SET_MAX_SERVER_LIFE_TIME,
    SET_MAX_SERVER_LIFE_TIMES,
    SET_MAX_SERVER_MEMORY,
    SET_RECYCLE_JITTER,
    SET_FILTER,
    SET_MAX_LINE_LENGTH,
    SET_LOG_LEVEL,
    SET_LOG_FILE,
    SET_PID_FILE,
    SET_USER,
    SET_GROUP,
    SET_ALLOW,
    SET_DENY,
    SET_MAX_OUTPUT_BUFFER,
    SET_DAEMONIZE,
    SET_RESOLVER,
    SET_MAX_LUA_MEMORY,
    SET_IDLE_TIMEOUT,
    SET_MAX_HEADER_SIZE,
    SET_MAX_BODY_SIZE,
    SET_REQUEST_TIMEOUT,
    SET_KEEP_ALIVE_TIMEOUT,
    SET_MAX_KEEP_ALIVE_REQUESTS,
    SET_ACCESS_LOG,
    SET_PROXY_PROTOCOL,
    SET_TRUSTED_PROXIES,
    SET_TLS_CERTIFICATE,
    SET_TLS_KEY,
    SET_SSLKEYCERT,
    SET_TLS_PROTOCOLS,
    SET_MAX_DEQUEUE,
    SET_DEQUEUE_INTERVAL,
    SET_SHARED_DICT,
    SET_STATUS_LISTEN,
    SETTINGS_COUNT
};

/* Filter: how ClientInput is fed. */
enum filter_kind { FILTER_LINE, FILTER_STREAM, FILTER_HTTP };

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
    enum filter_kind filter;
    long max_line_length;
    enum log_level log_level;
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
    long max_header_size;         /* HTTP: request line and headers */
    long max_body_size;           /* HTTP: request body */
    double request_timeout;       /* HTTP: to receive one request */
    double keep_alive_timeout;    /* HTTP: an idle keep-alive connection */
    long max_keep_alive_requests; /* HTTP: per connection; 0: no limit */
    char *access_log;             /* HTTP: a line per request; NULL: none */
    int proxy_protocol;           /* TCP peers send a PROXY header first */
    struct string_list trusted_proxies; /* who may; none: loopback only */
    char *tls_certificate;        /* PEM; with tls_key: Port speaks TLS */
    char *tls_key;
    struct string_list sslkeycert; /* the seed's { key, cert } */
    char *tls_protocols;          /* "TLSv1.2 TLSv1.3" */
    long max_dequeue;             /* dequeue processes at once; 0: off */
    double dequeue_interval;      /* seconds between dequeue starts */
    struct string_list shared_dict; /* "name=size" per shared dictionary */
    char *status_listen;          /* the master's status page; NULL: none */
    enum setting_source source[SETTINGS_COUNT];
};

struct setting_def {
    const char *name;          /* CamelCase, as the script's global */
    enum setting_type type;
    size_t offset;             /* into struct settings */
    double dflt;               /* INT, NUM, BOOL, ENUM (the choice's index) */
    const char *dflt_str;      /* STR: the default string, or NULL */
    const char *derivation;    /* a derived default as users read it
                                * ("MaxServer - MinServer"), or NULL */
    double min, max;           /* bounds for INT and NUM */
    int min_exclusive;         /* NUM: the value must be above min */
    const char *const *choices;/* ENUM: NULL-terminated, in enum order */
    const char *kind;          /* the flag's value in help: "N", "SECONDS" */
    int restart;               /* 1: a reload keeps it; restart to change */
    int pairs;                 /* LIST: a script's table may also map
                                * names to values, read as "name=value" */
    const char *meaning;       /* one line, for --help and the README */
};

extern const struct setting_def settings_table[SETTINGS_COUNT];
extern const int settings_count;

/* The definition of setting id. */
static inline const struct setting_def *settings_def(enum setting_id id)
{
    return &settings_table[id];
}

/* Fill s with the table's plain defaults (derived settings are set later by
 * settings_finish). Every setting's source becomes SOURCE_DEFAULT. */
void settings_init(struct settings *s);

/* Release the strings and lists s owns; s may be initialised again. */
void settings_free(struct settings *s);

/* Copy one setting (value and source) from src into dst. */
void settings_copy_one(struct settings *dst, const struct settings *src,
                       const struct setting_def *def);

/* Copy into dst, from src, every setting a reload keeps (def->restart). */
void settings_keep_fixed(struct settings *dst, const struct settings *src);

/* The definition named `name` (CamelCase, as a script or a message spells
 * it), or NULL. */
const struct setting_def *settings_find(const char *name);

/* The definition whose flag is `--kebab` (given without the dashes). */
const struct setting_def *settings_find_flag(const char *kebab);

/* Write def's flag name ("max-server") into buf. */
void settings_flag_name(const struct setting_def *def, char *buf, size_t len);

/* A STR setting's value in s (NULL when unset), or an ENUM setting's value
 * by name ("stream"); NULL for the other types. */
const char *settings_string(const struct settings *s,
                            const struct setting_def *def);

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

/* Parse text (as given to a flag) into def's setting; -1 and err if it is
 * malformed. Numbers are decimal only. */
int settings_set_text(struct settings *s, const struct setting_def *def,
                      const char *text, enum setting_source src,
                      char *err, size_t errlen);

struct bytebuf;

/* Append to out, as bytes, every setting given explicitly (by the script
 * or a flag) with its source: what a settings reader sends the master.
 * Derived and default values are left out: settings_finish derives them
 * again. 0, or -1 if memory ran out. */
int settings_encode(const struct settings *s, struct bytebuf *out);

/* Apply the len bytes settings_encode wrote at p to s (initialised by
 * settings_init). 0, or -1 with err if they are malformed (s then holds
 * what was applied before, and is still freed by settings_free). */
int settings_decode(struct settings *s, const char *p, size_t len,
                    char *err, size_t errlen);

/* Apply the derived defaults (MinServer from StartServer and so on) and
 * check that the settings agree with each other. Returns 0, or -1 with err
 * naming the setting; *culprit (if not NULL) gets its source, so a caller
 * can tell a bad flag from a bad script. */
int settings_finish(struct settings *s, char *err, size_t errlen,
                    enum setting_source *culprit);

/* TTIN (delta 1) / TTOU (delta -1): move MaxServer and MinServer by one,
 * never below 1, and MinSpareServer with them while it is derived. Returns
 * 0, or -1 (nothing changed) when MaxServer would drop below 1. */
int settings_resize(struct settings *s, int delta);

/* The most MaxServer can ever be (TTIN included). */
long settings_max_server_limit(void);

/* Print every setting as `Name = value` (Lua syntax), one per line. */
void settings_print(const struct settings *s, FILE *out);

/* The setting a misspelt global most likely meant ("MaxServers" gives
 * "MaxServer"), or NULL when name is no near miss of any setting. */
const char *settings_near_miss(const char *name);

/* def's default as users read it: its derivation, or its value in the
 * syntax of `tine --check` ("10000", "\"line\"", "false"), "none" when
 * unset. */
void settings_default_text(const struct setting_def *def, char *buf,
                           size_t len);

/* def's flag as typed: "--port PORT", "--listen ADDRESS..." (it repeats),
 * "--daemonize[=BOOL]" (it takes no value). */
void settings_flag_usage(const struct setting_def *def, char *buf,
                         size_t len);

/* def's meaning, followed by "; a reload keeps it: restart to change" for
 * a setting a reload does not change. */
void settings_describe(const struct setting_def *def, char *buf, size_t len);

/* Print the README's settings table (Markdown), one row per setting. */
void settings_markdown(FILE *out);

#endif
