/* Worker threads: one event loop each, sharing the ports (SO_REUSEPORT). */
#ifndef ATTACHE_WORKERS_H
#define ATTACHE_WORKERS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "config.h"

struct workers;

/* How many workers cfg asks for: --workers, or one per online CPU. */
int		 workers_count(const struct config *cfg);

/*
 * Starts n workers, each with its own event base and listeners.  Returns
 * them running, or NULL with err saying why (nothing left running).
 * evthread_use_pthreads() must have been called.
 */
struct workers	*workers_start(const struct config *cfg, SSL_CTX *tls, int n,
		    char *err, size_t errlen);

/* Asks every worker to stop, waits for them, frees everything. */
void		 workers_stop(struct workers *w);

#endif
