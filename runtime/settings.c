/* settings.c: the settings table, setters, derivations and validation. */
#include "settings.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OFF(field) offsetof(struct settings, field)
#define UNLIMITED 1e9
#define HEARTBEAT_MIN 0.01  /* seconds: faster would only burn the CPU */

static const char *const filter_choices[] = {"line", "stream", NULL};
static const char *const level_choices[] = {"error", "warn", "info", "debug",
                                            NULL};

const struct setting_def settings_table[] = {
    {"Port", SETTING_INT, OFF(port), "10000", 0, 65535, 0, NULL},
    {"Address", SETTING_STR, OFF(address), "\"127.0.0.1\"", 0, 0, 0, NULL},
    {"Listen", SETTING_LIST, OFF(listen), "none", 0, 0, 0, NULL},
    {"MaxServer", SETTING_INT, OFF(max_server), "20", 1, 100000, 0, NULL},
    {"StartServer", SETTING_INT, OFF(start_server), "5", 1, 100000, 0, NULL},
    {"MinServer", SETTING_INT, OFF(min_server), "StartServer", 0, 100000, 0,
     NULL},
    {"MinSpareServer", SETTING_INT, OFF(min_spare_server), "MinServer", 0,
     100000, 0, NULL},
    {"MaxSpareServer", SETTING_INT, OFF(max_spare_server),
     "MaxServer - MinServer", 0, 100000, 0, NULL},
    {"MasterHeartBeatTime", SETTING_NUM, OFF(master_heart_beat_time), "10",
     HEARTBEAT_MIN, 86400, 0, NULL},
    {"ServerHeartBeatTime", SETTING_NUM, OFF(server_heart_beat_time),
     "MasterHeartBeatTime / 2", HEARTBEAT_MIN, 86400, 0, NULL},
    {"MaxSessionPerServer", SETTING_INT, OFF(max_session_per_server), "0", 0,
     UNLIMITED, 0, NULL},
    {"MaxServerExpireTime", SETTING_NUM, OFF(max_server_expire_time),
     "5 * MasterHeartBeatTime", 0, UNLIMITED, 1, NULL},
    {"GraceExpireTime", SETTING_NUM, OFF(grace_expire_time),
     "MaxServerExpireTime", 0, UNLIMITED, 0, NULL},
    {"MaxServerSpareTime", SETTING_NUM, OFF(max_server_spare_time), "0", 0,
     UNLIMITED, 0, NULL},
    {"MaxServerLifeTime", SETTING_NUM, OFF(max_server_life_time), "0", 0,
     UNLIMITED, 0, NULL},
    {"MaxServerLifeTimes", SETTING_INT, OFF(max_server_life_times), "0", 0,
     UNLIMITED, 0, NULL},
    {"MaxServerMemory", SETTING_INT, OFF(max_server_memory), "0", 0,
     UNLIMITED, 0, NULL},
    {"RecycleJitter", SETTING_NUM, OFF(recycle_jitter), "0.1", 0, 1, 0, NULL},
    {"Filter", SETTING_ENUM, OFF(filter), "\"line\"", 0, 0, 0, filter_choices},
    {"MaxLineLength", SETTING_INT, OFF(max_line_length), "65536", 1,
     1 << 30, 0, NULL},
    {"LogLevel", SETTING_ENUM, OFF(log_level), "\"info\"", 0, 0, 0,
     level_choices},
    {"LogFile", SETTING_STR, OFF(log_file), "none", 0, 0, 0, NULL},
    {"PidFile", SETTING_STR, OFF(pid_file), "none", 0, 0, 0, NULL},
    {"User", SETTING_STR, OFF(user), "none", 0, 0, 0, NULL},
    {"Group", SETTING_STR, OFF(group), "none", 0, 0, 0, NULL},
    {"Allow", SETTING_LIST, OFF(allow), "none", 0, 0, 0, NULL},
    {"Deny", SETTING_LIST, OFF(deny), "none", 0, 0, 0, NULL},
    {"MaxOutputBuffer", SETTING_INT, OFF(max_output_buffer), "1048576", 1,
     1 << 30, 0, NULL},
    {"Daemonize", SETTING_BOOL, OFF(daemonize), "false", 0, 0, 0, NULL},
    {"Resolver", SETTING_LIST, OFF(resolver), "none", 0, 0, 0, NULL},
    {"MaxLuaMemory", SETTING_INT, OFF(max_lua_memory), "0", 0, 1 << 20, 0,
     NULL},
    {"IdleTimeout", SETTING_NUM, OFF(idle_timeout), "0", 0, UNLIMITED, 0,
     NULL},
};

