/* Virtual Gopher documents: the URL: redirect page and caps.txt (pure). */
#ifndef ATTACHE_GOPHER_PAGES_H
#define ATTACHE_GOPHER_PAGES_H

#include <stddef.h>

struct evbuffer;

/*
 * 1 when url[0..len) may be sent on by a URL: page: its scheme is http,
 * https, gemini, gopher, mailto, ftp or irc (any case) and something
 * follows the ':'; it is well-formed UTF-8 without spaces or control
 * characters (C0, DEL, C1); it fits in a selector after "URL:".
 * Otherwise 0.
 */
int	gopher_url_allowed(const char *url, size_t len);

/* Results of gopher_url_page. */
#define GOPHER_PAGE_REFUSED	(-1)	/* URL not allowed; nothing written */
#define GOPHER_PAGE_NOMEM	(-2)	/* out of memory; out is partial */

/*
 * Writes the HTML page answering the selector "URL:<url>": a meta refresh
 * to the URL, a link to it and the URL as text, HTML-escaped everywhere
 * (& < > " ').  Returns 0, GOPHER_PAGE_REFUSED or GOPHER_PAGE_NOMEM.
 */
int	gopher_url_page(struct evbuffer *out, const char *url, size_t len);

/*
 * Writes caps.txt (LF line ends, as a text file): "CAPS" first, then
 * CapsVersion, ExpireCapsAfter, the POSIX path keys, ServerSoftware,
 * ServerSoftwareVersion (version; control characters in it become spaces)
 * and ServerDefaultEncoding=UTF-8.  Returns 0, or -1 when out of memory.
 */
int	gopher_caps(struct evbuffer *out, const char *version);

#endif
