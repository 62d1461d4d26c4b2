/* Gopher request lines (RFC 1436, Gopher+ suffixes) and the Gopher+
 * kludge reply (pure). */
#ifndef ATTACHE_GOPHER_REQUEST_H
#define ATTACHE_GOPHER_REQUEST_H

#include <stddef.h>

#include "bounds.h"



enum gopher_plus {
	GOPHER_PLUS_NONE,	/* plain Gopher */
	GOPHER_PLUS_ITEM,	/* "+" or "+<view>": the item in Gopher+ form */
	GOPHER_PLUS_ATTR,	/* "!" or "!+ATTR": the item's attributes */
	GOPHER_PLUS_DIR		/* "$" or "$+ATTR": a directory's attributes */
};

enum gopher_target {
	GOPHER_TARGET_PATH,	/* a capsule path: the selector */
	GOPHER_TARGET_URL,	/* "URL:<url>" (or "/URL:<url>"): url */
	GOPHER_TARGET_CAPS	/* "caps.txt" or "/caps.txt" */
};

/*
 * A parsed request.  Spans point into the caller's line, except the
 * selector of the root, which is always the static string "/".
 */
struct gopher_request {
	const char		*selector;	/* "" becomes "/" */
	size_t			 sellen;
	int			 is_root;	/* selector "" or "/" */
	enum gopher_target	 target;
	const char		*url;		/* GOPHER_TARGET_URL only */
	size_t			 urllen;
	int			 has_search;	/* a search string was sent */
	const char		*search;	/* up to the next TAB, maybe "" */
	size_t			 searchlen;
	enum gopher_plus	 plus;		/* a Gopher+ suffix */
	const char		*plus_data;	/* the suffix after its first
						 * character: "+INFO", "1", ... */
	size_t			 plus_datalen;
};

/*
 * Parses line[0..len), the request without its LF or CRLF.  The selector
 * runs to the first TAB.  The field after it is a Gopher+ suffix (never a
 * search) when it is "+", "!" or "$" alone, or one of them followed by
 * Gopher+ data: "+<mime/type>[ lang]", "!+ATTR", "$+ATTR"; a TAB may
 * follow with more (the data-block flag of "+\t1").  Otherwise it is the
 * search string, and a third field starting with '+', '!' or '$' is the
 * Gopher+ suffix of the search.  Returns 0, or -1 when the line holds a
 * NUL byte or is longer than REQUEST_MAX.
 */
int	gopher_request_parse(const char *line, size_t len,
	    struct gopher_request *out);

#endif
