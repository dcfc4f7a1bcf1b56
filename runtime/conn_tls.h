/* conn_tls.h: TLS on a client connection of a TLS listener. The
 * connection's buffers stay plain text; these functions move bytes
 * between them and the socket through OpenSSL, with recv's and write's
 * conventions, so the connection's reading and sending (conn.c,
 * conn_output.c) treat both kinds alike. */
#ifndef TINE_CONN_TLS_H
#define TINE_CONN_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct bytebuf;
struct conn;
typedef struct ssl_ctx_st SSL_CTX;

/* Make c speak TLS (the server side) on socket fd with ctx. 0, or -1 if
 * OpenSSL could not make the session (c stays plain and is to be closed). */
int conn_tls_start(struct conn *c, SSL_CTX *ctx, int fd);

/* Read what the peer sent into buf, decrypted, up to cap bytes: the
 * number of bytes, 0 at the peer's end (close_notify or EOF), or -1 with
 * errno: EAGAIN to wait (the read event fires again when there is more),
 * EPROTO for a TLS failure (a plain-text client, say). */
ssize_t conn_tls_read(struct conn *c, char *buf, size_t cap);

/* Write out's bytes, encrypted, consuming what went out: the number of
 * bytes, or -1 with errno. EAGAIN: the rest waits for the connection's
 * write event (which then also retries a read that needed the socket
 * writable), or, with tls_write_blocked set, for the client's next bytes
 * (a handshake not finished yet: waiting for writable would spin). */
ssize_t conn_tls_write(struct conn *c, struct bytebuf *out);

/* Say goodbye (close_notify, without waiting) and free the session. */
void conn_tls_end(struct conn *c);

#endif
