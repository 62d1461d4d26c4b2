/*
 * Requests answered by a FastCGI responder (a location's `fastcgi socket`
 * or `fastcgi tcp`), from the worker's loop: a connection per request,
 * BEGIN_REQUEST, the PARAMS (the program environment, then the location's
 * `param`s), STDIN (empty, or a Titan upload's body), then STDOUT (past
 * the CGI header block php-fpm and fcgiwrap put first) into
 * the program reply (program_reply.h: the header checked, the body
 * streamed with backpressure, Gopher menus), STDERR to the log, and
 * END_REQUEST.  A responder that cannot be reached, closes, stalls or
 * sends a malformed record: 42 before the body began, a closed
 * connection after, and a log line either way.
 */
#ifndef ATTACHE_FASTCGI_H
#define ATTACHE_FASTCGI_H

#include <stddef.h>

struct conf_location;
struct conn;
struct evbuffer;
struct gemini_request;
struct gopher_request;
struct program_env;
struct titan_request;

/*
 * Standard error: the longest line logged; a site's lines at once, then
 * a second (over all its requests and workers).
 */
#define FASTCGI_ERR_LINE	512
#define FASTCGI_ERR_BURST	5
#define FASTCGI_ERR_PER_SEC	2

/*
 * Gemini: the request line[0..len), parsed as req, to loc's responder.
 * Answers c (59 when the request may not reach a program: a control
 * character in it).
 */
void	fastcgi_gemini(struct conn *c, const struct conf_location *loc,
	    const char *line, size_t len, const struct gemini_request *req);

/*
 * Gopher: the selector as the decoded path (path[0..len)) and req.
 * Returns 1 when path is under a location with a responder (c answered),
 * else 0.
 */
int	fastcgi_gopher(struct conn *c, const char *path, size_t len,
	    const struct gopher_request *req);

/*
 * Titan: 1 when the upload's path is under a location with a responder:
 * its body (at most titan-max-size) is read, then goes to the responder
 * as STDIN, with CONTENT_LENGTH, CONTENT_TYPE and TITAN_TOKEN.  The
 * responder decides who may; the location's zone is checked first.
 */
int	fastcgi_titan(struct conn *c, const struct titan_request *req,
	    const char *line, size_t len);

/*
 * Starts the exchange with loc's responder for c, its parameters env and
 * its standard input body (NULL: none; emptied); page_path the decoded
 * path (Gopher's menus resolve links against it).  0 once the answer
 * streams (whatever then happens, it answers c), -1 when c was answered
 * at once (out of memory).
 */
int	fastcgi_start(struct conn *c, const struct conf_location *loc,
	    const struct program_env *env, struct evbuffer *body, int gopher,
	    const char *page_path);

#endif
