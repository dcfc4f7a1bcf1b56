/* settings_check.c: the derived defaults, the checks that settings agree
 * with each other, and TTIN / TTOU resizing. */
#include "settings.h"

#include <string.h>

#include "settings_field.h"
#include "tine_err.h"

static int is_default(const struct settings *s, enum setting_id id)
{
    return s->source[id] == SOURCE_DEFAULT;
}

/* A derived MinSpareServer is MinServer, capped at a MaxSpareServer above
 * 0. An explicit one is left as the user gave it. */
static void derive_min_spare(struct settings *s)
{
    if (!is_default(s, SET_MIN_SPARE_SERVER)) return;
    s->min_spare_server = s->min_server;
    if (s->max_spare_server > 0 && s->min_spare_server > s->max_spare_server)
        s->min_spare_server = s->max_spare_server;
}

/* A derived count is brought within the limits the user gave: at most
 * MaxServer (MinSpareServer follows MinServer). An explicit value is left
 * as the user gave it, to be checked. */
static void derive_counts(struct settings *s)
{
    if (is_default(s, SET_START_SERVER) && s->start_server > s->max_server)
        s->start_server = s->max_server;
    if (is_default(s, SET_MIN_SERVER)) {
        s->min_server = s->start_server;
        if (s->min_server > s->max_server) s->min_server = s->max_server;
    }
    if (is_default(s, SET_MAX_SPARE_SERVER))
        s->max_spare_server = s->max_server > s->min_server
                                  ? s->max_server - s->min_server : 0;
    derive_min_spare(s);
}

/* Derived times follow the given ones: a derived ServerHeartBeatTime stays
 * below a given MaxServerExpireTime, and a derived MaxServerExpireTime
 * above a given ServerHeartBeatTime, so only two given values can clash. */
static void derive_times(struct settings *s)
{
    if (is_default(s, SET_SERVER_HEART_BEAT_TIME))
        s->server_heart_beat_time = s->master_heart_beat_time / 2;
    if (is_default(s, SET_MAX_SERVER_EXPIRE_TIME)) {
        s->max_server_expire_time = 5 * s->master_heart_beat_time;
        if (s->max_server_expire_time <= s->server_heart_beat_time)
            s->max_server_expire_time = 5 * s->server_heart_beat_time;
    } else if (is_default(s, SET_SERVER_HEART_BEAT_TIME) &&
               s->server_heart_beat_time >= s->max_server_expire_time) {
        s->server_heart_beat_time = s->max_server_expire_time / 2;
    }
    if (is_default(s, SET_GRACE_EXPIRE_TIME))
        s->grace_expire_time = s->max_server_expire_time;
}

/* Fill in the settings whose default is derived from others (the
 * derivations settings_table states). */
static void derive(struct settings *s)
{
    derive_counts(s);
    derive_times(s);
}

/* Fail with "Name: why" for setting id, which clashes with setting other:
 * the culprit is a flag when either came from one. */
static int refuse(const struct settings *s, enum setting_id id,
                  enum setting_id other, enum setting_source *culprit,
                  char *err, size_t errlen, const char *fmt, long a, long b)
{
    char why[TINE_ERR_MAX];
    snprintf(why, sizeof(why), fmt, a, b);
    snprintf(err, errlen, "%s: %s", settings_def(id)->name, why);
    if (culprit)
        *culprit = s->source[other] == SOURCE_FLAG ? SOURCE_FLAG
                                                   : s->source[id];
    return -1;
}

/* ServerHeartBeatTime must stay below MaxServerExpireTime. Derivation
 * keeps a derived one in line, so a clash is between two given values. */
