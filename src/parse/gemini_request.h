/* Gemini request validation (pure): one request line to a path or a status. */
#ifndef ATTACHE_GEMINI_REQUEST_H
#define ATTACHE_GEMINI_REQUEST_H

#include <stddef.h>

#include "bounds.h"

/* Who we are, to tell our own URLs from others'. */
struct gemini_target {
	const char	*hostname;	/* configured name, compared case-insensitively */
	unsigned	 port;		/* listening port */
	const char	*local_addr;	/* numeric address the client reached, or NULL */
	const char *const *aliases;	/* the site's other names */
	size_t		 naliases;
};

struct gemini_request {
	char		 path[REQUEST_MAX + 1];	/* decoded, no dot segments, starts with '/' */
	size_t		 pathlen;
	char		 query[REQUEST_MAX + 1];	/* raw, still percent-encoded */
	int		 has_query;
	const char	*reason;	/* why the request was refused, for the log */
};

/*
 * Validates one request line (without its CRLF).  Returns 20 and fills
 * req->path when the request is for us; otherwise 59 (bad request) or 53
 * (not served here), with req->reason set.
 */
int	gemini_request_parse(const char *line, size_t len,
	    const struct gemini_target *t, struct gemini_request *req);

/*
 * 1 when host (no brackets, optional trailing dot) names target t: its
 * hostname, one of its aliases, or the address the client reached.
 */
int	gemini_host_matches(const char *host, size_t len,
	    const struct gemini_target *t);

#endif
