/* conn_proxy.c: see conn_proxy.h. The refusals are counted and logged at
 * debug only: a flood of bad headers cannot flood the log. */
#include "conn_proxy.h"

#include "access.h"
#include "addr.h"
#include "conn.h"
#include "conn_set.h"
#include "log.h"
#include "proxy.h"

/* Count and log a connection closed for its header. */
static int refuse(struct conn *c, const char *why)
{
    c->set->proxy_refused++;
    log_debug("PROXY: closed %s:%d: %s (%lu so far)", c->remote_ip,
              c->remote_port, why, c->set->proxy_refused);
    return -1;
}

int conn_proxy_read(struct conn *c, const char *data, size_t len,
                    size_t *took)
{
    struct proxy_header hdr;
    if (len > PROXY_HEADER_MAX) len = PROXY_HEADER_MAX;
    enum proxy_status st =
        proxy_parse((const unsigned char *)data, len, &hdr);
    if (st == PROXY_NEED_MORE) return 0;
    if (st == PROXY_MALFORMED) return refuse(c, hdr.reason);
    *took = hdr.consumed;
    if (!hdr.keep_peer) {
        addr_text((const struct sockaddr *)&hdr.src.addr, c->remote_ip,
                  sizeof(c->remote_ip), &c->remote_port);
        if (!access_permits(c->set->allow, c->set->deny,
                            (const struct sockaddr *)&hdr.src.addr))
            return refuse(c, "the original client is refused by Allow/Deny");
    }
    return 1;
}

void conn_proxy_timed_out(struct conn *c)
{
    refuse(c, "no whole header in time");
}
