/*
 * Protected zones (pure): which paths of a site need a client certificate,
 * whether a certificate opens them, and who may upload with Titan.
 */
#ifndef ATTACHE_ZONE_H
#define ATTACHE_ZONE_H

#include <stddef.h>

#include "conf.h"

/* What the TLS layer learned of the client's certificate. */
struct client_cert {
	int		 present;
	int		 time_valid;	/* now within notBefore..notAfter */
	unsigned char	 sha256[CONF_FINGERPRINT_LEN];	/* of the DER form */
};

/*
 * What a request at a location gets: 0 when it is served, else the Gemini
 * status: 60 without a certificate, 62 with one expired or not yet valid,
 * 61 with one the location does not allow.  loc may be NULL (served).
 */
int	zone_admit(const struct conf_location *loc,
	    const struct client_cert *cert);

/* The same for a Titan upload to site s: only its operators. */
int	zone_operator(const struct conf_site *s,
	    const struct client_cert *cert);

/*
 * 1 when path (decoded, absolute) is served without a certificate: the
 * first location matching it, or it with a final '/' (a directory named
 * without one), protects nothing.  Gopher menus, listings, search results
 * and the change list show only such paths.
 */
int	zone_public(const struct conf_site *s, const char *path);

/* 1 when set holds the fingerprint. */
int	zone_cert_in(const struct conf_certs *set,
	    const unsigned char sha256[CONF_FINGERPRINT_LEN]);

#endif
