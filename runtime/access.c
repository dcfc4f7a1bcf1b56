/* access.c: CIDR matching for Allow and Deny. */
#include "access.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

int access_parse(const char *text, struct access_rule *out, char *err,
                 size_t errlen)
{
    char addr[64];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    memset(out, 0, sizeof(*out));
    if (len >= sizeof(addr)) goto bad;
    memcpy(addr, text, len);
    addr[len] = '\0';
    if (inet_pton(AF_INET, addr, out->addr) == 1) {
        out->family = AF_INET;
        out->prefix = 32;
    } else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
        out->family = AF_INET6;
        out->prefix = 128;
    } else {
        goto bad;
    }
    if (slash) {
        unsigned long p;
        if (digits_whole(slash + 1, strlen(slash + 1),
                         (unsigned long)out->prefix, &p) < 0)
            goto bad;
        out->prefix = (int)p;
    }
    return 0;
bad:
    snprintf(err, errlen, "\"%s\" is not an address or CIDR block", text);
    return -1;
}

int access_build(const char *setting, const struct string_list *src,
                 struct access_list *out, char *err, size_t errlen)
{
    char why[200];
    out->n = 0;
    out->rules = calloc((size_t)src->n + 1, sizeof(*out->rules));
    if (!out->rules) abort();
    for (int i = 0; i < src->n; i++) {
        if (access_parse(src->items[i], &out->rules[out->n], why,
                         sizeof(why)) < 0) {
            snprintf(err, errlen, "%s: %s", setting, why);
            access_free(out);
            return -1;
        }
        out->n++;
    }
    return 0;
}

void access_free(struct access_list *l)
{
    free(l->rules);
    l->rules = NULL;
    l->n = 0;
}

/* Do the first `bits` bits of a and b agree? */
static int prefix_equal(const unsigned char *a, const unsigned char *b,
                        int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0) return 0;
    if (rest == 0) return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

static int list_matches(const struct access_list *l, int family,
                        const unsigned char *addr)
{
    for (int i = 0; i < l->n; i++)
        if (l->rules[i].family == family &&
            prefix_equal(l->rules[i].addr, addr, l->rules[i].prefix))
            return 1;
    return 0;
}

int access_permits(const struct access_list *allow,
                   const struct access_list *deny, const struct sockaddr *sa)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
                                             0, 0, 0, 0, 0xff, 0xff};
    unsigned char addr[16];
    int family = sa->sa_family;
    if (family == AF_INET) {
        memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (family == AF_INET6) {
        memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        if (memcmp(addr, mapped, 12) == 0) {
            family = AF_INET;
            memmove(addr, addr + 12, 4);
        }
    } else {
        return 1;
    }
    if (list_matches(deny, family, addr)) return 0;
    return allow->n == 0 || list_matches(allow, family, addr);
}
