/* Gopher replies, shared by every Gopher handler. */
#ifndef ATTACHE_GOPHER_REPLY_H
#define ATTACHE_GOPHER_REPLY_H

struct conn;
struct evbuffer;
struct gophermap_opts;

/* The site's menu options for a page at page_path. */
void	gopher_options(const struct conn *c, const char *page_path,
	    struct gophermap_opts *o);

/* Sends what body holds, recording the item type for the log. */
void	gopher_send(struct conn *c, struct evbuffer *body, const char *type,
	    const char *why);

/* A whole error menu: one type-3 line; why goes to the log. */
void	gopher_error(struct conn *c, const char *msg, const char *why);

#endif
