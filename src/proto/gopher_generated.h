/* Gopher: the pages a site makes up, and the root menu's own items. */
#ifndef ATTACHE_GOPHER_GENERATED_H
#define ATTACHE_GOPHER_GENERATED_H

#include <stddef.h>

struct conn;
struct evbuffer;
struct gopher_request;

/*
 * Answers a page the site makes up (search, change list, Atom feed) when
 * path[0..len) names one ("/search/2?words": a search's own link) and no
 * capsule file is there: 1, or 0 to go on.
 */
int	gopher_generated(struct conn *c, const char *path, size_t len,
	    const struct gopher_request *req);

/*
 * The root menu's own items, before its end: "Search this capsule" (type
 * 7) and "Recent changes", when on and not already in the menu.  Returns
 * 0, or -1 when out of memory.
 */
int	gopher_root_items(const struct conn *c, struct evbuffer *menu);

#endif
