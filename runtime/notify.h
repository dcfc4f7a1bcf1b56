/* notify.h: tell a service manager (systemd's NOTIFY_SOCKET) how the
 * server is doing: READY=1, RELOADING=1, STOPPING=1 and STATUS=. */
#ifndef TINE_NOTIFY_H
#define TINE_NOTIFY_H

#include <sys/socket.h>
#include <sys/un.h>

struct notifier {
    int fd;                     /* -1: no service manager listens */
    struct sockaddr_un addr;
    socklen_t addrlen;
    char last_status[256];
};

/* Take NOTIFY_SOCKET from the environment (a path, or "@name" for the
 * abstract namespace) and remove it, so children and scripts do not speak
 * for the master. Without it, every notify_send does nothing. */
void notify_open(struct notifier *n);

/* Send one message ("READY=1\nSTATUS=..."); best effort. */
void notify_send(struct notifier *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Send STATUS=status, unless it is what was sent last. */
void notify_status(struct notifier *n, const char *status);

void notify_close(struct notifier *n);

#endif
