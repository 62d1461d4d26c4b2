/* Gemini responses, shared by gemini.c and the pages the server makes up
 * (gemini_generated.c). */
#ifndef ATTACHE_GEMINI_H
#define ATTACHE_GEMINI_H

#include "gemini_request.h"

struct conn;

/* A response without a body: "NN META\r\n"; why goes to the log. */
void	gemini_header_only(struct conn *c, int status, const char *meta,
	    const char *why);

/* "20 MIME" (with lang= for text/gemini); 0, or -1 when out of memory. */
int	gemini_success(struct conn *c, const char *mime, const char *lang);

/*
 * Answers a page the site makes up (search, change list, Atom feed) when
 * req names one and no capsule file is there: 1, or 0 to go on.
 */
int	gemini_generated(struct conn *c, const struct gemini_request *req,
	    const char *lang);

#endif
