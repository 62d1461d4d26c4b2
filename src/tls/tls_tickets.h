/*
 * The keys that seal session tickets (TLS 1.3 and 1.2 resumption), made
 * at random in the server process, held in memory only, never written
 * anywhere, and shared by every context of the process (so a reload that
 * stays in the process keeps them).  They rotate: tls_tickets_rotate makes
 * a new key, which seals from then on; the one before it still opens the
 * tickets it sealed (and such a resumption gets a new ticket); the one
 * before that is wiped, and its tickets make full handshakes.  Rotated
 * every TLS_TICKET_ROTATE_SEC, a ticket opens for one to two periods.
 */
#ifndef ATTACHE_TLS_TICKETS_H
#define ATTACHE_TLS_TICKETS_H

#include <openssl/ssl.h>

#define TLS_TICKET_ROTATE_SEC	(60 * 60)

struct tls_tickets;

/* A store with one key.  NULL when out of memory or randomness. */
struct tls_tickets *tls_tickets_new(void);
/* Wipes and frees it: no context may use it any more. */
void	tls_tickets_free(struct tls_tickets *t);

/* A new sealing key; the last one only opens.  0, or -1 (nothing changed). */
int	tls_tickets_rotate(struct tls_tickets *t);

/* ctx seals and opens its tickets with t's keys.  0, or -1. */
int	tls_tickets_use(SSL_CTX *ctx, struct tls_tickets *t);

/*
 * Whether the ticket ssl resumes with was opened by the key before the
 * current one (it is then to be renewed).  1 or 0.
 */
int	tls_tickets_old(SSL *ssl);

#endif
