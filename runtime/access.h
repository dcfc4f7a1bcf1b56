/* access.h: Allow and Deny lists of addresses and CIDR blocks. */
#ifndef TINE_ACCESS_H
#define TINE_ACCESS_H

#include <stddef.h>
#include <sys/socket.h>

#include "settings.h"

struct access_rule {
    int family;               /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int prefix;               /* bits that must match */
};

struct access_list {
    int n;
    struct access_rule *rules;
};

/* Parse "10.0.0.0/8", "::1" or "192.168.1.7"; 0 or -1 with err. */
int access_parse(const char *text, struct access_rule *out, char *err,
                 size_t errlen);

/* Build a list from a setting's strings; 0, or -1 with err naming
 * `setting`. */
int access_build(const char *setting, const struct string_list *src,
                 struct access_list *out, char *err, size_t errlen);

void access_free(struct access_list *l);

/* May this peer in? Denied if it matches Deny, or if Allow is not empty and
 * it matches no entry of Allow. Unix-domain peers are always let in. An
 * IPv4-mapped IPv6 peer is matched as IPv4. */
int access_permits(const struct access_list *allow,
                   const struct access_list *deny, const struct sockaddr *sa);

#endif
