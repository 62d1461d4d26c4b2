/*
 * A search query, from what a client sent to the words to find (pure):
 * every word must appear; the last one, typed last, may be the start of a
 * word ("interp" finds "Interpol"); "a quoted phrase" must appear in order.
 */
#ifndef ATTACHE_SEARCH_QUERY_H
#define ATTACHE_SEARCH_QUERY_H

#include <stddef.h>

#include "words.h"

#define QUERY_MAX		1024	/* bytes of a query, sent or decoded */
#define QUERY_TERMS_MAX		16	/* words looked for; the rest is left */
#define QUERY_PREFIX_MIN	2	/* bytes of a last word taken as a prefix */

enum query_result {
	QUERY_OK,
	QUERY_EMPTY,		/* no word in it: ask again */
	QUERY_TOO_LONG,		/* over QUERY_MAX bytes */
	QUERY_NOT_UTF8		/* not UTF-8 once decoded */
};

struct query_term {
	char		 word[WORD_MAX + 1];	/* folded (words.h) */
	size_t		 len;
	int		 prefix;	/* also the start of a longer word */
	unsigned	 phrase;	/* 0: a word alone; else the number of
					 * its phrase, whose words follow
					 * each other in terms[] */
};

struct query {
	struct query_term	 terms[QUERY_TERMS_MAX];
	size_t			 nterms;
	unsigned		 nphrases;
	/* What was asked, decoded, for pages: controls are spaces. */
	char			 text[QUERY_MAX + 1];
	size_t			 textlen;
};

/*
 * Parses raw[0..len).  With percent_encoded (a URL's query: Gemini, and
 * Gopher's "selector?query" links), %XX escapes are decoded once; a '%'
 * not followed by two hex digits stays as it is.  Quotes: '"', “ ” and
 * « » open and close a phrase (one left open runs to the end); a quoted
 * single word is a word, never a prefix.  The last word, when not quoted
 * and at least QUERY_PREFIX_MIN bytes long, is a prefix.
 */
enum query_result query_parse(const char *raw, size_t len,
	    int percent_encoded, struct query *q);

#endif
