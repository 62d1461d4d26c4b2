/* The server name a TLS client asks for, read from its ClientHello (pure). */
#ifndef ATTACHE_SNI_H
#define ATTACHE_SNI_H

#include <stddef.h>

#define SNI_NAME_MAX	255	/* RFC 6066: a DNS host name */

/*
 * Reads the host_name of a server_name extension's data (RFC 6066 3:
 * a 2-byte list length, then entries of a type byte and a 2-byte length).
 * Writes it NUL-terminated to out (outsz > SNI_NAME_MAX) and returns 0;
 * returns -1 when the extension is malformed, holds no host_name, or the
 * name is empty, too long, or holds bytes outside printable ASCII.
 */
int	sni_parse(const unsigned char *ext, size_t len, char *out,
	    size_t outsz);

#endif
