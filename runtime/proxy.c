/* proxy.c: the PROXY protocol header, versions 1 (a text line) and 2
 * (binary), parsed strictly from the start of a buffer. Written from the
 * protocol's public description; see proxy.h for the contract. */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#define V1_SIG "PROXY "
#define V1_SIG_LEN 6
#define V2_SIG_LEN 12
#define V2_FIXED 16             /* signature, ver/cmd, fam, length */
#define V2_CMD_LOCAL 0x0
#define V2_CMD_PROXY 0x1
#define V2_TCP4 0x11            /* AF_INET, STREAM */
#define V2_TCP6 0x21            /* AF_INET6, STREAM */

/* Record why the header is refused; returns PROXY_MALFORMED. */
static enum proxy_status refuse(struct proxy_header *out, const char *why)
{
    out->reason = why;
    return PROXY_MALFORMED;
}

/* Do the n bytes at p agree with the start of `want` (as far as both go)? */
static int agrees(const unsigned char *p, size_t n, const char *want)
{
    size_t w = strlen(want);
    return memcmp(p, want, n < w ? n : w) == 0;
}

/* Fill endpoint e from a raw address (4 or 16 bytes) and a host-order
 * port. */
static void endpoint_set(struct proxy_endpoint *e, int family,
                         const unsigned char *addr, unsigned port)
{
    memset(e, 0, sizeof(*e));
    e->family = family;
    e->port = port;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&e->addr;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        memcpy(&in->sin_addr, addr, 4);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&e->addr;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        memcpy(&in6->sin6_addr, addr, 16);
    }
}

/* ---- version 1: "PROXY TCP4 1.2.3.4 5.6.7.8 1234 80\r\n" ---- */

/* May byte c appear in the fields of a TCP4/TCP6 line? */
static int v1_field_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F') || c == '.' || c == ':' || c == ' ';
}

/* Judge the first n bytes of a line: the signature, a protocol word that
 * can still be TCP4, TCP6 or UNKNOWN, and, on a TCP line, only bytes that
 * addresses, ports and spaces are made of. PROXY_MALFORMED, or
 * PROXY_NEED_MORE if all is well so far. */
static enum proxy_status v1_check_prefix(const unsigned char *buf, size_t n,
                                         struct proxy_header *out)
{
    if (!agrees(buf, n, V1_SIG)) return refuse(out, "v1: bad signature");
    if (n <= V1_SIG_LEN) return PROXY_NEED_MORE;
    const unsigned char *p = buf + V1_SIG_LEN;
    size_t m = n - V1_SIG_LEN;
    if (!agrees(p, m, "TCP4 ") && !agrees(p, m, "TCP6 ") &&
        !agrees(p, m, "UNKNOWN"))
        return refuse(out, "v1: unknown protocol");
    for (size_t i = 5; p[0] == 'T' && i < m; i++)
        if (!v1_field_byte(p[i]) && p[i] != '\r')
            return refuse(out, "v1: unexpected byte");
    return PROXY_NEED_MORE;
}

/* Find the CRLF ending the line within PROXY_V1_MAX bytes: PROXY_DONE with
 * *line_len (CRLF excluded), PROXY_NEED_MORE, or PROXY_MALFORMED for a lone
 * CR or LF, a bad start or no CRLF in time. The bytes before a CR or LF
 * are judged first, so the earliest bad byte names the fault however the
 * input was split. */
static enum proxy_status v1_line_end(const unsigned char *buf, size_t len,
                                     size_t *line_len,
                                     struct proxy_header *out)
{
    size_t n = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;
    for (size_t i = 0; i < n; i++) {
        int lf = buf[i] == '\n', after_cr = i > 0 && buf[i - 1] == '\r';
        if (!lf && !after_cr) continue;
        if (v1_check_prefix(buf, i, out) == PROXY_MALFORMED)
            return PROXY_MALFORMED;
        if (!lf) return refuse(out, "v1: CR without LF");
        if (!after_cr) return refuse(out, "v1: LF without CR");
        *line_len = i - 1;      /* past the signature, which has no CR */
        return PROXY_DONE;
    }
    if (v1_check_prefix(buf, n, out) == PROXY_MALFORMED)
        return PROXY_MALFORMED;
    if (len >= PROXY_V1_MAX) return refuse(out, "v1: no CRLF in 107 bytes");
    return PROXY_NEED_MORE;
}

