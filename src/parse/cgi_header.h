/*
 * A program's response header (CGI or FastCGI, pure): the first line of
 * what a program writes is a Gemini response header, "DD meta\r\n" (or
 * "DD\r\n"): two digits, status 10 to 69; then a space and the meta
 * (at most CGI_META_MAX bytes, no control byte); then CRLF.  Fed the
 * bytes received so far, it says whether more are needed, where the body
 * begins, or why the header is no Gemini header.
 */
#ifndef ATTACHE_CGI_HEADER_H
#define ATTACHE_CGI_HEADER_H

#include <stddef.h>

#define CGI_META_MAX	1024			/* bytes of the meta */
#define CGI_HEADER_MAX	(3 + CGI_META_MAX + 2)	/* "DD ", meta, CRLF */

enum cgi_header_result {
	CGI_HEADER_MORE,	/* no line end yet, and none is too long */
	CGI_HEADER_OK,		/* *h is set */
	CGI_HEADER_BAD		/* h->why says why */
};

struct cgi_header {
	int		 status;	/* 10..69 */
	const char	*meta;		/* into buf; not NUL-terminated */
	size_t		 metalen;
	size_t		 len;		/* of the line with its CRLF: the
					 * body starts at buf + len */
	const char	*why;		/* CGI_HEADER_BAD: a fixed phrase */
};

/* Parses the start of buf[0..len) (any bytes, not NUL-terminated). */
enum cgi_header_result cgi_header_parse(const char *buf, size_t len,
	    struct cgi_header *h);

#endif
