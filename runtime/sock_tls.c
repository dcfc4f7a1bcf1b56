/* sock_tls.c: see sock_tls.h. */
#include "sock_tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#include "sock.h"

SSL_CTX *sock_tls_context(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_default_verify_paths(ctx);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
    return ctx;
}

int sock_tls_begin(struct sock *s, SSL_CTX *ctx, const char *server_name,
                   int verify, SSL_SESSION *reuse)
{
    sock_tls_end(s);
    s->tls = SSL_new(ctx);
    if (!s->tls || SSL_set_fd(s->tls, s->fd) != 1) {
        sock_tls_end(s);
        return -1;
    }
    SSL_set_connect_state(s->tls);
    SSL_set_mode(s->tls, SSL_MODE_ENABLE_PARTIAL_WRITE |
                             SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (server_name) {
        SSL_set_tlsext_host_name(s->tls, server_name);
        if (verify) SSL_set1_host(s->tls, server_name);
    }
    SSL_set_verify(s->tls, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    if (reuse) SSL_set_session(s->tls, reuse);
    return 0;
}

/* Map OpenSSL's answer rc: EAGAIN (and what to wait for), 0 for the
 * peer's end, or EPROTO. */
static int outcome(struct sock *s, int rc)
{
    int e = SSL_get_error(s->tls, rc);
    s->tls_wants_write = e == SSL_ERROR_WANT_WRITE;
    if (e == SSL_ERROR_WANT_READ) s->unread = 0;  /* it read to EAGAIN */
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return EAGAIN;
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    ERR_clear_error();
    return EPROTO;
}

int sock_tls_step(struct sock *s)
{
    int rc = SSL_do_handshake(s->tls);
    if (rc == 1) return 1;
    long verdict = SSL_get_verify_result(s->tls);
    if (outcome(s, rc) == EAGAIN) return 0;
    if (verdict != X509_V_OK)
        snprintf(s->tls_error, sizeof(s->tls_error), "%ld: %s", verdict,
                 X509_verify_cert_error_string(verdict));
    else
        snprintf(s->tls_error, sizeof(s->tls_error), "handshake failed");
    return -1;
}

ssize_t sock_tls_read(struct sock *s, void *buf, size_t len)
{
    int n = SSL_read(s->tls, buf, (int)len);
    if (n > 0) return n;
    int e = outcome(s, n);
    if (e == 0) return 0;
    errno = e;
    return -1;
}

ssize_t sock_tls_write(struct sock *s, const void *buf, size_t len)
{
    int n = SSL_write(s->tls, buf, (int)len);
    if (n > 0) return n;
    int e = outcome(s, n);
    errno = e ? e : EPIPE;
    return -1;
}

SSL_SESSION *sock_tls_session(struct sock *s)
{
    return s->tls ? SSL_get1_session(s->tls) : NULL;
}

void sock_tls_end(struct sock *s)
{
    if (!s->tls) return;
    SSL_free(s->tls);
    ERR_clear_error();
    s->tls = NULL;
}
