/* addr.c: socket addresses as text. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

/* An IPv4 address in dotted decimal, as inet_ntop writes it (which goes
 * through sprintf, a seventh of what a new connection costs). buf holds
 * at least INET_ADDRSTRLEN bytes. */
static void ipv4_text(const struct in_addr *a, char *buf)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    char *p = buf;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100) *p++ = (char)('0' + v / 100);
        if (v >= 10) *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '\0';
    }
}

void addr_text(const struct sockaddr *sa, char *buf, size_t len, int *port)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        if (len >= INET_ADDRSTRLEN) ipv4_text(&in->sin_addr, buf);
        else inet_ntop(AF_INET, &in->sin_addr, buf, (socklen_t)len);
        *port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)len);
        *port = ntohs(in6->sin6_port);
    } else {
        snprintf(buf, len, "unix");
        *port = 0;
    }
}
