/* Gopher responses, shared by gopher.c and the pages the server makes up
 * (gopher_generated.c). */
#ifndef ATTACHE_GOPHER_H
#define ATTACHE_GOPHER_H

#include <stddef.h>

struct conn;
struct evbuffer;
struct gopher_request;
struct gophermap_opts;

/* The site's menu options for a page at page_path. */
void	gopher_options(const struct conn *c, const char *page_path,
	    struct gophermap_opts *o);

/* Sends what body holds, recording the item type for the log. */
void	gopher_send(struct conn *c, struct evbuffer *body, const char *type,
	    const char *why);

/* A whole error menu: one type-3 line; why goes to the log. */
void	gopher_error(struct conn *c, const char *msg, const char *why);

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
