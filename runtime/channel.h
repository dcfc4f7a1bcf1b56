/* channel.h: messages between the master and one child, one per datagram
 * on a SOCK_SEQPACKET socketpair. Fixed little-endian layout; the decoder
 * trusts nothing it reads. */
#ifndef TINE_CHANNEL_H
#define TINE_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

enum channel_type {
    /* child -> master */
    MSG_READY = 1,          /* loaded, ChildStart done, accepting */
    MSG_HEARTBEAT,          /* alive; carries counts */
    MSG_SHUTDOWN_SERVER,    /* tine.shutdown() */
    MSG_RECYCLE_ME,         /* tine.recycle(), TERM/INT to the child, or
                             * MaxServerLifeTimes reached */
    MSG_FAILED,             /* could not start; text holds the error */
    /* master -> child */
    MSG_PAUSE = 16,         /* stop accepting */
    MSG_RESUME,             /* accept again */
    MSG_STOP,               /* stop gracefully */
    MSG_LOG_FILE,           /* the reopened LogFile's descriptor rides
                             * with it: log there from now on */
    MSG_ACCESS_LOG,         /* the same for AccessLog */
    MSG_TYPE_END
};

#define CHANNEL_HEADER_SIZE 24
#define CHANNEL_TEXT_MAX 1000
#define CHANNEL_MSG_MAX (CHANNEL_HEADER_SIZE + CHANNEL_TEXT_MAX)

struct channel_msg {
    enum channel_type type;
    uint32_t conns;        /* open connections */
    uint64_t accepted;     /* connections accepted since start */
    uint32_t lua_kb;       /* Lua heap in KiB */
    uint32_t text_len;     /* MSG_FAILED only */
    char text[CHANNEL_TEXT_MAX + 1];
    int passed_fd;         /* a descriptor that came with it, or -1 */
};

/* Encode m into buf (CHANNEL_MSG_MAX bytes); returns the datagram length. */
size_t channel_encode(const struct channel_msg *m, unsigned char *buf);

/* Decode one datagram; 0, or -1 if it is not a well-formed message. */
int channel_decode(const unsigned char *buf, size_t len,
                   struct channel_msg *out);

/* The name of a message type, for the log. */
const char *channel_type_name(enum channel_type type);

/* Send m on fd without blocking; 0, or -1 with errno. */
int channel_send(int fd, const struct channel_msg *m);

/* Send a message with no payload. */
int channel_send_type(int fd, enum channel_type type);

/* Send a message with no payload and descriptor passfd with it (the
 * receiver gets its own copy, close-on-exec). 0, or -1 with errno. */
int channel_send_fd(int fd, enum channel_type type, int passfd);

/* Receive one message: 1 got one, 0 nothing waiting, -1 the peer is gone
 * or the socket failed, -2 a malformed datagram arrived. A descriptor
 * sent with it is in out->passed_fd (the caller's to close), else -1. */
int channel_recv(int fd, struct channel_msg *out);

/* Exit statuses a child uses, so the master can tell why it ended: part
 * of what the two sides share, like the messages. */
enum child_exit {
    CHILD_EXIT_OK = 0,
    CHILD_EXIT_START_FAILED = 3,   /* script load or ChildStart failed */
    CHILD_EXIT_ORPHANED = 4        /* the master went away */
};

#endif
