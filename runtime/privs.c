/* privs.c: resolve and apply User and Group. */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digits.h"

/* A whole decimal number in text (a uid or gid), or -1. */
static long numeric(const char *text)
{
    unsigned long v;
    return digits_whole(text, strlen(text), 0x7fffffff, &v) == 0 ? (long)v
                                                                 : -1;
}

int privs_resolve(const char *user, const char *group, struct privs *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (user) {
        long id = numeric(user);
        struct passwd *pw = id >= 0 ? getpwuid((uid_t)id) : getpwnam(user);
        if (!pw) {
            snprintf(err, errlen, "User: no such user \"%s\"", user);
            return -1;
        }
        out->has_user = 1;
        out->uid = pw->pw_uid;
        out->gid = pw->pw_gid;
        snprintf(out->user, sizeof(out->user), "%s", pw->pw_name);
    }
    if (group) {
        long id = numeric(group);
        struct group *gr = id >= 0 ? getgrgid((gid_t)id) : getgrnam(group);
        if (!gr) {
            snprintf(err, errlen, "Group: no such group \"%s\"", group);
            return -1;
        }
        out->has_group = 1;
        out->gid = gr->gr_gid;
    }
    return 0;
}

int privs_drop(const struct privs *p, char *err, size_t errlen)
{
    if (!p->has_user && !p->has_group) return 0;
    if (setgid(p->gid) < 0) {
        snprintf(err, errlen, "Group: cannot switch to gid %d: %s",
                 (int)p->gid, strerror(errno));
        return -1;
    }
    if (p->has_user) {
        if (initgroups(p->user, p->gid) < 0 || setuid(p->uid) < 0) {
            snprintf(err, errlen, "User: cannot switch to %s: %s", p->user,
                     strerror(errno));
            return -1;
        }
        if (p->uid != 0 && (getuid() == 0 || geteuid() == 0)) {
            snprintf(err, errlen, "User: still root after switching to %s",
                     p->user);
            return -1;
        }
    } else if (setgroups(1, &p->gid) < 0 && errno != EPERM) {
        snprintf(err, errlen, "Group: cannot set groups: %s", strerror(errno));
        return -1;
    }
    return 0;
}
