/* config.c: run the script's top level in a throwaway state to read the
 * settings, then apply the flags and check the result. */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "access.h"
#include "listen.h"
#include "lua_host.h"
#include "privs.h"

/* Errors in settings the flags set are usage errors (2); the rest are the
 * script's (1). */
static int status_for(enum setting_source culprit)
{
    return culprit == SOURCE_FLAG ? 2 : 1;
}

/* The lists that must parse before anything is bound. */
static int check_lists(const struct settings *s, char *err, size_t errlen,
                       enum setting_source *culprit)
{
    struct listen_spec *specs;
    struct access_list list;
    int n;
    int rc = listen_specs(s, &specs, &n, err, errlen);
    free(specs);
    if (rc < 0) {
        *culprit = s->source[settings_find(err[0] == 'L' ? "Listen"
                                                         : "Address") -
                             settings_table];
        return -1;
    }
    static const char *const names[2] = {"Allow", "Deny"};
    const struct string_list *lists[2] = {&s->allow, &s->deny};
    for (int i = 0; i < 2; i++) {
        if (access_build(names[i], lists[i], &list, err, errlen) < 0) {
            *culprit = s->source[settings_find(names[i]) - settings_table];
            return -1;
        }
        access_free(&list);
    }
    struct privs privs;
    if (privs_resolve(s->user, s->group, &privs, err, errlen) < 0) {
        *culprit = s->source[settings_find(err[0] == 'U' ? "User" : "Group") -
                             settings_table];
        return -1;
    }
    return 0;
}

int config_load(const char *script, const struct cli *cli,
                struct settings *out, char *err, size_t errlen)
{
    char why[1024];
    enum setting_source culprit = SOURCE_SCRIPT;
    struct host_env env = {0};
    settings_init(out);
    env.settings = out;
    env.master_pid = getpid();
    struct lua_host *h = host_open(script, &env, err, errlen);
    if (!h) goto fail;
    if (host_read_settings(h, out, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s: %s", script, why);
        host_close(h);
        goto fail;
    }
    host_warn_near_misses(h);
    host_close(h);
    if (cli_apply(cli, out, err, errlen) < 0) {
        culprit = SOURCE_FLAG;
        goto fail;
    }
    if (settings_finish(out, why, sizeof(why), &culprit) < 0 ||
        check_lists(out, why, sizeof(why), &culprit) < 0) {
        if (culprit == SOURCE_FLAG) snprintf(err, errlen, "%s", why);
        else snprintf(err, errlen, "%s: %s", script, why);
        goto fail;
    }
    return 0;
fail:
    settings_free(out);
    return status_for(culprit);
}
