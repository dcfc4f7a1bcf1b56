/* socket_activate.c: hand listening sockets to a command the way systemd's
 * socket activation does, for the specs.
 *   socket_activate [--tcp HOST:PORT | --unix PATH]... -- COMMAND ARGS...
 * Binds and listens on each, puts them at descriptors 3, 4, ..., sets
 * LISTEN_FDS and LISTEN_PID (this process: exec keeps the pid) and execs
 * the command. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A listening socket for "--tcp 127.0.0.1:PORT" or "--unix PATH". */
static int open_one(const char *kind, const char *where)
{
    int fd;
    if (strcmp(kind, "--unix") == 0) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", where);
        unlink(where);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
            return -1;
    } else {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        char host[64];
        const char *colon = strrchr(where, ':');
        if (!colon || (size_t)(colon - where) >= sizeof(host)) return -1;
        memcpy(host, where, (size_t)(colon - where));
        host[colon - where] = '\0';
        sin.sin_port = htons((unsigned short)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) return -1;
        int one = 1;
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return -1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) return -1;
    }
    return listen(fd, 128) < 0 ? -1 : fd;
}

int main(int argc, char **argv)
{
    int fds[16], n = 0, i = 1;
    for (; i + 1 < argc && strcmp(argv[i], "--") != 0 && n < 16; i += 2) {
        fds[n] = open_one(argv[i], argv[i + 1]);
        if (fds[n++] < 0) {
            perror(argv[i + 1]);
            return 1;
        }
    }
    if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
        fprintf(stderr, "usage: socket_activate [--tcp H:P | --unix PATH]... "
                        "-- COMMAND...\n");
        return 2;
    }
    /* Move them to 3, 4, ...: first out of the way, then into place. */
    for (int k = 0; k < n; k++) {
        int high = fcntl(fds[k], F_DUPFD, 100);
        close(fds[k]);
        fds[k] = high;
    }
    for (int k = 0; k < n; k++) {
        dup2(fds[k], 3 + k);
        close(fds[k]);
    }
    char count[16], pid[32];
    snprintf(count, sizeof(count), "%d", n);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("LISTEN_FDS", count, 1);
    setenv("LISTEN_PID", pid, 1);
    execvp(argv[i + 1], argv + i + 1);
    perror(argv[i + 1]);
    return 127;
}
