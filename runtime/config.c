/* config.c: run the script's top level in a throwaway state to read the
 * settings, then apply the flags and check the result. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "listen.h"
#include "lua_host.h"
#include "privs.h"
#include "shdict_zones.h"
#include "tine_err.h"

/* Errors in settings the flags set are usage errors (2); the rest are the
 * script's (1). */
static int status_for(enum setting_source culprit)
{
    return culprit == SOURCE_FLAG ? 2 : 1;
}

/* The source of the setting an error message starts with ("Listen: ..."):
 * every check below names its setting first, as users spell it. */
static enum setting_source source_named_in(const struct settings *s,
                                           const char *err)
{
    char name[64];
    size_t len = strcspn(err, ":");
    if (len >= sizeof(name)) return SOURCE_SCRIPT;
    memcpy(name, err, len);
    name[len] = '\0';
    const struct setting_def *def = settings_find(name);
    return def ? s->source[def - settings_table] : SOURCE_SCRIPT;
}

/* StatusListen: well formed, and reachable from this host only unless
 * Allow says who may read the status page. 0, or -1 with err. */
static int check_status_listen(const struct settings *s, char *err,
                               size_t errlen)
{
    struct listen_spec spec;
    char why[400];
    if (!s->status_listen) return 0;
    if (listen_parse(s->status_listen, &spec, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "StatusListen: %s", why);
        return -1;
    }
    if (listen_is_local(&spec) || s->allow.n > 0) return 0;
    snprintf(err, errlen, "StatusListen: \"%s\" is not a loopback address: "
             "set Allow to say who may read the status page",
             s->status_listen);
    return -1;
}

/* What must hold before anything is bound: listener addresses, Allow,
 * Deny and TrustedProxies entries, StatusListen, User and Group,
 * SharedDict. 0, or -1
 * with err and *culprit. */
static int check_lists(const struct settings *s, char *err, size_t errlen,
                       enum setting_source *culprit)
{
    static const enum setting_id ids[3] = {SET_ALLOW, SET_DENY,
                                           SET_TRUSTED_PROXIES};
    const struct string_list *lists[3] = {&s->allow, &s->deny,
                                          &s->trusted_proxies};
    struct listen_spec *specs;
    struct access_list list;
    struct privs privs;
    int n, rc = listen_specs(s, &specs, &n, err, errlen);
    free(specs);
    for (int i = 0; rc == 0 && i < 3; i++) {
        rc = access_build(settings_def(ids[i])->name, lists[i], &list, err,
                          errlen);
        if (rc == 0) access_free(&list);
    }
    if (rc == 0) rc = check_status_listen(s, err, errlen);
    if (rc == 0) rc = privs_resolve(s->user, s->group, &privs, err, errlen);
    if (rc == 0) rc = shdict_zones_check(&s->shared_dict, err, errlen);
    if (rc < 0) *culprit = source_named_in(s, err);
    return rc;
}

/* MaxDequeue needs the script's Dequeue function. 0, or -1 with err and
 * *culprit (the source of MaxDequeue). */
static int check_dequeue(const struct settings *s, int has_dequeue,
                         char *err, size_t errlen,
                         enum setting_source *culprit)
{
    if (s->max_dequeue == 0 || has_dequeue) return 0;
    snprintf(err, errlen, "MaxDequeue: %ld, but the script defines no "
             "Dequeue function", s->max_dequeue);
    *culprit = s->source[SET_MAX_DEQUEUE];
    return -1;
}

/* A --filter flag is known before the script runs, so a script loaded
 * with --filter http needs no ClientInput (lua_host checks). The flags
 * are applied again, over the script's values, by cli_apply. */
static void take_filter_flag(const struct cli *cli, struct settings *out)
{
    char err[TINE_ERR_MAX];
    for (int i = 0; i < cli->nflags; i++)
        if (cli->flags[i].def == settings_def(SET_FILTER))
            settings_set_text(out, cli->flags[i].def, cli->flags[i].value,
                              SOURCE_FLAG, err, sizeof(err));
}

int config_load(const char *script, const struct cli *cli, pid_t master_pid,
                struct settings *out, char *err, size_t errlen)
{
    char why[TINE_ERR_MAX];
    enum setting_source culprit = SOURCE_SCRIPT;
    struct host_env env = {0};
    settings_init(out);
    take_filter_flag(cli, out);
    env.settings = out;
    env.master_pid = master_pid;
    struct lua_host *h = host_open(script, &env, err, errlen);
    if (!h) goto fail;
    if (host_read_settings(h, out, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s: %s", script, why);
        host_close(h);
        goto fail;
    }
    host_warn_near_misses(h);
    int has_dequeue = host_has_function(h, "Dequeue");
    host_close(h);
    if (cli_apply(cli, out, err, errlen) < 0) {
        culprit = SOURCE_FLAG;
        goto fail;
    }
    if (settings_finish(out, why, sizeof(why), &culprit) < 0 ||
        check_lists(out, why, sizeof(why), &culprit) < 0 ||
        check_dequeue(out, has_dequeue, why, sizeof(why), &culprit) < 0) {
        if (culprit == SOURCE_FLAG) snprintf(err, errlen, "%s", why);
        else snprintf(err, errlen, "%s: %s", script, why);
        goto fail;
    }
    return 0;
fail:
    settings_free(out);
    return status_for(culprit);
}