/* Copy the field starting at line[*pos] into field (cap bytes with the
 * NUL) and step past it and the single space after it; the last field must
 * end the line, the others must be followed by a space. 0, or -1 if the
 * field is empty, too long or badly ended. */
static int v1_field(const unsigned char *line, size_t n, size_t *pos,
                    char *field, size_t cap, int last)
{
    size_t start = *pos, end = start;
    while (end < n && line[end] != ' ') end++;
    if (end == start || end - start >= cap) return -1;
    if (last ? end != n : end == n) return -1;
    memcpy(field, line + start, end - start);
    field[end - start] = '\0';
    *pos = last ? end : end + 1;
    return 0;
}

/* A port (s is not empty): "0", or up to 5 digits without a leading
 * zero, at most 65535. Returns it, or -1. */
static long v1_port(const char *s)
{
    size_t n = strlen(s);
    if (n > 5 || (n > 1 && s[0] == '0')) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 65535 ? v : -1;
}

/* The four fields of a TCP4/TCP6 line after "PROXY TCPx ", into out. */
static enum proxy_status v1_tcp(const unsigned char *line, size_t n,
                                int family, struct proxy_header *out)
{
    char f[4][INET6_ADDRSTRLEN];
    size_t pos = V1_SIG_LEN + 5;
    for (int i = 0; i < 4; i++)
        if (v1_field(line, n, &pos, f[i], sizeof(f[i]), i == 3) < 0)
            return refuse(out, "v1: bad field");
    unsigned char src[16], dst[16];
    if (inet_pton(family, f[0], src) != 1 ||
        inet_pton(family, f[1], dst) != 1)
        return refuse(out, "v1: bad address");
    long sport = v1_port(f[2]), dport = v1_port(f[3]);
    if (sport < 0 || dport < 0) return refuse(out, "v1: bad port");
    endpoint_set(&out->src, family, src, (unsigned)sport);
    endpoint_set(&out->dst, family, dst, (unsigned)dport);
    return PROXY_DONE;
}

/* A version 1 header: find the line, then read it. */
static enum proxy_status v1_parse(const unsigned char *buf, size_t len,
                                  struct proxy_header *out)
{
    size_t n = 0;
    enum proxy_status st = v1_line_end(buf, len, &n, out);
    if (st != PROXY_DONE) return st;
    const unsigned char *proto = buf + V1_SIG_LEN;
    size_t rest = n - V1_SIG_LEN;
    if (rest >= 7 && memcmp(proto, "UNKNOWN", 7) == 0) {
        if (rest > 7 && proto[7] != ' ')
            return refuse(out, "v1: unknown protocol");
        out->keep_peer = 1;
    } else if (rest >= 5 && memcmp(proto, "TCP4 ", 5) == 0) {
        st = v1_tcp(buf, n, AF_INET, out);
    } else if (rest >= 5 && memcmp(proto, "TCP6 ", 5) == 0) {
        st = v1_tcp(buf, n, AF_INET6, out);
    } else {
        return refuse(out, "v1: unknown protocol");
    }
    if (st == PROXY_DONE) out->consumed = n + 2;
    return st;
}

/* ---- version 2: signature, ver/cmd, fam, length, addresses, TLVs ---- */

static const unsigned char v2_sig[V2_SIG_LEN] = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};

/* Bytes of addresses and ports the family byte calls for, or -1 for an
 * unknown family or transport. */