const int settings_count =
    (int)(sizeof(settings_table) / sizeof(settings_table[0]));

_Static_assert(sizeof(settings_table) / sizeof(settings_table[0]) <=
                   sizeof(((struct settings *)0)->source) /
                       sizeof(enum setting_source),
               "struct settings.source is too small for the table");

static void *field(struct settings *s, const struct setting_def *def)
{
    return (char *)s + def->offset;
}

static const void *cfield(const struct settings *s,
                          const struct setting_def *def)
{
    return (const char *)s + def->offset;
}

static int index_of(const struct setting_def *def)
{
    return (int)(def - settings_table);
}

static void list_clear(struct string_list *l)
{
    for (int i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static void list_add(struct string_list *l, const char *item)
{
    l->items = realloc(l->items, sizeof(char *) * (size_t)(l->n + 1));
    if (!l->items) abort();
    l->items[l->n++] = strdup(item);
}

static void set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? strdup(value) : NULL;
}

void settings_init(struct settings *s)
{
    memset(s, 0, sizeof(*s));
    s->port = 10000;
    s->address = strdup("127.0.0.1");
    s->max_server = 20;
    s->start_server = 5;
    s->master_heart_beat_time = 10;
    s->filter = strdup("line");
    s->recycle_jitter = 0.1;
    s->max_line_length = 65536;
    s->log_level = strdup("info");
    s->max_output_buffer = 1048576;
}

void settings_free(struct settings *s)
{
    for (int i = 0; i < settings_count; i++) {
        const struct setting_def *def = &settings_table[i];
        if (def->type == SETTING_STR || def->type == SETTING_ENUM)
            set_str(field(s, def), NULL);
        else if (def->type == SETTING_LIST)
            list_clear(field(s, def));
    }
}

void settings_copy_one(struct settings *dst, const struct settings *src,
                       const struct setting_def *def)
{
    const void *from = cfield(src, def);
    void *to = field(dst, def);
    int i = index_of(def);
    dst->source[i] = src->source[i];
    switch (def->type) {
    case SETTING_STR:
    case SETTING_ENUM: set_str(to, *(char *const *)from); break;
    case SETTING_LIST: {
        const struct string_list *l = from;
        list_clear(to);
        for (int k = 0; k < l->n; k++) list_add(to, l->items[k]);
        break;
    }
    case SETTING_INT: *(long *)to = *(const long *)from; break;
    case SETTING_NUM: *(double *)to = *(const double *)from; break;
    case SETTING_BOOL: *(int *)to = *(const int *)from; break;
    }
}

const struct setting_def *settings_find(const char *name)
{
    for (int i = 0; i < settings_count; i++)
        if (strcmp(settings_table[i].name, name) == 0)
            return &settings_table[i];
    return NULL;
}

void settings_flag_name(const struct setting_def *def, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = def->name; *p && o + 2 < len; p++) {
        if (isupper((unsigned char)*p) && p != def->name) buf[o++] = '-';
        buf[o++] = (char)tolower((unsigned char)*p);
    }
    buf[o] = '\0';
}

const struct setting_def *settings_find_flag(const char *kebab)
{
    char name[64];
    for (int i = 0; i < settings_count; i++) {
        settings_flag_name(&settings_table[i], name, sizeof(name));
        if (strcmp(name, kebab) == 0) return &settings_table[i];
    }
    return NULL;
}

