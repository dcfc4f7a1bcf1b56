/* channel.c: encode, decode, send and receive channel messages. */
#include "channel.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#define MAGIC0 'T'
#define MAGIC1 'n'
#define VERSION 1

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

size_t channel_encode(const struct channel_msg *m, unsigned char *buf)
{
    uint32_t text_len = m->type == MSG_FAILED ? m->text_len : 0;
    if (text_len > CHANNEL_TEXT_MAX) text_len = CHANNEL_TEXT_MAX;
    buf[0] = MAGIC0;
    buf[1] = MAGIC1;
    buf[2] = VERSION;
    buf[3] = (unsigned char)m->type;
    put32(buf + 4, m->conns);
    put64(buf + 8, m->accepted);
    put32(buf + 16, m->lua_kb);
    put32(buf + 20, text_len);
    memcpy(buf + CHANNEL_HEADER_SIZE, m->text, text_len);
    return CHANNEL_HEADER_SIZE + text_len;
}

static int valid_type(unsigned t)
{
    return (t >= MSG_READY && t <= MSG_FAILED) ||
           (t >= MSG_PAUSE && t < MSG_TYPE_END);
}

int channel_decode(const unsigned char *buf, size_t len,
                   struct channel_msg *out)
{
    if (len < CHANNEL_HEADER_SIZE || len > CHANNEL_MSG_MAX) return -1;
    if (buf[0] != MAGIC0 || buf[1] != MAGIC1 || buf[2] != VERSION) return -1;
    if (!valid_type(buf[3])) return -1;
    uint32_t text_len = get32(buf + 20);
    if (text_len != len - CHANNEL_HEADER_SIZE) return -1;
    if (text_len > 0 && buf[3] != MSG_FAILED) return -1;
    out->type = (enum channel_type)buf[3];
    out->conns = get32(buf + 4);
    out->accepted = get64(buf + 8);
    out->lua_kb = get32(buf + 16);
    out->text_len = text_len;
    memcpy(out->text, buf + CHANNEL_HEADER_SIZE, text_len);
    out->text[text_len] = '\0';
    return 0;
}

const char *channel_type_name(enum channel_type type)
{
    static const char *const names[] = {
        [MSG_READY] = "READY", [MSG_HEARTBEAT] = "HEARTBEAT",
        [MSG_SHUTDOWN_SERVER] = "SHUTDOWN_SERVER",
        [MSG_RECYCLE_ME] = "RECYCLE_ME",
        [MSG_FAILED] = "FAILED", [MSG_PAUSE] = "PAUSE",
        [MSG_RESUME] = "RESUME", [MSG_STOP] = "STOP",
        [MSG_LOG_FILE] = "LOG_FILE", [MSG_ACCESS_LOG] = "ACCESS_LOG"};
    if (type <= 0 || type >= MSG_TYPE_END || !names[type]) return "?";
    return names[type];
}

int channel_send(int fd, const struct channel_msg *m)
{
    unsigned char buf[CHANNEL_MSG_MAX];
    size_t len = channel_encode(m, buf);
    return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int channel_send_type(int fd, enum channel_type type)
{
    struct channel_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    return channel_send(fd, &m);
}

int channel_send_fd(int fd, enum channel_type type, int passfd)
{
    struct channel_msg m;
    unsigned char buf[CHANNEL_MSG_MAX];
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&m, 0, sizeof(m));
    m.type = type;
    struct iovec iov = {buf, channel_encode(&m, buf)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control.space,
                         .msg_controllen = sizeof(control.space)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &passfd, sizeof(int));
    return sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* The descriptor msg carries, if any (any extra ones are closed). */
static int passed_fd(struct msghdr *msg)
{
    int got = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (got < 0) got = fd;
            else close(fd);
        }
    }
    return got;
}

int channel_recv(int fd, struct channel_msg *out)
{
    unsigned char buf[CHANNEL_MSG_MAX + 1];
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int) * 4)];
    } control;
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control.space,
                         .msg_controllen = sizeof(control.space)};
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK ||
                       errno == EINTR) ? 0 : -1;
    if (n == 0) return -1;
    int passed = passed_fd(&msg);
    if (channel_decode(buf, (size_t)n, out) < 0) {
        if (passed >= 0) close(passed);
        return -2;
    }
    out->passed_fd = passed;
    return 1;
}
