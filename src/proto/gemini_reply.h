/* Gemini response headers, shared by every Gemini handler. */
#ifndef ATTACHE_GEMINI_REPLY_H
#define ATTACHE_GEMINI_REPLY_H

struct conn;

/* A response without a body: "NN META\r\n"; why goes to the log. */
void	gemini_header_only(struct conn *c, int status, const char *meta,
	    const char *why);

/* "20 MIME" (with lang= for text/gemini); 0, or -1 when out of memory. */
int	gemini_success(struct conn *c, const char *mime, const char *lang);

#endif
