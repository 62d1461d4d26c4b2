/* The self-signed pair made on a site's first start (for tls.c). */
#ifndef ATTACHE_TLS_GENERATE_H
#define ATTACHE_TLS_GENERATE_H

#include <stddef.h>

/*
 * Creates certdir if needed, then a new key and self-signed certificate
 * for host and its aliases at key and crt.  On failure, removes whatever
 * it created and returns -1 with err.
 */
int	tls_generate_pair(const char *certdir, const char *host,
	    const char *const *aliases, size_t naliases, const char *crt,
	    const char *key, char *err, size_t errlen);

#endif
