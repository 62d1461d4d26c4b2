/* Gemini: the pages a site makes up (search, change list, Atom feed). */
#ifndef ATTACHE_GEMINI_GENERATED_H
#define ATTACHE_GEMINI_GENERATED_H

#include "gemini_request.h"

struct conn;

/*
 * Answers a page the site makes up when req names one and no capsule file
 * is there: 1, or 0 to go on.
 */
int	gemini_generated(struct conn *c, const struct gemini_request *req,
	    const char *lang);

#endif
