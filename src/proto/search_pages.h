/*
 * The pages of a search (pure): its results as gemtext and as a Gopher
 * menu, and the Gopher menu that asks for a query.
 */
#ifndef ATTACHE_SEARCH_PAGES_H
#define ATTACHE_SEARCH_PAGES_H

#include <stddef.h>

#include "search_query.h"

struct evbuffer;
struct gophermap_opts;

#define SEARCH_PAGE_SIZE	10	/* results on a page */

struct search_result {
	const char	*path;		/* capsule path */
	const char	*title;		/* one line, UTF-8 */
	const char	*extract;	/* one line, UTF-8; "" for none */
};

/* One page of results. */
struct search_page {
	const char			*search_path;	/* "/search" */
	const struct query		*q;
	size_t				 total;		/* matching pages */
	unsigned			 page;		/* from 1 */
	const struct search_result	*r;
	size_t				 n;
};

/*
 * "# Search: QUERY", how many pages match, each result as a link labelled
 * with its title and its extract as a quote line, then links to the
 * previous and next results ("/search/2?QUERY") and to a new search.
 * Returns 0, or -1 when out of memory.
 */
int	search_page_gemtext(struct evbuffer *out, const struct search_page *p);

/*
 * The same as a Gopher menu: results as items of their type, extracts as
 * info lines, the next results as a menu "/search/2?QUERY" (the query
 * percent-encoded), and a type-7 item for a new search.
 */
int	search_page_menu(struct evbuffer *out, const struct search_page *p,
	    const struct gophermap_opts *o);

/* A menu that asks for a query: the type-7 item alone, with why. */
int	search_prompt_menu(struct evbuffer *out, const char *search_path,
	    const char *why, const struct gophermap_opts *o);

/* "/search/N?QUERY" (N > 1) or "/search?QUERY"; -1 when out is too small. */
int	search_page_link(const char *search_path, unsigned page,
	    const struct query *q, char *out, size_t outsz);

#endif
