/* fuzz_proxy.c: the PROXY header parser on arbitrary bytes, fed whole and
 * as a prefix cut where the first input byte says. Checks what proxy_parse
 * promises: a verdict never exceeds the bytes it had and never changes when
 * more come; a valid header is "need more" until its last byte and the
 * same header from then on; what it reports is what the bytes said. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* proxy_parse on a heap copy of exactly n bytes: ASan sees any overread. */
static enum proxy_status parse_copy(const uint8_t *data, size_t n,
                                    struct proxy_header *h)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, data, n);
    enum proxy_status st = proxy_parse(copy, n, h);
    free(copy);
    return st;
}

/* The port of an endpoint as its sockaddr holds it. */
static unsigned sockaddr_port(const struct proxy_endpoint *e)
{
    if (e->family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&e->addr)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)&e->addr)->sin6_port);
}

/* The raw address bytes inside an endpoint's sockaddr. */
static const void *raw_addr(const struct proxy_endpoint *e)
{
    if (e->family == AF_INET)
        return &((const struct sockaddr_in *)&e->addr)->sin_addr;
    return &((const struct sockaddr_in6 *)&e->addr)->sin6_addr;
}

/* A v1 TCP4 line has one spelling (inet_pton refuses leading zeros), so
 * writing the result back must give the very bytes consumed. */
static void check_v1_tcp4(const uint8_t *data, const struct proxy_header *h)
{
    char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], line[PROXY_V1_MAX + 1];
    inet_ntop(AF_INET, raw_addr(&h->src), src, sizeof(src));
    inet_ntop(AF_INET, raw_addr(&h->dst), dst, sizeof(dst));
    int n = snprintf(line, sizeof(line), "PROXY TCP4 %s %s %u %u\r\n", src,
                     dst, h->src.port, h->dst.port);
    CHECK(n > 0 && (size_t)n == h->consumed);
    CHECK(memcmp(line, data, h->consumed) == 0);
}

/* A v2 TCP header's addresses and ports are the bytes after the fixed 16. */
static void check_v2_tcp(const uint8_t *data, const struct proxy_header *h)
{
    size_t a = h->src.family == AF_INET ? 4 : 16;
    const uint8_t *ports = data + 16 + 2 * a;
    CHECK(memcmp(raw_addr(&h->src), data + 16, a) == 0);
    CHECK(memcmp(raw_addr(&h->dst), data + 16 + a, a) == 0);
    CHECK(h->src.port == ((unsigned)ports[0] << 8 | ports[1]));
    CHECK(h->dst.port == ((unsigned)ports[2] << 8 | ports[3]));
}

/* What any single result must satisfy for n bytes of input. */
static void check_result(const uint8_t *data, size_t n, enum proxy_status st,
                         const struct proxy_header *h)
{
    if (st == PROXY_NEED_MORE) {
        CHECK(h->consumed == 0 && h->reason == NULL);
        CHECK(n < (h->version == 1 ? PROXY_V1_MAX : PROXY_HEADER_MAX));
        return;
    }
    if (st == PROXY_MALFORMED) {
        CHECK(h->consumed == 0 && h->reason && h->reason[0]);
        return;
    }
    CHECK(st == PROXY_DONE && h->reason == NULL);
    CHECK(h->consumed > 0 && h->consumed <= n);
    CHECK(h->version == 1 ? h->consumed <= PROXY_V1_MAX
                          : h->version == 2 && h->consumed >= 16);
    if (h->keep_peer) {
        CHECK(h->src.family == AF_UNSPEC && h->dst.family == AF_UNSPEC);
        return;
    }
    CHECK(h->src.family == AF_INET || h->src.family == AF_INET6);
    CHECK(h->dst.family == h->src.family);
    CHECK(h->src.addr.ss_family == h->src.family);
    CHECK(h->dst.addr.ss_family == h->dst.family);
    CHECK(sockaddr_port(&h->src) == h->src.port && h->src.port <= 65535);
    CHECK(sockaddr_port(&h->dst) == h->dst.port && h->dst.port <= 65535);
    if (h->version == 2) check_v2_tcp(data, h);
    else if (h->src.family == AF_INET) check_v1_tcp4(data, h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t n = size - 1, k = data[0] % (n + 1);
    data++;
    struct proxy_header whole, part;
    enum proxy_status ws = parse_copy(data, n, &whole);
    enum proxy_status ps = parse_copy(data, k, &part);
    check_result(data, n, ws, &whole);
    check_result(data, k, ps, &part);
    if (ps != PROXY_NEED_MORE)   /* a verdict stands whatever follows */
        CHECK(ps == ws && memcmp(&part, &whole, sizeof(whole)) == 0);
    if (ws == PROXY_DONE) {      /* need more until the last byte only */
        CHECK(k >= whole.consumed ? ps == PROXY_DONE : ps == PROXY_NEED_MORE);
        CHECK(parse_copy(data, whole.consumed, &part) == PROXY_DONE);
        CHECK(memcmp(&part, &whole, sizeof(whole)) == 0);
    }
    return 0;
}
