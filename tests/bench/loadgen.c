/* loadgen.c: a closed-loop load generator for line protocols.
 *
 * One process, one epoll loop, nonblocking sockets. Each of --conns
 * connections sends one line, waits for the reply line, and sends the next
 * (persistent), or connects, sends one line, reads the reply and closes
 * (--new-conn). --hold N only opens N connections and keeps them open.
 * Persistent and held connections are opened --open-batch at a time; a
 * persistent run's warm-up starts once every connection has been open.
 * Every run is bounded: --duration (after --warmup), a per-request
 * timeout, and SIGINT/SIGTERM end it early with the figures so far.
 *
 * Errors are counted by kind: connect failures, resets (ECONNRESET/EPIPE),
 * timeouts, premature end of file, mismatched replies, and anything else.
 * The last line printed is machine-readable:
 *   RESULT mode=... requests=... rps=... p50_us=... p99_us=... max_us=...
 *          connect_fail=... reset=... timeout=... eof=... mismatch=... ...
 *
 * Loopback only by intent: --host defaults to 127.0.0.1. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum state {
    ST_IDLE,        /* no socket; waiting to start (or retry) */
    ST_CONNECTING,  /* connect() in progress */
    ST_GREETING,    /* connected, waiting for the greeting line */
    ST_SENDING,     /* request partly written */
    ST_READING,     /* waiting for the reply line */
    ST_HELD,        /* --hold: open and idle */
    ST_DONE,        /* --hold: gave up on this one; --requests: finished */
};

enum err_kind { E_CONNECT, E_RESET, E_TIMEOUT, E_EOF, E_MISMATCH, E_OTHER,
                E_KINDS };
static const char *const kind_names[E_KINDS] = {
    "connect_fail", "reset", "timeout", "eof", "mismatch", "other"};

struct conn {
    int fd;
    int idx;
    enum state state;
    uint32_t events;      /* registered with epoll; 0: not registered */
    double t_start;       /* when the current request began */
    double deadline;      /* 0: none */
    double retry_at;      /* ST_IDLE: start again at this time */
    size_t wpos;          /* bytes of req written */
    size_t rlen, rcap;
    char *rbuf;
    char *req;
    unsigned long seq;
    int opened;           /* has been connected at least once */
};

/* Options. */
static const char *opt_host = "127.0.0.1";
static int opt_port = 10000;
static const char *opt_unix;
static int opt_conns = 50;
static size_t opt_size = 32;
static double opt_duration = 5, opt_warmup = 0, opt_timeout = 5;
static int opt_new_conn, opt_greeting, opt_expect_echo;
static long opt_hold;
static int opt_open_batch = 256;  /* most connects at once, not --new-conn */
static long opt_requests;   /* 0: no limit */
static double opt_open_limit = 60;  /* most seconds for opening */
static int cpu_pids[64], ncpu_pids;  /* --cpu-pids: the server's processes */

/* State. */
static struct sockaddr_storage target;
static socklen_t target_len;
static int ep;
static struct conn *conns;
static int nconns;
static volatile sig_atomic_t stop_flag;
static double t_begin, t_measure, t_end;
static unsigned long errors[E_KINDS];
static unsigned long err_by_errno[E_KINDS][256];
static unsigned long requests, issued;
static unsigned long greeted, held, connects, opened;
static uint32_t *lat;
static size_t nlat, caplat;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: loadgen [--host H] [--port P | --unix PATH] [--conns N]\n"
        "               [--size B] [--duration S] [--warmup S] [--timeout S]\n"
        "               [--new-conn] [--greeting] [--expect-echo]\n"
        "               [--requests N] [--hold N] [--open-batch K]\n"
        "       loadgen --free-port     print a free loopback TCP port\n"
        "  --size B      request line length including \"\\n\" (default 32)\n"
        "  --new-conn    one connection per request (connect, send, read, close)\n"
        "  --hold N      open N connections (greeted if --greeting), hold them\n"
        "                for --duration, report how many were greeted\n"
        "  --open-batch K  most connects under way at once, except with\n"
        "                --new-conn (default 256; --hold-batch is the same)\n"
        "  --requests N  send exactly N requests, then stop (no warm-up)\n"
        "  --timeout S   per-request timeout, connect included (default 5)\n"
        "  --cpu-pids P,P,...  also report the CPU time these processes\n"
        "                (the server) used in the measured window\n");
}

