/*
 * The error messages of the TLS set-up (tls.c) and of the certificate
 * generation (tls_generate.c): below both, so that neither calls the other
 * for them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "tls_error.h"

void
tls_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* A truncated reason is still a useful one; a failed one is not. */
	if (n < 0) {
		(void)snprintf(err, errlen, "TLS set-up failed");
		return;
	}
	/* Paths come from the operator: keep the message on one line. */
	for (p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/*
 * The OpenSSL reason for the failure just seen, for a message, and empties
 * the error queue so that nothing stale is blamed later.  The earliest error
 * is the cause (later ones are the callers' "PEM lib" and the like), but
 * OpenSSL 3 decoders queue speculative "unsupported" entries first, so those
 * are passed over while anything better follows.
 */
const char *
tls_ssl_reason(char *buf, size_t bufsz)
{
	unsigned long	 e, pick = 0;
	const char	*r;

	while ((e = ERR_get_error()) != 0) {
		if (pick == 0 || (ERR_GET_LIB(pick) == ERR_LIB_OSSL_DECODER &&
		    ERR_GET_LIB(e) != ERR_LIB_OSSL_DECODER))
			pick = e;
	}
	if (pick == 0)
		return "unknown error";
	if (ERR_SYSTEM_ERROR(pick))
		return strerror(ERR_GET_REASON(pick));
	if ((r = ERR_reason_error_string(pick)) != NULL)
		return r;
	ERR_error_string_n(pick, buf, bufsz);
	return buf;
}
