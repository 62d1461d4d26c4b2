/*
 * The CGI header block some FastCGI responders put before a program's
 * output (pure): php-fpm always writes one ("Content-type: ..." lines, or
 * at least the empty line that ends it), and fcgiwrap passes a script's
 * on.  A Gemini header starts with a digit, an HTTP header's name never
 * does: output that starts with a letter, or with an empty line, begins
 * with such a block, dropped up to its empty line; output that starts with
 * anything else has none.
 */
#ifndef ATTACHE_FCGI_PRELUDE_H
#define ATTACHE_FCGI_PRELUDE_H

#include <stddef.h>

#define FCGI_PRELUDE_MAX	8192	/* bytes of a block, at most */

enum fcgi_prelude_state {
	FCGI_PRELUDE_START,	/* nothing seen yet */
	FCGI_PRELUDE_LINE,	/* in a header line */
	FCGI_PRELUDE_CR,	/* a line's CR: its LF next */
	FCGI_PRELUDE_BOL,	/* at the start of a line of the block */
	FCGI_PRELUDE_DONE,	/* the output proper: pass everything on */
	FCGI_PRELUDE_TOO_LONG	/* the block passed FCGI_PRELUDE_MAX */
};

struct fcgi_prelude {
	enum fcgi_prelude_state	 state;
	size_t			 seen;		/* bytes of the block */
};

/*
 * Reads the start of the output, buf[0..len) the next piece: returns how
 * many of its bytes belong to the block (drop them); once p->state is
 * FCGI_PRELUDE_DONE the rest of buf is output.  FCGI_PRELUDE_TOO_LONG:
 * the responder's answer is no Gemini response.
 */
size_t	fcgi_prelude_skip(struct fcgi_prelude *p, const unsigned char *buf,
	    size_t len);

#endif
