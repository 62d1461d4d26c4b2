/*
 * A program's reply to one request, whatever runs it (a CGI script's
 * pipe, a FastCGI responder's STDOUT records): bytes in as they come, a
 * checked header, the body streamed to the client with backpressure.
 *
 *   r = program_reply_new(c, ...)	the connection starts streaming
 *   program_reply_data(r, buf, len)	each piece of output, in order
 *   program_reply_end(r)		the output is all there (EOF)
 *   program_reply_fail(r, why)		the source failed or timed out
 *   program_reply_free(r)		after DONE, end, fail or gone
 *
 * The source is told to pause while the client's output holds more than
 * PROGRAM_REPLY_HIGH bytes, and to resume once it drained: the output is
 * never held whole.  gone comes when the connection ends first (the
 * client went away, the worker stops): release the source (kill the
 * program) and free r; nothing more may be given to r.
 *
 * The header is a Gemini header (cgi_header.h); anything else is a 42
 * (Gopher: a type-3 line) and a log line saying why.  Over Gopher, a
 * "20 text/gemini" body becomes a menu as files do, line by line; another
 * type goes as it is; any other status is a type-3 line saying why.
 */
#ifndef ATTACHE_PROGRAM_REPLY_H
#define ATTACHE_PROGRAM_REPLY_H

#include <stddef.h>

#define PROGRAM_REPLY_HIGH	(64 * 1024)	/* output queued: pause */

struct conn;
struct program_reply;

struct program_source {
	void	(*pause)(void *arg);
	void	(*resume)(void *arg);
	void	(*gone)(void *arg);
};

enum program_reply_result {
	PROGRAM_REPLY_MORE,	/* give more */
	PROGRAM_REPLY_DONE	/* the answer is complete (a header without
				 * body, or a bad one): stop the source */
};

/*
 * Starts the answer to c: gopher 1 for a Gopher client, page_path the
 * request's decoded path (for a menu's relative links), label what the
 * log names ("site /cgi/script").  NULL when out of memory or c cannot
 * stream (then answer c as usual).
 */
struct program_reply *program_reply_new(struct conn *c, int gopher,
	    const char *page_path, const char *label,
	    const struct program_source *src, void *arg);

enum program_reply_result program_reply_data(struct program_reply *r,
	    const char *buf, size_t len);
void	program_reply_end(struct program_reply *r);
void	program_reply_fail(struct program_reply *r, const char *why);
void	program_reply_free(struct program_reply *r);

/* 1 once the header was sent on (the answer has begun). */
int	program_reply_begun(const struct program_reply *r);

#endif
