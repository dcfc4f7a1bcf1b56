/* floor.c: the floor for tine's benchmarks. The least a prefork server can
 * do: a master binds one listening socket on 127.0.0.1, forks --workers
 * workers that share it, and each worker runs an epoll loop that accepts
 * and echoes back every byte it reads (no framing, no Lua). tine's figures
 * are compared with this server's on the same machine, same load.
 *
 *   floor [--port P] [--workers N] [--host 127.0.0.1]
 *         [--accept-batch N] [--epoll-exclusive | --reuseport]
 *
 * --port 0 binds a free port. The accept strategy can be varied, to
 * compare how evenly each spreads connections over the workers: a shared
 * socket with level-triggered epoll and up to --accept-batch accepts per
 * wake-up (the default, 16, as tine), the same with EPOLLEXCLUSIVE, or one
 * SO_REUSEPORT socket per worker; or --balance: a shared socket where a
 * worker that has more connections than the least loaded worker plus
 * --balance-slack (from counts in shared memory) leaves the listener alone
 * for 1 ms, so that the others take the queued connections (a prototype
 * of a load-aware accept for tine's children, which have a scoreboard). The master prints "floor listening on PORT"
 * once the workers are forked, and stops them on TERM/INT; a worker dies
 * with its master (PR_SET_PDEATHSIG). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 16384

struct fconn {
    int fd;
    size_t pending_off, pending_len;  /* output not yet written */
    char *pending;
};

static int listen_fd = -1;
static int accept_batch = 16;  /* as tine: accepts per wake-up */
static int epoll_exclusive, reuseport, balance, balance_slack = 1;
static int nworkers = 2, my_index;
static long *conn_counts;  /* shared: open connections per worker */
static int listener_off;   /* --balance: listener out of the epoll set */
static struct timespec listener_back;  /* ... until this time */
static struct sockaddr_in bound;
static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void drop(int ep, struct fconn *c)
{
    if (conn_counts) __atomic_sub_fetch(&conn_counts[my_index], 1, __ATOMIC_RELAXED);
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->pending);
    free(c);
}

/* Write buf, keeping what the socket does not take. 0 or -1 (drop). */
static int send_all(int ep, struct fconn *c, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (w > 0) {
            buf += w;
            len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->pending = malloc(len);
            if (!c->pending) return -1;
            memcpy(c->pending, buf, len);
            c->pending_off = 0;
            c->pending_len = len;
            struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);  /* stop reading */
            return 0;
        }
        return -1;
    }
    return 0;
}

