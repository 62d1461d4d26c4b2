/* Where a gemtext link leads, seen from a page of the capsule (pure). */
#ifndef ATTACHE_LINK_H
#define ATTACHE_LINK_H

#include <stddef.h>

#include "bounds.h"
#include "gemini_request.h"
#include "uri.h"

enum link_kind {
	LINK_LOCAL,	/* a path of this capsule, in path */
	LINK_GOPHER,	/* a gopher:// URL, split in u */
	LINK_REMOTE,	/* any other URL: prefix + the link's URL */
	LINK_BAD	/* control characters, malformed, or too long */
};

struct link_target {
	enum link_kind	 kind;
	struct uri_ref	 u;
	const char	*prefix;	/* "gemini:" for "//host/x", else "" */
	char		 path[REQUEST_MAX + 1];
	size_t		 pathlen;
};

/*
 * Classifies the link URL url[0..len) of the page at base (an absolute,
 * decoded path such as "/dir/page.gmi").  Relative references and
 * gemini:// URLs naming the site (gemini_host_matches, on its port; port 0
 * is GEMINI_DEFAULT_PORT) are local; none are when site is NULL.  A local
 * path is percent-decoded (left as written when an escape is malformed),
 * resolved against base, and freed of dot segments.  A local path holding TAB, CR, LF or NUL once decoded is
 * LINK_BAD: no request line can carry it.
 */
void	link_classify(const char *url, size_t len, const char *base,
	    const struct gemini_target *site, struct link_target *t);

/* 1 when s[0..len) holds a TAB, CR or LF: it cannot go in a menu field. */
int	link_breaks_line(const char *s, size_t len);

#endif