/* Record where def's value came from. A list given again from a new source
 * starts afresh, so a flag replaces the script's list instead of adding. */
static void note_source(struct settings *s, const struct setting_def *def,
                        enum setting_source src)
{
    int i = index_of(def);
    if (def->type == SETTING_LIST && s->source[i] != src)
        list_clear(field(s, def));
    s->source[i] = src;
}

const char *settings_type_name(enum setting_type t)
{
    switch (t) {
    case SETTING_INT: return "a whole number";
    case SETTING_NUM: return "a number";
    case SETTING_BOOL: return "true or false";
    case SETTING_LIST: return "a string or a list of strings";
    default: return "a string";
    }
}

int settings_set_number(struct settings *s, const struct setting_def *def,
                        double value, enum setting_source src,
                        char *err, size_t errlen)
{
    if (def->type != SETTING_INT && def->type != SETTING_NUM) {
        snprintf(err, errlen, "%s: expected %s, got a number", def->name,
                 settings_type_name(def->type));
        return -1;
    }
    if (!isfinite(value)) {  /* %g would print "-nan" */
        snprintf(err, errlen, "%s: expected %s, got %s", def->name,
                 settings_type_name(def->type),
                 isnan(value) ? "NaN" : "an infinite number");
        return -1;
    }
    if (def->type == SETTING_INT && value != floor(value)) {
        snprintf(err, errlen, "%s: expected %s, got %g", def->name,
                 settings_type_name(def->type), value);
        return -1;
    }
    if (value < def->min || (def->min_exclusive && value == def->min) ||
        value > def->max) {
        if (def->min_exclusive)
            snprintf(err, errlen, "%s: must be more than %g, got %g",
                     def->name, def->min, value);
        else
            snprintf(err, errlen, "%s: must be between %g and %g, got %g",
                     def->name, def->min, def->max, value);
        return -1;
    }
    note_source(s, def, src);
    if (def->type == SETTING_INT)
        *(long *)field(s, def) = (long)value;
    else
        *(double *)field(s, def) = value;
    return 0;
}

int settings_set_string(struct settings *s, const struct setting_def *def,
                        const char *value, enum setting_source src,
                        char *err, size_t errlen)
{
    if (def->type == SETTING_ENUM) {
        int ok = 0;
        for (const char *const *c = def->choices; *c; c++)
            if (strcmp(*c, value) == 0) ok = 1;
        if (!ok) {
            snprintf(err, errlen, "%s: \"%s\" is not one of", def->name, value);
            for (const char *const *c = def->choices; *c; c++) {
                size_t used = strlen(err);
                snprintf(err + used, errlen - used, " \"%s\"", *c);
            }
            return -1;
        }
    } else if (def->type != SETTING_STR && def->type != SETTING_LIST) {
        return settings_set_text(s, def, value, src, err, errlen);
    }
    if (value[0] == '\0') {
        snprintf(err, errlen, "%s: must not be empty", def->name);
        return -1;
    }
    note_source(s, def, src);
    if (def->type == SETTING_LIST)
        list_add(field(s, def), value);
    else
        set_str(field(s, def), value);
    return 0;
}

int settings_set_bool(struct settings *s, const struct setting_def *def,
                      int value, enum setting_source src,
                      char *err, size_t errlen)
{
    if (def->type != SETTING_BOOL) {
        snprintf(err, errlen, "%s: expected %s, got a boolean", def->name,
                 settings_type_name(def->type));
        return -1;
    }
    note_source(s, def, src);
    *(int *)field(s, def) = value != 0;
    return 0;
}

static int is_default(const struct settings *s, const char *name)
{
    return s->source[index_of(settings_find(name))] == SOURCE_DEFAULT;
}

static enum setting_source source_of(const struct settings *s,
                                     const char *name)
{
    return s->source[index_of(settings_find(name))];
}