static int check_heartbeat(const struct settings *s, char *err,
                           size_t errlen, enum setting_source *culprit)
{
    enum setting_id hb = SET_SERVER_HEART_BEAT_TIME;
    enum setting_id expire = SET_MAX_SERVER_EXPIRE_TIME;
    if (s->server_heart_beat_time < s->max_server_expire_time) return 0;
    snprintf(err, errlen,
             "ServerHeartBeatTime: %g must be less than "
             "MaxServerExpireTime (%g), or every child is killed",
             s->server_heart_beat_time, s->max_server_expire_time);
    if (culprit)
        *culprit = s->source[expire] == SOURCE_FLAG ? SOURCE_FLAG
                                                    : s->source[hb];
    return -1;
}

/* TLS: SSLKEYCERT = { key, cert } fills TLSKey and TLSCertificate where
 * they are not given; then both or neither. */
static int check_tls(struct settings *s, char *err, size_t errlen,
                     enum setting_source *culprit)
{
    const struct string_list *seed = &s->sslkeycert;
    if (seed->n != 0 && seed->n != 2)
        return refuse(s, SET_SSLKEYCERT, SET_SSLKEYCERT, culprit, err,
                      errlen, "expected { key, cert }, got %ld entries",
                      seed->n, 0);
    if (seed->n == 2 && is_default(s, SET_TLS_KEY))
        settings_set_str(&s->tls_key, seed->items[0]);
    if (seed->n == 2 && is_default(s, SET_TLS_CERTIFICATE))
        settings_set_str(&s->tls_certificate, seed->items[1]);
    enum setting_id missing = s->tls_key ? SET_TLS_CERTIFICATE : SET_TLS_KEY;
    enum setting_id given = missing == SET_TLS_KEY ? SET_TLS_CERTIFICATE
                                                   : SET_TLS_KEY;
    if (!s->tls_key == !s->tls_certificate) return 0;
    snprintf(err, errlen, "%s: not given, but %s is",
             settings_def(missing)->name, settings_def(given)->name);
    if (culprit) *culprit = s->source[given];  /* whoever gave the one */
    return -1;
}

int settings_finish(struct settings *s, char *err, size_t errlen,
                    enum setting_source *culprit)
{
    derive(s);
    if (s->start_server > s->max_server)
        return refuse(s, SET_START_SERVER, SET_MAX_SERVER, culprit, err, errlen,
                      "%ld is more than MaxServer (%ld)", s->start_server,
                      s->max_server);
    if (s->min_server > s->max_server)
        return refuse(s, SET_MIN_SERVER, SET_MAX_SERVER, culprit, err, errlen,
                      "%ld is more than MaxServer (%ld)", s->min_server,
                      s->max_server);
    if (s->min_spare_server > s->max_server)
        return refuse(s, SET_MIN_SPARE_SERVER, SET_MAX_SERVER, culprit,
                      err, errlen, "%ld is more than MaxServer (%ld)", s->min_spare_server,
                      s->max_server);
    if (s->max_spare_server > 0 && s->min_spare_server > s->max_spare_server)
        return refuse(s, SET_MIN_SPARE_SERVER, SET_MAX_SPARE_SERVER,
                      culprit, err, errlen, "%ld is more than MaxSpareServer (%ld)",
                      s->min_spare_server, s->max_spare_server);
    if (check_heartbeat(s, err, errlen, culprit) < 0) return -1;
    if (check_tls(s, err, errlen, culprit) < 0) return -1;
    if (s->port == 0 && s->listen.n == 0)
        return refuse(s, SET_PORT, SET_LISTEN, culprit, err, errlen,
                      "is 0 and Listen is empty: nothing to listen on", 0, 0);
    return 0;
}

long settings_max_server_limit(void)
{
    return (long)settings_def(SET_MAX_SERVER)->max;
}

int settings_resize(struct settings *s, int delta)
{
    if (s->max_server + delta < 1 ||
        s->max_server + delta > settings_max_server_limit())
        return -1;
    s->max_server += delta;
    if (s->min_server + delta >= 1) s->min_server += delta;
    derive_min_spare(s);
    return 0;
}
