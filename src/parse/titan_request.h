/*
 * Titan request lines (pure): "titan://HOST[:PORT]/path;size=N[;mime=T]
 * [;token=X]", the parameters in any order, to a path and its parameters
 * or a status.  The URL obeys every rule of a Gemini request.
 */
#ifndef ATTACHE_TITAN_REQUEST_H
#define ATTACHE_TITAN_REQUEST_H

#include <stddef.h>

#include "bounds.h"
#include "gemini_request.h"

#define TITAN_MIME_MAX		127
#define TITAN_TOKEN_MAX		255
#define TITAN_SIZE_DIGITS	18	/* fits a long long */

struct titan_request {
	char		 path[REQUEST_MAX + 1];	/* decoded, absolute; no dot
						 * segment, no empty one */
	size_t		 pathlen;
	char		 host[REQUEST_MAX + 3];	/* as the client wrote it, IPv6
						 * literals in brackets */
	long long	 size;			/* bytes of body; 0: delete */
	int		 has_mime;
	char		 mime[TITAN_MIME_MAX + 1];	/* decoded */
	int		 has_token;
	char		 token[TITAN_TOKEN_MAX + 1];	/* decoded; unused */
	const char	*reason;	/* why it was refused, for the log */
};

/* 1 when line[0..len) starts with the titan scheme ("titan:", any case). */
int	titan_request_is(const char *line, size_t len);

/*
 * Validates one Titan request line (without its CRLF) for target t.
 * Returns 20 and fills req; otherwise 59 (malformed: the URL, a parameter,
 * a missing or non-numeric size, a dot segment, a query) or 53 (another
 * host or port), with req->reason set.
 */
int	titan_request_parse(const char *line, size_t len,
	    const struct gemini_target *t, struct titan_request *req);

#endif
