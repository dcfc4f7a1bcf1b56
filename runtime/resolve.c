/* resolve.c: evdns lookups. */
#include "resolve.h"

#include <event2/dns.h>
#include <event2/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct resolver {
    struct evdns_base *dns;
};

/* One lookup in flight. */
struct lookup {
    resolve_done_fn done;
    void *arg;
    int returned;   /* resolve_start has returned: done runs from the loop */
    int ran;        /* done has run */
};

struct resolver *resolver_new(struct event_base *base,
                              char *const *nameservers, int n,
                              char *err, size_t errlen)
{
    struct resolver *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "Resolver: out of memory");
        return NULL;
    }
    int flags = EVDNS_BASE_DISABLE_WHEN_INACTIVE;
    if (n == 0) flags |= EVDNS_BASE_INITIALIZE_NAMESERVERS;
    r->dns = evdns_base_new(base, flags);
    if (!r->dns) {
        snprintf(err, errlen, "evdns_base_new() failed");
        free(r);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (evdns_base_nameserver_ip_add(r->dns, nameservers[i]) != 0) {
            snprintf(err, errlen, "Resolver: cannot use nameserver %s",
                     nameservers[i]);
            resolver_free(r);
            return NULL;
        }
    }
    if (n > 0) evdns_base_load_hosts(r->dns, NULL);
    return r;
}

void resolver_free(struct resolver *r)
{
    if (!r) return;
    evdns_base_free(r->dns, 0);
    free(r);
}

/* A short message for getaddrinfo's error code. */
static const char *error_text(int code)
{
    switch (code) {
    case EVUTIL_EAI_NONAME:
    case EVUTIL_EAI_NODATA: return "no such host";
    case EVUTIL_EAI_AGAIN: return "name lookup failed for now";
    case EVUTIL_EAI_CANCEL: return "resolver closed";
    case EVUTIL_EAI_MEMORY: return "out of memory";
    default: return evutil_gai_strerror(code);
    }
}

static void on_lookup(int code, struct evutil_addrinfo *ai, void *arg)
{
    struct lookup *q = arg;
    q->ran = 1;
    q->done(q->arg, code ? error_text(code) : NULL, ai);
    if (ai) evutil_freeaddrinfo(ai);
    if (q->returned) free(q);
}

int resolve_start(struct resolver *r, const char *name, resolve_done_fn done,
                  void *arg)
{
    struct evutil_addrinfo hints;
    struct lookup *q = calloc(1, sizeof(*q));
    if (!q) {
        done(arg, "out of memory", NULL);
        return 1;
    }
    q->done = done;
    q->arg = arg;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    evdns_getaddrinfo(r->dns, name, NULL, &hints, on_lookup, q);
    if (q->ran) {
        free(q);
        return 1;
    }
    q->returned = 1;
    return 0;
}
