/* privs.h: the identity children drop to (User, Group) after the master
 * has bound its sockets. */
#ifndef TINE_PRIVS_H
#define TINE_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

struct privs {
    int has_user, has_group;
    uid_t uid;
    gid_t gid;          /* Group's, or User's primary group */
    char user[64];
};

/* Look up User and Group (names or numbers; either may be NULL). 0, or -1
 * with err naming the setting. */
int privs_resolve(const char *user, const char *group, struct privs *out,
                  char *err, size_t errlen);

/* Become p: group, supplementary groups, then user. Nothing to do when
 * neither is set. 0, or -1 with err: the caller must not go on as root. */
int privs_drop(const struct privs *p, char *err, size_t errlen);

#endif
