/* master_tls.c: the master's side of TLS. It reads the certificate and
 * key and builds the context before forking, so children that drop
 * privileges need no access to the key; children inherit it. Ticket keys
 * live in shared memory, so a session resumes on any child; each reload
 * rotates them (the previous set still decrypts) and builds the context
 * anew, keeping the running one if the new pair is bad. */
#include <stdio.h>

#include "log.h"
#include "master_int.h"
#include "tine_err.h"
#include "tls.h"

/* Does any listener speak TLS? */
static int wants_tls(const struct master *m)
{
    for (int i = 0; i < m->nlisteners; i++)
        if (m->listeners[i].tls) return 1;
    return 0;
}

/* A context for settings s; NULL and err. */
static SSL_CTX *context_for(struct master *m, const struct settings *s,
                            char *err, size_t errlen)
{
    return tls_context_new(s->tls_certificate, s->tls_key, s->tls_protocols,
                           s->filter == FILTER_HTTP, m->tls_keys, err,
                           errlen);
}

int master_tls_open(struct master *m, char *err, size_t errlen)
{
    if (!wants_tls(m)) return 0;
    m->tls_keys = tls_keys_create(err, errlen);
    if (!m->tls_keys) return -1;
    m->tls = context_for(m, &m->s, err, errlen);
    return m->tls ? 0 : -1;
}

void master_tls_reload(struct master *m, const struct settings *fresh)
{
    char err[TINE_ERR_MAX];
    if (!m->tls) return;
    if (tls_keys_rotate(m->tls_keys, err, sizeof(err)) < 0)
        log_error("reload: %s; the ticket keys stay", err);
    SSL_CTX *next = context_for(m, fresh, err, sizeof(err));
    if (!next) {
        log_error("reload: %s; the running certificate and key stay", err);
        return;
    }
    tls_context_free(m->tls);
    m->tls = next;
}

void master_tls_close(struct master *m)
{
    tls_context_free(m->tls);
    m->tls = NULL;
}