static void on_readable(int ep, struct fconn *c, char *buf)
{
    for (;;) {
        ssize_t r = read(c->fd, buf, BUF_SIZE);
        if (r > 0) {
            if (send_all(ep, c, buf, (size_t)r) < 0) {
                drop(ep, c);
                return;
            }
            if (c->pending) return;
            if (r < BUF_SIZE) return;  /* most likely drained */
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        drop(ep, c);  /* EOF or error */
        return;
    }
}

static void on_writable(int ep, struct fconn *c)
{
    while (c->pending_off < c->pending_len) {
        ssize_t w = send(c->fd, c->pending + c->pending_off,
                         c->pending_len - c->pending_off, MSG_NOSIGNAL);
        if (w > 0) {
            c->pending_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        drop(ep, c);
        return;
    }
    free(c->pending);
    c->pending = NULL;
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

/* --balance: should this worker let the others accept? */
static int too_busy(void)
{
    long mine = __atomic_load_n(&conn_counts[my_index], __ATOMIC_RELAXED);
    long least = -1;
    for (int i = 0; i < nworkers; i++) {
        if (i == my_index) continue;
        long n = __atomic_load_n(&conn_counts[i], __ATOMIC_RELAXED);
        if (least < 0 || n < least) least = n;
    }
    return least >= 0 && mine > least + balance_slack;
}

static void on_accept(int ep)
{
    for (int i = 0; i < accept_batch; i++) {
        if (balance && too_busy()) {
            epoll_ctl(ep, EPOLL_CTL_DEL, listen_fd, NULL);
            listener_off = 1;  /* back in 1 ms, from the loop */
            clock_gettime(CLOCK_MONOTONIC, &listener_back);
            listener_back.tv_nsec += 1000000;
            if (listener_back.tv_nsec >= 1000000000) {
                listener_back.tv_sec++;
                listener_back.tv_nsec -= 1000000000;
            }
            return;
        }
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  /* EAGAIN (another worker won), or an error */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct fconn *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        if (conn_counts) __atomic_add_fetch(&conn_counts[my_index], 1, __ATOMIC_RELAXED);
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) {
            close(fd);
            free(c);
        }
    }
}

static int worker(pid_t master)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != master) return 1;
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    if (reuseport) {  /* a socket of our own in the port's group */
        int one = 1;
        close(listen_fd);
        listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        setsockopt(listen_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
        if (bind(listen_fd, (struct sockaddr *)&bound, sizeof(bound)) < 0 ||
            listen(listen_fd, 4096) < 0) {
            perror("floor: worker bind/listen");
            return 1;
        }
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    static char buf[BUF_SIZE];
    struct epoll_event e = {.events = EPOLLIN | (epoll_exclusive ? EPOLLEXCLUSIVE : 0),
                            .data.ptr = NULL};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &e) < 0) {
        perror("floor: epoll");
        return 1;
    }
    for (;;) {
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, listener_off ? 1 : -1);
        struct timespec now;
        if (listener_off) clock_gettime(CLOCK_MONOTONIC, &now);
        if (listener_off && (now.tv_sec > listener_back.tv_sec ||
                             (now.tv_sec == listener_back.tv_sec &&
                              now.tv_nsec >= listener_back.tv_nsec))) {
            struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
            epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &le);
            listener_off = 0;
        }
        for (int i = 0; i < n; i++) {
            struct fconn *c = evs[i].data.ptr;
            if (!c) on_accept(ep);
            else if (c->pending) on_writable(ep, c);
            else on_readable(ep, c, buf);
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"port", required_argument, 0, 'p'},
        {"workers", required_argument, 0, 'w'},
        {"host", required_argument, 0, 'h'},
        {"accept-batch", required_argument, 0, 'b'},
        {"epoll-exclusive", no_argument, 0, 'x'},
        {"reuseport", no_argument, 0, 'r'},
        {"balance", no_argument, 0, 'B'},
        {"balance-slack", required_argument, 0, 's'},
        {0, 0, 0, 0}};
    int port = 0, o;
    const char *host = "127.0.0.1";
    while ((o = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (o == 'p') port = atoi(optarg);
        else if (o == 'w') nworkers = atoi(optarg);
        else if (o == 'h') host = optarg;
        else if (o == 'b') accept_batch = atoi(optarg);
        else if (o == 'x') epoll_exclusive = 1;
        else if (o == 'r') reuseport = 1;
        else if (o == 'B') balance = 1;
        else if (o == 's') balance_slack = atoi(optarg);
        else {
            fprintf(stderr, "usage: floor [--port P] [--workers N] "
                            "[--host 127.0.0.1] [--accept-batch N] "
                            "[--epoll-exclusive | --reuseport | --balance "
                            "[--balance-slack N]]\n");
            return 2;
        }
    }
    if (nworkers < 1 || nworkers > 256 || port < 0 || port > 65535 ||
        accept_batch < 1 || epoll_exclusive + reuseport + balance > 1 ||
        balance_slack < 0)
        return 2;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &in.sin_addr) != 1) {
        fprintf(stderr, "floor: --host must be an IPv4 address\n");
        return 2;
    }
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* With --reuseport the master only binds (to hold the port; a socket
     * that never listens takes no connection) and each worker listens on
     * its own socket. */
    if (reuseport)
        setsockopt(listen_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    socklen_t len = sizeof(in);
    if (bind(listen_fd, (struct sockaddr *)&in, sizeof(in)) < 0 ||
        (!reuseport && listen(listen_fd, 4096) < 0) ||
        getsockname(listen_fd, (struct sockaddr *)&in, &len) < 0) {
        perror("floor: bind/listen");
        return 1;
    }
    bound = in;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    conn_counts = mmap(NULL, sizeof(long) * (size_t)nworkers,
                       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (conn_counts == MAP_FAILED) {
        perror("floor: mmap");
        return 1;
    }
    pid_t master = getpid();
    pid_t *pids = calloc((size_t)nworkers, sizeof(*pids));
    for (int i = 0; i < nworkers; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            my_index = i;
            _exit(worker(master));
        }
        if (pids[i] < 0) {
            perror("floor: fork");
            stop_flag = 1;
            break;
        }
    }
    printf("floor listening on %d with %d workers\n", ntohs(in.sin_port),
           nworkers);
    fflush(stdout);
    while (!stop_flag) pause();
    for (int i = 0; i < nworkers; i++)
        if (pids[i] > 0) kill(pids[i], SIGKILL);
    while (wait(NULL) > 0) {}
    return 0;
}
