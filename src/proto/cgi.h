/*
 * CGI on the worker's loop: a request whose path leads, beneath a
 * location with cgi on, to a regular executable file (the first on the
 * path: the rest is PATH_INFO) goes to that script through the runner
 * (cgi_wire.h); its output comes back on a descriptor read here, into a
 * program reply (program_reply.h).  The script is killed when its
 * connection ends, or when it says nothing for cgi-timeout seconds.
 */
#ifndef ATTACHE_CGI_H
#define ATTACHE_CGI_H

#include <stddef.h>

struct conn;
struct gemini_request;
struct gopher_request;
struct titan_request;

/*
 * Gemini: 1 when req is a script's (answered, or being answered), 0 when
 * it is not (serve it as usual).  url is the request line.
 */
int	cgi_gemini(struct conn *c, const struct gemini_request *req,
	    const char *url, size_t urllen);

/* Gopher: the same for a selector made a path (path[0..len)). */
int	cgi_gopher(struct conn *c, const char *path, size_t len,
	    const struct gopher_request *req);

/*
 * Titan: 1 when the upload is a script's: its body is read and goes to
 * the script's stdin (CONTENT_LENGTH, CONTENT_TYPE, TITAN_TOKEN).
 */
int	cgi_titan(struct conn *c, const struct titan_request *req,
	    const char *url, size_t urllen);

/*
 * After an upload is committed: the site's titan-hook is started by the
 * runner, told path (decoded), size (0: deleted), mime (NULL: none) and
 * the uploader's certificate (hex).  Nothing waits for it.
 */
void	cgi_titan_hook(struct conn *c, const char *path, long long size,
	    const char *mime, const char *cert_hex);

#endif
