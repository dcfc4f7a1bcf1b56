/* sock_tls.h: TLS on an outgoing socket (sock:sslhandshake): the client
 * side of a handshake, with SNI and, when asked, the peer verified
 * against the system's certificate authorities and the name; then reads
 * and writes through OpenSSL with recv's and send's conventions. */
#ifndef TINE_SOCK_TLS_H
#define TINE_SOCK_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct sock;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_session_st SSL_SESSION;

/* The client context for outgoing handshakes (the system's CA store); NULL
 * if OpenSSL cannot make one. */
SSL_CTX *sock_tls_context(void);

/* Start a handshake on s's connected descriptor: SNI server_name (NULL:
 * none), checking the certificate and the name when verify, resuming
 * reuse if given. 0, or -1 if OpenSSL could not make the session. */
int sock_tls_begin(struct sock *s, SSL_CTX *ctx, const char *server_name,
                   int verify, SSL_SESSION *reuse);

/* Go on with the handshake: 1 done, 0 to wait (s->tls_wants_write says
 * for what), -1 failed (s->tls_error says why, in OpenResty's words). */
int sock_tls_step(struct sock *s);

/* Read or write through TLS: bytes, 0 at the peer's end (read), or -1
 * with errno (EAGAIN: wait; s->tls_wants_write says for what). */
ssize_t sock_tls_read(struct sock *s, void *buf, size_t len);
ssize_t sock_tls_write(struct sock *s, const void *buf, size_t len);

/* The session now, for a later handshake to resume (the caller frees it
 * with SSL_SESSION_free); NULL if there is none. */
SSL_SESSION *sock_tls_session(struct sock *s);

/* Free s's TLS state (no close_notify wait). */
void sock_tls_end(struct sock *s);

#endif