static long v2_addr_len(unsigned char fam)
{
    if ((fam & 0x0F) > 2) return -1;        /* UNSPEC, STREAM, DGRAM */
    switch (fam >> 4) {
    case 0: return 0;                       /* AF_UNSPEC */
    case 1: return 12;                      /* AF_INET */
    case 2: return 36;                      /* AF_INET6 */
    case 3: return 216;                     /* AF_UNIX */
    default: return -1;
    }
}

/* Are the n bytes at p whole TLVs (type, 16-bit length, value)? */
static int v2_tlvs_ok(const unsigned char *p, size_t n)
{
    while (n > 0) {
        if (n < 3) return 0;
        size_t l = (size_t)p[1] << 8 | p[2];
        if (l > n - 3) return 0;
        p += 3 + l;
        n -= 3 + l;
    }
    return 1;
}

/* The body of a whole PROXY-command header: TCP over IPv4 or IPv6 gives
 * the endpoints; any other family or transport keeps the real peer. */
static enum proxy_status v2_proxy_body(const unsigned char *body,
                                       size_t len, unsigned char fam,
                                       size_t addr_len,
                                       struct proxy_header *out)
{
    if (fam >> 4 == 0) {                    /* AF_UNSPEC: ignore it all */
        out->keep_peer = 1;
        return PROXY_DONE;
    }
    if (!v2_tlvs_ok(body + addr_len, len - addr_len))
        return refuse(out, "v2: bad TLV");
    if (fam == V2_TCP4 || fam == V2_TCP6) {
        size_t a = fam == V2_TCP4 ? 4 : 16;
        const unsigned char *ports = body + 2 * a;
        int family = fam == V2_TCP4 ? AF_INET : AF_INET6;
        endpoint_set(&out->src, family, body,
                     (unsigned)ports[0] << 8 | ports[1]);
        endpoint_set(&out->dst, family, body + a,
                     (unsigned)ports[2] << 8 | ports[3]);
    } else {
        out->keep_peer = 1;
    }
    return PROXY_DONE;
}

/* A version 2 header. Each byte is judged as soon as it is in: the
 * signature, the version and command, the family (unless LOCAL, whose
 * block is ignored whole), the length against the family. */
static enum proxy_status v2_parse(const unsigned char *buf, size_t len,
                                  struct proxy_header *out)
{
    if (memcmp(buf, v2_sig, len < V2_SIG_LEN ? len : V2_SIG_LEN) != 0)
        return refuse(out, "v2: bad signature");
    if (len <= V2_SIG_LEN) return PROXY_NEED_MORE;
    if (buf[12] >> 4 != 2) return refuse(out, "v2: unknown version");
    unsigned cmd = buf[12] & 0x0F;
    if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
        return refuse(out, "v2: unknown command");
    if (len <= 13) return PROXY_NEED_MORE;
    long addr_len = v2_addr_len(buf[13]);
    if (cmd == V2_CMD_PROXY && addr_len < 0)
        return refuse(out, "v2: unknown family or transport");
    if (len < V2_FIXED) return PROXY_NEED_MORE;
    size_t body = (size_t)buf[14] << 8 | buf[15];
    if (cmd == V2_CMD_PROXY && body < (size_t)addr_len)
        return refuse(out, "v2: length too short for the family");
    if (len - V2_FIXED < body) return PROXY_NEED_MORE;
    out->consumed = V2_FIXED + body;
    if (cmd == V2_CMD_LOCAL) {
        out->keep_peer = 1;
        return PROXY_DONE;
    }
    enum proxy_status st = v2_proxy_body(buf + V2_FIXED, body, buf[13],
                                         (size_t)addr_len, out);
    if (st != PROXY_DONE) out->consumed = 0;
    return st;
}

enum proxy_status proxy_parse(const unsigned char *buf, size_t len,
                              struct proxy_header *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0) return PROXY_NEED_MORE;
    if (buf[0] == 'P') {
        out->version = 1;
        return v1_parse(buf, len, out);
    }
    if (buf[0] == v2_sig[0]) {
        out->version = 2;
        return v2_parse(buf, len, out);
    }
    return refuse(out, "not a PROXY header");
}