/* Fill in the settings whose default is derived from others. */
static void derive(struct settings *s)
{
    if (is_default(s, "MinServer")) s->min_server = s->start_server;
    if (is_default(s, "MaxSpareServer"))
        s->max_spare_server = s->max_server > s->min_server
                                  ? s->max_server - s->min_server : 0;
    if (is_default(s, "MinSpareServer")) {
        s->min_spare_server = s->min_server;
        /* A derived floor never contradicts the ceiling it sits under. */
        if (s->max_spare_server > 0 &&
            s->min_spare_server > s->max_spare_server)
            s->min_spare_server = s->max_spare_server;
    }
    if (is_default(s, "ServerHeartBeatTime"))
        s->server_heart_beat_time = s->master_heart_beat_time / 2;
    if (is_default(s, "MaxServerExpireTime"))
        s->max_server_expire_time = 5 * s->master_heart_beat_time;
    if (is_default(s, "GraceExpireTime"))
        s->grace_expire_time = s->max_server_expire_time;
}

/* Fail with a message naming `name`, remembering its source. */
static int refuse(const struct settings *s, const char *name,
                  enum setting_source *culprit, char *err, size_t errlen,
                  const char *fmt, long a, long b)
{
    char why[160];
    snprintf(why, sizeof(why), fmt, a, b);
    snprintf(err, errlen, "%s: %s", name, why);
    if (culprit) *culprit = source_of(s, name);
    return -1;
}

int settings_finish(struct settings *s, char *err, size_t errlen,
                    enum setting_source *culprit)
{
    derive(s);
    if (s->start_server > s->max_server)
        return refuse(s, "StartServer", culprit, err, errlen,
                      "%ld is more than MaxServer (%ld)", s->start_server,
                      s->max_server);
    if (s->min_server > s->max_server)
        return refuse(s, "MinServer", culprit, err, errlen,
                      "%ld is more than MaxServer (%ld)", s->min_server,
                      s->max_server);
    if (s->min_spare_server > s->max_server)
        return refuse(s, "MinSpareServer", culprit, err, errlen,
                      "%ld is more than MaxServer (%ld)", s->min_spare_server,
                      s->max_server);
    if (s->max_spare_server > 0 && s->min_spare_server > s->max_spare_server)
        return refuse(s, "MinSpareServer", culprit, err, errlen,
                      "%ld is more than MaxSpareServer (%ld)",
                      s->min_spare_server, s->max_spare_server);
    if (s->server_heart_beat_time >= s->max_server_expire_time) {
        /* Name the setting the user set: a derived one is no culprit. */
        if (is_default(s, "ServerHeartBeatTime")) {
            snprintf(err, errlen,
                     "MaxServerExpireTime: %g must be more than "
                     "ServerHeartBeatTime (%g), or every child is killed",
                     s->max_server_expire_time, s->server_heart_beat_time);
            if (culprit) *culprit = source_of(s, "MaxServerExpireTime");
        } else {
            snprintf(err, errlen,
                     "ServerHeartBeatTime: %g must be less than "
                     "MaxServerExpireTime (%g), or every child is killed",
                     s->server_heart_beat_time, s->max_server_expire_time);
            if (culprit) *culprit = source_of(s, "ServerHeartBeatTime");
        }
        return -1;
    }
    if (s->port == 0 && s->listen.n == 0)
        return refuse(s, "Port", culprit, err, errlen,
                      "is 0 and Listen is empty: nothing to listen on", 0, 0);
    return 0;
}

int settings_resize(struct settings *s, int delta)
{
    if (s->max_server + delta < 1 ||
        s->max_server + delta > settings_max_server_limit())
        return -1;
    s->max_server += delta;
    if (s->min_server + delta >= 1) s->min_server += delta;
    if (is_default(s, "MinSpareServer")) {
        s->min_spare_server = s->min_server;
        if (s->max_spare_server > 0 &&
            s->min_spare_server > s->max_spare_server)
            s->min_spare_server = s->max_spare_server;
    }
    return 0;
}

long settings_max_server_limit(void)
{
    return (long)settings_find("MaxServer")->max;
}
