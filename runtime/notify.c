/* notify.c: the sd_notify protocol, a datagram per message. */
#include "notify.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void notify_open(struct notifier *n)
{
    const char *path = getenv("NOTIFY_SOCKET");
    memset(n, 0, sizeof(*n));
    n->fd = -1;
    if (!path || (path[0] != '/' && path[0] != '@') ||
        strlen(path) >= sizeof(n->addr.sun_path))
        goto done;
    n->addr.sun_family = AF_UNIX;
    memcpy(n->addr.sun_path, path, strlen(path));
    if (path[0] == '@') n->addr.sun_path[0] = '\0';
    n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                             strlen(path));
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
done:
    unsetenv("NOTIFY_SOCKET");
}

void notify_send(struct notifier *n, const char *fmt, ...)
{
    char msg[512];
    if (n->fd < 0) return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (len < 0) return;
    if (len >= (int)sizeof(msg)) len = (int)sizeof(msg) - 1;
    sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT,
           (struct sockaddr *)&n->addr, n->addrlen);
}

void notify_status(struct notifier *n, const char *status)
{
    if (n->fd < 0 || strcmp(status, n->last_status) == 0) return;
    snprintf(n->last_status, sizeof(n->last_status), "%s", status);
    notify_send(n, "STATUS=%s", status);
}

void notify_close(struct notifier *n)
{
    if (n->fd >= 0) close(n->fd);
    n->fd = -1;
}