static void add_lat(double seconds)
{
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 65536;
        lat = realloc(lat, caplat * sizeof(*lat));
        if (!lat) {
            perror("realloc");
            exit(1);
        }
    }
    double us = seconds * 1e6;
    lat[nlat++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

static void count_error(enum err_kind k, int err)
{
    errors[k]++;
    err_by_errno[k][(err > 0 && err < 256) ? err : 0]++;
}

/* Register, change or drop the conn's epoll interest. */
static void set_events(struct conn *c, uint32_t ev)
{
    if (ev == c->events) return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    int op = c->events == 0 ? EPOLL_CTL_ADD
           : ev == 0        ? EPOLL_CTL_DEL
                            : EPOLL_CTL_MOD;
    if (epoll_ctl(ep, op, c->fd, &e) < 0) {
        perror("epoll_ctl");
        exit(1);
    }
    c->events = ev;
}

static void close_conn(struct conn *c)
{
    if (c->fd >= 0) close(c->fd);  /* also leaves the epoll set */
    c->fd = -1;
    c->events = 0;
    c->rlen = 0;
    c->wpos = 0;
    c->deadline = 0;
}

static int may_issue(void)
{
    if (opt_requests && issued >= (unsigned long)opt_requests) return 0;
    return !stop_flag;
}

static void start_conn(struct conn *c, double t);

/* After an error: close and, unless holding, start again shortly. */
static void fail(struct conn *c, enum err_kind k, int err, double t)
{
    count_error(k, err);
    close_conn(c);
    if (opt_hold) {
        c->state = ST_DONE;
        return;
    }
    c->state = ST_IDLE;
    c->retry_at = t + (k == E_CONNECT ? 0.01 : 0);
}

/* The request line for the conn's next request: an id, then filler. */
static void fill_request(struct conn *c)
{
    size_t n = opt_size - 1;
    char head[48];
    int h = snprintf(head, sizeof(head), "%d:%lu:", c->idx, ++c->seq);
    for (size_t i = 0; i < n; i++)
        c->req[i] = i < (size_t)h ? head[i] : (char)('a' + (i % 26));
    c->req[n] = '\n';
}

/* Write what is left of the request. */
static void do_send(struct conn *c, double t)
{
    while (c->wpos < opt_size) {
        ssize_t w = send(c->fd, c->req + c->wpos, opt_size - c->wpos,
                         MSG_NOSIGNAL);
        if (w > 0) {
            c->wpos += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->state = ST_SENDING;
            set_events(c, EPOLLOUT);
            return;
        }
        int e = w < 0 ? errno : EPIPE;
        fail(c, (e == ECONNRESET || e == EPIPE) ? E_RESET : E_OTHER, e, t);
        return;
    }
    c->state = ST_READING;
    set_events(c, EPOLLIN);
}

/* Begin a request on a connected socket. */
static void begin_request(struct conn *c, double t)
{
    if (!opt_new_conn) {
        if (!may_issue()) {
            close_conn(c);
            c->state = ST_DONE;
            return;
        }
        issued++;
        c->t_start = t;
    }
    c->deadline = t + opt_timeout;
    fill_request(c);
    c->wpos = 0;
    do_send(c, t);
}

/* The socket is connected: greeting, hold or first request. */
static void on_connected(struct conn *c, double t)
{
    connects++;
    if (!c->opened) {
        c->opened = 1;
        opened++;
    }
    if (opt_greeting) {
        c->state = ST_GREETING;
        set_events(c, EPOLLIN);
    } else if (opt_hold) {
        held++;
        c->state = ST_HELD;
        c->deadline = 0;
        set_events(c, EPOLLIN);
    } else {
        begin_request(c, t);
    }
}

static void start_conn(struct conn *c, double t)
{
    if (opt_new_conn && !opt_hold) {
        if (!may_issue()) {
            c->state = ST_DONE;
            return;
        }
        issued++;
    }
    c->t_start = t;
    c->deadline = t + opt_timeout;
    c->rlen = 0;
    c->fd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0);
    if (c->fd < 0) {
        fail(c, E_OTHER, errno, t);
        c->retry_at = t + 0.01;
        return;
    }
    if (target.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (connect(c->fd, (struct sockaddr *)&target, target_len) == 0) {
        on_connected(c, t);
        return;
    }
    if (errno == EINPROGRESS) {
        c->state = ST_CONNECTING;
        set_events(c, EPOLLOUT);
        return;
    }
    fail(c, E_CONNECT, errno, t);  /* includes EAGAIN: unix backlog full */
}

/* Read what is there. Returns 1 if a full line is buffered, 0 if not
 * yet, -1 after a failure (the conn has been handled). */
static int read_line(struct conn *c, double t, size_t *linelen)
{
    for (;;) {
        char *nl = memchr(c->rbuf, '\n', c->rlen);
        if (nl) {
            *linelen = (size_t)(nl - c->rbuf) + 1;
            return 1;
        }
        if (c->rlen == c->rcap) {
            if (c->rcap >= (1u << 20)) {
                fail(c, E_OTHER, EMSGSIZE, t);
                return -1;
            }
            c->rcap *= 2;
            c->rbuf = realloc(c->rbuf, c->rcap);
            if (!c->rbuf) {
                perror("realloc");
                exit(1);
            }
        }
        ssize_t r = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (r > 0) {
            c->rlen += (size_t)r;
            continue;
        }
        if (r == 0) {
            fail(c, E_EOF, 0, t);
            return -1;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        int e = errno;
        fail(c, (e == ECONNRESET || e == EPIPE) ? E_RESET : E_OTHER, e, t);
        return -1;
    }
}

/* Drop the first n bytes of the read buffer. */
static void consume(struct conn *c, size_t n)
{
    memmove(c->rbuf, c->rbuf + n, c->rlen - n);
    c->rlen -= n;
}

static void on_reply(struct conn *c, double t, size_t linelen)
{
    if (opt_expect_echo &&
        (linelen != opt_size || memcmp(c->rbuf, c->req, linelen) != 0)) {
        fail(c, E_MISMATCH, 0, t);  /* reconnect: the stream may be off */
        return;
    }
    consume(c, linelen);
    if (t >= t_measure && t < t_end) {
        requests++;
        add_lat(t - c->t_start);
    }
    if (opt_new_conn) {
        close_conn(c);
        c->state = ST_IDLE;
        c->retry_at = 0;
        start_conn(c, t);
    } else {
        begin_request(c, t);
    }
}

static void handle(struct conn *c, uint32_t ev, double t)
{
    size_t linelen;
    switch (c->state) {
    case ST_CONNECTING: {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err == 0 && (ev & (EPOLLERR | EPOLLHUP)) && !(ev & EPOLLOUT))
            err = ECONNREFUSED;
        if (err) {
            fail(c, E_CONNECT, err, t);
            return;
        }
        on_connected(c, t);
        return;
    }
    case ST_GREETING: {
        int r = read_line(c, t, &linelen);
        if (r <= 0) return;
        consume(c, linelen);
        greeted++;
        if (opt_hold) {
            held++;
            c->state = ST_HELD;
            c->deadline = 0;
        } else {
            begin_request(c, t);
        }
        return;
    }
    case ST_SENDING:
        do_send(c, t);
        return;
    case ST_READING: {
        int r = read_line(c, t, &linelen);
        if (r == 1) on_reply(c, t, linelen);
        return;
    }
    case ST_HELD: {
        char buf[512];
        ssize_t r = read(c->fd, buf, sizeof(buf));
        if (r == 0) {
            held--;
            fail(c, E_EOF, 0, t);
        } else if (r < 0 && errno != EAGAIN && errno != EINTR) {
            int e = errno;
            held--;
            fail(c, (e == ECONNRESET || e == EPIPE) ? E_RESET : E_OTHER, e, t);
        }
        return;
    }
    default:
        return;
    }
}

/* Time out overdue requests; start idle connections that are due. */
static void scan(double t, int *opening)
{
    int open_now = 0;
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        if (c->deadline > 0 && t > c->deadline &&
            c->state != ST_IDLE && c->state != ST_DONE) {
            if (c->state == ST_CONNECTING) fail(c, E_TIMEOUT, ETIMEDOUT, t);
            else fail(c, E_TIMEOUT, 0, t);
        }
        if (c->state == ST_CONNECTING || c->state == ST_GREETING) open_now++;
    }
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        if (c->state != ST_IDLE || t < c->retry_at) continue;
        if (!opt_new_conn && open_now >= opt_open_batch) break;
        start_conn(c, t);
        if (c->state == ST_CONNECTING || c->state == ST_GREETING) open_now++;
    }
    if (opening) *opening = open_now;
}

