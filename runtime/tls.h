/* tls.h: TLS for listeners. The master reads the certificate and key and
 * builds the context before forking (a child that drops privileges needs
 * no access to the key file) and again on reload. Session tickets are
 * encrypted with keys the master makes in shared memory, so a session
 * resumes on any child; a reload rotates them, the previous keys still
 * accepted. */
#ifndef TINE_TLS_H
#define TINE_TLS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ssl_ctx_st SSL_CTX;

/* One set of ticket keys: its name (sent in the ticket), then the AES and
 * HMAC keys. */
struct tls_ticket_key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
};

/* The shared keys: the current set encrypts new tickets, the previous one
 * still decrypts. Written by the master only. */
struct tls_keys {
    volatile uint32_t current;      /* index of the current set in sets */
    struct tls_ticket_key sets[2];
};

/* Map the shared key store and fill it with a fresh current set. NULL and
 * err if it cannot be made. */
struct tls_keys *tls_keys_create(char *err, size_t errlen);

/* Make a fresh current set; the one current until now becomes the
 * previous. 0, or -1 and err. */
int tls_keys_rotate(struct tls_keys *keys, char *err, size_t errlen);

/* A server context for cert and key (PEM files), offering the protocols
 * in `protocols` ("TLSv1.2 TLSv1.3"), ALPN "http/1.1" if alpn_http, and
 * tickets from keys. NULL and err ("TLSKey: ...: why") if the files cannot
 * be read or do not match. */
SSL_CTX *tls_context_new(const char *cert, const char *key,
                         const char *protocols, int alpn_http,
                         struct tls_keys *keys, char *err, size_t errlen);

/* Free a context made by tls_context_new (NULL is fine). */
void tls_context_free(SSL_CTX *ctx);

#endif
