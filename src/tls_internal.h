/* What tls.c, tls_generate.c and tls_error.c share, and no one else uses. */
#ifndef ATTACHE_TLS_INTERNAL_H
#define ATTACHE_TLS_INTERNAL_H

#include <stddef.h>

/* A one-line message into err (errlen may be 0); control characters "?". */
void	tls_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The OpenSSL reason for the failure just seen, for a message; empties
 * the error queue.
 */
const char *tls_ssl_reason(char *buf, size_t bufsz);

/*
 * Creates certdir if needed, then a new key and self-signed certificate
 * for host and its aliases at key and crt.  On failure, removes whatever
 * it created and returns -1 with err.
 */
int	tls_generate_pair(const char *certdir, const char *host,
	    const char *const *aliases, size_t naliases, const char *crt,
	    const char *key, char *err, size_t errlen);

#endif