/* CPU time in ns a process has run, from /proc/PID/schedstat (0: gone). */
static double run_ns(int pid)
{
    char path[64];
    double ns = 0;
    if (pid) snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
    else snprintf(path, sizeof(path), "/proc/self/schedstat");
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    if (fscanf(f, "%lf", &ns) != 1) ns = 0;
    fclose(f);
    return ns;
}

static double server_ns(void)
{
    double ns = 0;
    for (int i = 0; i < ncpu_pids; i++) ns += run_ns(cpu_pids[i]);
    return ns;
}

static void parse_pids(const char *list)
{
    char *copy = strdup(list), *save = NULL;
    for (char *p = strtok_r(copy, ", ", &save); p && ncpu_pids < 64;
         p = strtok_r(NULL, ", ", &save))
        if (atoi(p) > 0) cpu_pids[ncpu_pids++] = atoi(p);
    free(copy);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t pct(double p)
{
    if (nlat == 0) return 0;
    size_t i = (size_t)(p * (double)(nlat - 1) + 0.5);
    return lat[i];
}

static void print_errors(void)
{
    for (int k = 0; k < E_KINDS; k++) {
        if (!errors[k]) continue;
        printf("  %-13s %lu:", kind_names[k], errors[k]);
        for (int e = 0; e < 256; e++)
            if (err_by_errno[k][e])
                printf(" %s x%lu", e ? strerror(e) : "-", err_by_errno[k][e]);
        printf("\n");
    }
}

static unsigned long total_errors(void)
{
    unsigned long n = 0;
    for (int k = 0; k < E_KINDS; k++) n += errors[k];
    return n;
}

static void print_error_fields(void)
{
    for (int k = 0; k < E_KINDS; k++) printf(" %s=%lu", kind_names[k], errors[k]);
    printf(" errors=%lu\n", total_errors());
}

static int resolve(void)
{
    memset(&target, 0, sizeof(target));
    if (opt_unix) {
        struct sockaddr_un *un = (struct sockaddr_un *)&target;
        if (strlen(opt_unix) >= sizeof(un->sun_path)) {
            fprintf(stderr, "loadgen: --unix path too long\n");
            return -1;
        }
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, opt_unix);
        target_len = sizeof(*un);
        return 0;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai;
    char port[16];
    snprintf(port, sizeof(port), "%d", opt_port);
    int rc = getaddrinfo(opt_host, port, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "loadgen: --host %s: %s (numeric addresses only)\n",
                opt_host, gai_strerror(rc));
        return -1;
    }
    memcpy(&target, ai->ai_addr, ai->ai_addrlen);
    target_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

/* Bind port 0 on 127.0.0.1 and print the port the kernel chose. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(in);
    if (fd < 0 || bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0 ||
        getsockname(fd, (struct sockaddr *)&in, &len) < 0) {
        perror("loadgen: free port");
        return 1;
    }
    printf("%d\n", ntohs(in.sin_port));
    close(fd);
    return 0;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int parse_args(int argc, char **argv)
{
    static const struct option longs[] = {
        {"host", required_argument, 0, 'h'},
        {"port", required_argument, 0, 'p'},
        {"unix", required_argument, 0, 'u'},
        {"conns", required_argument, 0, 'c'},
        {"size", required_argument, 0, 's'},
        {"duration", required_argument, 0, 'd'},
        {"warmup", required_argument, 0, 'w'},
        {"timeout", required_argument, 0, 't'},
        {"new-conn", no_argument, 0, 'n'},
        {"hold", required_argument, 0, 'H'},
        {"hold-batch", required_argument, 0, 'B'},
        {"open-batch", required_argument, 0, 'B'},
        {"greeting", no_argument, 0, 'g'},
        {"expect-echo", no_argument, 0, 'e'},
        {"requests", required_argument, 0, 'r'},
        {"free-port", no_argument, 0, 'F'},
        {"cpu-pids", required_argument, 0, 'P'},
        {"help", no_argument, 0, '?'},
        {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (o) {
        case 'h': opt_host = optarg; break;
        case 'p': opt_port = atoi(optarg); break;
        case 'u': opt_unix = optarg; break;
        case 'c': opt_conns = atoi(optarg); break;
        case 's': opt_size = (size_t)atol(optarg); break;
        case 'd': opt_duration = atof(optarg); break;
        case 'w': opt_warmup = atof(optarg); break;
        case 't': opt_timeout = atof(optarg); break;
        case 'n': opt_new_conn = 1; break;
        case 'H': opt_hold = atol(optarg); break;
        case 'B': opt_open_batch = atoi(optarg); break;
        case 'g': opt_greeting = 1; break;
        case 'e': opt_expect_echo = 1; break;
        case 'r': opt_requests = atol(optarg); break;
        case 'F': exit(free_port());
        case 'P': parse_pids(optarg); break;
        default: usage(o == '?' ? stdout : stderr); exit(o == '?' ? 0 : 2);
        }
    }
    if (optind < argc || opt_conns < 1 || opt_size < 2 || opt_size > 1 << 20 ||
        opt_duration <= 0 || opt_warmup < 0 || opt_timeout <= 0 ||
        opt_hold < 0 || opt_open_batch < 1 || opt_requests < 0 ||
        opt_port < 1 || opt_port > 65535) {
        usage(stderr);
        return -1;
    }
    if (opt_requests && opt_warmup > 0) {
        fprintf(stderr, "loadgen: --requests counts every request; "
                        "--warmup ignored\n");
        opt_warmup = 0;
    }
    return 0;
}

static void setup_conns(void)
{
    nconns = opt_hold ? (int)opt_hold : opt_conns;
    conns = calloc((size_t)nconns, sizeof(*conns));
    if (!conns) {
        perror("calloc");
        exit(1);
    }
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->fd = -1;
        c->idx = i;
        c->state = ST_IDLE;
        c->rcap = opt_hold ? 256 : (opt_size * 2 > 512 ? opt_size * 2 : 512);
        c->rbuf = malloc(c->rcap);
        c->req = malloc(opt_size);
        if (!c->rbuf || !c->req) {
            perror("malloc");
            exit(1);
        }
    }
}

/* Does any connection still have a request under way? */
static int any_busy(void)
{
    for (int i = 0; i < nconns; i++)
        if (conns[i].state != ST_DONE && conns[i].state != ST_IDLE) return 1;
    return 0;
}

/* Wait for events and handle them, each with its own timestamp. */
static void loop_once(int wait_ms)
{
    struct epoll_event evs[512];
    int n = epoll_wait(ep, evs, 512, wait_ms);
    for (int i = 0; i < n; i++) handle(evs[i].data.ptr, evs[i].events, now());
}

static int run_hold(void)
{
    double t = now(), last_scan = 0;
    int opening = 1;
    t_begin = t;
    /* Open phase: until every conn is held or failed, or the bound. */
    while (!stop_flag && t - t_begin < opt_open_limit) {
        if (t - last_scan >= 0.005) {
            scan(t, &opening);
            last_scan = t;
            int pending = 0;
            for (int i = 0; i < nconns; i++)
                if (conns[i].state != ST_HELD && conns[i].state != ST_DONE)
                    pending = 1;
            if (!pending) break;
        }
        loop_once(5);
        t = now();
    }
    for (int i = 0; i < nconns; i++)  /* still opening at the bound */
        if (conns[i].state != ST_HELD && conns[i].state != ST_DONE)
            fail(&conns[i], E_TIMEOUT, 0, t);
    double open_s = t - t_begin;
    printf("HOLDING held=%lu greeted=%lu open_ms=%.0f\n", held, greeted,
           open_s * 1e3);
    fflush(stdout);
    double hold_end = t + opt_duration;
    while (!stop_flag && t < hold_end) {
        loop_once(50);
        t = now();
    }
    printf("hold: %ld wanted, %lu held to the end, %lu greeted, "
           "opened in %.0f ms\n", opt_hold, held, greeted, open_s * 1e3);
    print_errors();
    printf("RESULT mode=hold wanted=%ld held=%lu greeted=%lu open_ms=%.0f "
           "requests=0 rps=0 p50_us=0 p99_us=0 max_us=0",
           opt_hold, held, greeted, open_s * 1e3);
    print_error_fields();
    return (held == (unsigned long)opt_hold && total_errors() == 0) ? 0 : 1;
}

/* Persistent runs (without --requests) measure only once every connection
 * has been open: then the warm-up starts. Called each loop turn; returns
 * 1 while the run is still opening. */
static int open_phase(double t, double *open_ms)
{
    if (opened < (unsigned long)nconns && t - t_begin < opt_open_limit)
        return 1;
    *open_ms = (t - t_begin) * 1e3;
    t_measure = t + opt_warmup;
    t_end = t_measure + opt_duration;
    return 0;
}

/* Print the figures of a load run over [t_measure, t) (at most t_end). */
static void report_load(double t, double srv_us, double self_us,
                        double open_ms)
{
    double span = (t < t_end ? t : t_end) - t_measure;
    if (span <= 0) span = 1e-9;
    double srv_per_req = requests ? srv_us / (double)requests : 0;
    qsort(lat, nlat, sizeof(*lat), cmp_u32);
    double rps = (double)requests / span;
    const char *mode = opt_new_conn ? "new-conn" : "persistent";
    printf("%s: %d conns (opened in %.0f ms), %zu-byte lines, %.2f s "
           "measured after %.2f s warm-up%s\n", mode, opt_conns, open_ms,
           opt_size, span, opt_warmup, stop_flag ? " (stopped early)" : "");
    printf("requests %lu  rps %.0f  latency us p50 %u p90 %u p99 %u max %u\n",
           requests, rps, pct(0.50), pct(0.90), pct(0.99),
           nlat ? lat[nlat - 1] : 0);
    printf("connects %lu  errors %lu (counted over warm-up too)\n", connects,
           total_errors());
    printf("CPU: loadgen %.0f%% of a core", self_us / span / 1e4);
    if (ncpu_pids)
        printf("; server (%d processes) %.0f%% of a core, %.2f us per request",
               ncpu_pids, srv_us / span / 1e4, srv_per_req);
    printf("\n");
    print_errors();
    printf("RESULT mode=%s conns=%d size=%zu seconds=%.3f requests=%lu "
           "rps=%.0f p50_us=%u p90_us=%u p99_us=%u max_us=%u connects=%lu "
           "open_ms=%.0f", mode, opt_conns, opt_size, span, requests, rps,
           pct(0.50), pct(0.90), pct(0.99), nlat ? lat[nlat - 1] : 0,
           connects, open_ms);
    printf(" loadgen_cpu_pct=%.0f", self_us / span / 1e4);
    if (ncpu_pids)
        printf(" server_cpu_pct=%.0f server_cpu_us_per_req=%.2f",
               srv_us / span / 1e4, srv_per_req);
    print_error_fields();
}

static int run_load(void)
{
    double t = now(), last_scan = -1, open_ms = 0;
    int opening = !opt_new_conn && !opt_requests;
    t_begin = t;
    t_measure = opening ? 1e300 : t + opt_warmup;
    t_end = t_measure + opt_duration;
    double srv0 = 0, self0 = 0;
    int sampled = 0;
    while (!stop_flag && t < t_end) {
        if (opening) opening = open_phase(t, &open_ms);
        if (!sampled && t >= t_measure) {
            srv0 = server_ns();
            self0 = run_ns(0);
            sampled = 1;
        }
        if (t - last_scan >= (opening ? 0.005 : 0.02)) {
            scan(t, NULL);
            last_scan = t;
            if (opt_requests && issued >= (unsigned long)opt_requests &&
                !any_busy())
                break;
        }
        loop_once(opening ? 5 : 10);
        t = now();
    }
    double srv_us = sampled ? (server_ns() - srv0) / 1e3 : 0;
    double self_us = sampled ? (run_ns(0) - self0) / 1e3 : 0;
    report_load(t, srv_us, self_us, open_ms);
    return 0;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) < 0) return 2;
    if (resolve() < 0) return 2;
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("epoll_create1");
        return 1;
    }
    setup_conns();
    return opt_hold ? run_hold() : run_load();
}
