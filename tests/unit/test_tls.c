/* test_tls.c: server contexts from PEM files made by the openssl command,
 * and session tickets that resume on another context (another child)
 * sharing the keys, across one key rotation but not two. */
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_util.h"
#include "tls.h"

static char dir[] = "/tmp/tine-test-tls-XXXXXX";
static char cert[128], key[128], other_key[128];
static char ca[128], leaf[128], leaf_key[128];

static int setup(void **state)
{
    char cmd[1024];
    (void)state;
    if (!mkdtemp(dir)) return -1;
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(other_key, sizeof(other_key), "%s/other.pem", dir);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    snprintf(leaf, sizeof(leaf), "%s/leaf.pem", dir);
    snprintf(leaf_key, sizeof(leaf_key), "%s/leaf-key.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "cd %s && openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem -out ca.pem "
             "-days 1 -subj /CN=ca >/dev/null 2>&1 && openssl req -newkey ec "
             "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf-key.pem "
             "-subj /CN=localhost 2>/dev/null | openssl x509 -req -CA ca.pem "
             "-CAkey ca-key.pem -CAcreateserial -days 1 -out leaf.pem "
             ">/dev/null 2>&1", dir);
    if (system(cmd) != 0) return -1;
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -keyout %s -out %s -days 1 -subj /CN=localhost "
             ">/dev/null 2>&1 && openssl genpkey -algorithm EC -pkeyopt "
             "ec_paramgen_curve:P-256 -out %s >/dev/null 2>&1",
             key, cert, other_key);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[256];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* How many certificates the server sent in the last handshake(). */
static int peer_chain_len;

/* A handshake between a client (offering session `resume`, if any) and a
 * server on ctx, over a socketpair; the client's session after it, and
 * whether it was resumed. */
static SSL_SESSION *handshake(SSL_CTX *ctx, SSL_SESSION *resume, int *reused)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL *c = SSL_new(cctx), *s = SSL_new(ctx);
    SSL_set_fd(c, sv[0]);
    SSL_set_fd(s, sv[1]);
    if (resume) SSL_set_session(c, resume);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    int cd = 0, sd = 0;
    for (int i = 0; i < 100 && (cd != 1 || sd != 1); i++) {
        if (cd != 1) cd = SSL_do_handshake(c);
        if (sd != 1) sd = SSL_do_handshake(s);
    }
    assert_int_equal(cd, 1);
    assert_int_equal(sd, 1);
    /* TLS 1.3 sends the ticket after the handshake: let it arrive. */
    char byte;
    assert_int_equal(SSL_write(s, "x", 1), 1);
    int got = 0;
    for (int i = 0; i < 100 && got != 1; i++) got = SSL_read(c, &byte, 1);
    assert_int_equal(got, 1);
    *reused = SSL_session_reused(c);
    peer_chain_len = sk_X509_num(SSL_get_peer_cert_chain(c));
    SSL_SESSION *session = SSL_get1_session(c);
    SSL_shutdown(c);  /* freed without it, the session is marked bad */
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    close(sv[0]);
    close(sv[1]);
    return session;
}

/* A matching pair makes a context; a key that does not match, a missing
 * file and unknown protocols are refused, naming the setting. */
static void test_context_errors(void **state)
{
    char err[512];
    (void)state;
    SSL_CTX *ctx = tls_context_new(cert, key, "TLSv1.2 TLSv1.3", 0, NULL,
                                   err, sizeof(err));
    assert_non_null(ctx);
    tls_context_free(ctx);
    assert_null(tls_context_new(cert, other_key, "TLSv1.3", 0, NULL, err,
                                sizeof(err)));
    assert_contains(err, "TLSKey: ");
    assert_contains(err, "key values mismatch");
    assert_null(tls_context_new("/nonexistent.pem", key, "TLSv1.3", 0, NULL,
                                err, sizeof(err)));
    assert_contains(err, "TLSCertificate: cannot use /nonexistent.pem");
    assert_null(tls_context_new(cert, key, "SSLv3", 0, NULL, err,
                                sizeof(err)));
    assert_contains(err, "TLSProtocols");
}

/* A ticket from one child resumes on another; after one rotation still,
 * after two no longer. */
static void test_tickets_shared_and_rotated(void **state)
{
    char err[512];
    int reused;
    (void)state;
    struct tls_keys *keys = tls_keys_create(err, sizeof(err));
    assert_non_null(keys);
    SSL_CTX *a = tls_context_new(cert, key, "TLSv1.2 TLSv1.3", 0, keys, err,
                                 sizeof(err));
    SSL_CTX *b = tls_context_new(cert, key, "TLSv1.2 TLSv1.3", 0, keys, err,
                                 sizeof(err));
    SSL_SESSION *first = handshake(a, NULL, &reused);
    assert_false(reused);
    SSL_SESSION *again = handshake(b, first, &reused);
    assert_true(reused);
    assert_int_equal(tls_keys_rotate(keys, err, sizeof(err)), 0);
    SSL_SESSION *after_one = handshake(b, first, &reused);
    assert_true(reused);
    assert_int_equal(tls_keys_rotate(keys, err, sizeof(err)), 0);
    SSL_SESSION *after_two = handshake(a, first, &reused);
    assert_false(reused);
    SSL_SESSION_free(first);
    SSL_SESSION_free(again);
    SSL_SESSION_free(after_one);
    SSL_SESSION_free(after_two);
    tls_context_free(a);
    tls_context_free(b);
}

/* The server sends the chain its file holds and no more: with the issuer
 * in the context's store, a file holding the leaf alone still sends the
 * leaf alone (OpenSSL would otherwise build a chain on every handshake). */
static void test_chain_is_the_file(void **state)
{
    char err[512];
    int reused;
    (void)state;
    SSL_CTX *ctx = tls_context_new(leaf, leaf_key, "TLSv1.3", 0, NULL, err,
                                   sizeof(err));
    assert_non_null(ctx);
    FILE *f = fopen(ca, "r");
    assert_non_null(f);
    X509 *issuer = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(issuer);
    assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), issuer),
                     1);
    X509_free(issuer);
    SSL_SESSION *session = handshake(ctx, NULL, &reused);
    assert_int_equal(peer_chain_len, 1);
    SSL_SESSION_free(session);
    tls_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_errors),
        cmocka_unit_test(test_tickets_shared_and_rotated),
        cmocka_unit_test(test_chain_is_the_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
