/* tls.c: OpenSSL 3 server contexts and shared session-ticket keys. */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* The keys a context's ticket callback uses: one store per process, set
 * by tls_context_new (every context shares the master's store). */
static struct tls_keys *ticket_keys;

/* The tickets' cipher, fetched once by tls_context_new: EVP_aes_256_cbc()
 * would make OpenSSL 3 look it up by name on every ticket. */
static EVP_CIPHER *ticket_cipher;

/* Put OpenSSL's last error (or `what` alone) into err. */
static void ssl_error(const char *what, char *err, size_t errlen)
{
    unsigned long e = ERR_get_error();
    char why[256] = "";
    if (e) ERR_error_string_n(e, why, sizeof(why));
    snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", why);
    ERR_clear_error();
}

/* Fill one set with random bytes. */
static int fresh_set(struct tls_ticket_key *k)
{
    return RAND_bytes((unsigned char *)k, (int)sizeof(*k)) == 1 ? 0 : -1;
}

struct tls_keys *tls_keys_create(char *err, size_t errlen)
{
    struct tls_keys *keys = mmap(NULL, sizeof(*keys), PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (keys == MAP_FAILED) {
        snprintf(err, errlen, "mmap() failed for the TLS ticket keys");
        return NULL;
    }
    if (fresh_set(&keys->sets[0]) < 0 || fresh_set(&keys->sets[1]) < 0) {
        ssl_error("RAND_bytes() failed for the TLS ticket keys", err, errlen);
        munmap(keys, sizeof(*keys));
        return NULL;
    }
    keys->current = 0;
    return keys;
}

int tls_keys_rotate(struct tls_keys *keys, char *err, size_t errlen)
{
    uint32_t next = keys->current ^ 1;
    if (fresh_set(&keys->sets[next]) < 0) {
        ssl_error("RAND_bytes() failed for the TLS ticket keys", err, errlen);
        return -1;
    }
    __atomic_store_n(&keys->current, next, __ATOMIC_RELEASE);
    return 0;
}

/* Set the cipher and MAC of a ticket for key set k. */
static int use_key(const struct tls_ticket_key *k, unsigned char *iv,
                   EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int enc)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
                                          (void *)k->hmac, sizeof(k->hmac)),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "sha256", 0),
        OSSL_PARAM_construct_end()};
    if (EVP_CipherInit_ex(cipher, ticket_cipher, NULL, k->aes, iv, enc) !=
            1 ||
        EVP_MAC_CTX_set_params(mac, params) != 1)
        return -1;
    return 0;
}

/* OpenSSL's ticket callback: encrypt with the current set; decrypt with
 * the set the ticket names. A ticket that decrypts is always renewed (2):
 * under TLS 1.3 a resumed handshake otherwise hands out no new ticket, and
 * a client that keeps its last session (wrk, for one) then makes every
 * other handshake a full one. */
static int on_ticket(SSL *ssl, unsigned char *name, unsigned char *iv,
                     EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int enc)
{
    uint32_t cur = __atomic_load_n(&ticket_keys->current, __ATOMIC_ACQUIRE);
    const struct tls_ticket_key *now = &ticket_keys->sets[cur];
    const struct tls_ticket_key *before = &ticket_keys->sets[cur ^ 1];
    (void)ssl;
    if (enc) {
        if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
        memcpy(name, now->name, sizeof(now->name));
        return use_key(now, iv, cipher, mac, 1) < 0 ? -1 : 1;
    }
    if (memcmp(name, now->name, sizeof(now->name)) == 0)
        return use_key(now, iv, cipher, mac, 0) < 0 ? -1 : 2;
    if (memcmp(name, before->name, sizeof(before->name)) == 0)
        return use_key(before, iv, cipher, mac, 0) < 0 ? -1 : 2;
    return 0;  /* unknown key: a full handshake */
}

/* ALPN: choose "http/1.1" if the client offers it. */
static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char http11[] = "\x08http/1.1";
    (void)ssl;
    (void)arg;
    if (SSL_select_next_proto((unsigned char **)out, outlen, http11,
                              sizeof(http11) - 1, in, inlen) ==
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_OK;
    return SSL_TLSEXT_ERR_NOACK;
}

/* Limit ctx to the protocols named in text; -1 for an unknown name. */
static int set_protocols(SSL_CTX *ctx, const char *text)
{
    static const struct { const char *name; int version; } known[] = {
        {"TLSv1.2", TLS1_2_VERSION}, {"TLSv1.3", TLS1_3_VERSION}};
    int lo = 0, hi = 0;
    char buf[128], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", text);
    for (char *w = strtok_r(buf, " ,", &save); w;
         w = strtok_r(NULL, " ,", &save)) {
        int v = 0;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (strcmp(w, known[i].name) == 0) v = known[i].version;
        if (!v) return -1;
        if (!lo || v < lo) lo = v;
        if (v > hi) hi = v;
    }
    if (!lo) return -1;
    SSL_CTX_set_min_proto_version(ctx, lo);
    SSL_CTX_set_max_proto_version(ctx, hi);
    return 0;
}

SSL_CTX *tls_context_new(const char *cert, const char *key,
                         const char *protocols, int alpn_http,
                         struct tls_keys *keys, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ssl_error("SSL_CTX_new() failed", err, errlen);
        return NULL;
    }
    char what[600];
    snprintf(what, sizeof(what), "TLSCertificate: cannot use %s", cert);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) goto fail;
    snprintf(what, sizeof(what), "TLSKey: cannot use %s", key);
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        goto fail;
    snprintf(what, sizeof(what), "TLSKey: %s does not match %s", key, cert);
    if (SSL_CTX_check_private_key(ctx) != 1) goto fail;
    snprintf(what, sizeof(what), "TLSProtocols: \"%s\" names no protocol "
             "offered (TLSv1.2, TLSv1.3)", protocols);
    if (set_protocols(ctx, protocols) < 0) goto fail;
    /* read whole records in one read(): conn_tls_read drains them */
    SSL_CTX_set_read_ahead(ctx, 1);
    /* NO_AUTO_CHAIN: the chain is the file's; else a file holding only
     * the leaf has OpenSSL try to build one from the (empty) store on
     * every full handshake */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS |
                              SSL_MODE_NO_AUTO_CHAIN);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 1);
    snprintf(what, sizeof(what), "TLS: no AES-256-CBC for session tickets");
    if (keys && !ticket_cipher &&
        !(ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL)))
        goto fail;
    if (keys) {
        ticket_keys = keys;
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket);
    }
    if (alpn_http) SSL_CTX_set_alpn_select_cb(ctx, on_alpn, NULL);
    return ctx;
fail:
    ssl_error(what, err, errlen);
    SSL_CTX_free(ctx);
    return NULL;
}

void tls_context_free(SSL_CTX *ctx) { SSL_CTX_free(ctx); }
