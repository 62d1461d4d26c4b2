/* The TLS set-up's error messages, shared by tls.c and tls_generate.c. */
#ifndef ATTACHE_TLS_ERROR_H
#define ATTACHE_TLS_ERROR_H

#include <stddef.h>

/* A one-line message into err (errlen may be 0); control characters "?". */
void	tls_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The OpenSSL reason for the failure just seen, for a message; empties
 * the error queue.
 */
const char *tls_ssl_reason(char *buf, size_t bufsz);

#endif
