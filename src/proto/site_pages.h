/*
 * The pages a site's capsule service makes up (search, change list, Atom
 * feed): where they are, which of the capsule's pages they may show, and
 * their bodies in either protocol, read from the service's current
 * snapshot.
 */
#ifndef ATTACHE_SITE_PAGES_H
#define ATTACHE_SITE_PAGES_H

#include <stddef.h>

#include "changes_feed.h"
#include "conf.h"
#include "search_query.h"

struct evbuffer;
struct gophermap_opts;
struct site;

enum site_page {
	SITE_PAGE_NONE,
	SITE_PAGE_SEARCH,
	SITE_PAGE_CHANGES,
	SITE_PAGE_ATOM
};

enum site_answer {
	SITE_ANSWER_OK,
	SITE_ANSWER_NOT_READY,		/* the first walk is under way */
	SITE_ANSWER_NOMEM
};

#define SITE_SEARCH_PAGES_MAX	1000	/* "/search/1000" at most */

/*
 * The page the site makes up at the decoded path[0..len), if any: the
 * search ("/search", and "/search/N" for its page N, set in *page), the
 * change list or the Atom feed, when on.  A capsule file at the same path
 * wins: the protocols look for one before answering.
 */
enum site_page site_page_route(const struct site *s, const char *path,
	    size_t len, unsigned *page);

/* 1 when the capsule has something at path: it wins over a made-up page. */
int	site_file_wins(const struct site *s, const char *path, size_t len);

/*
 * 1 when the site's page at path may appear in its search results and its
 * change list (gopher: when they are shown over Gopher): not where a
 * location redirects or says gone.  The one place that decides.
 */
int	site_admits(const struct site *s, const char *path, int gopher);

/* The Gopher item type of a made-up page at a local path, or 0. */
char	site_page_gopher_type(const void *site, const char *path, size_t len);

/*
 * Page number page of the results of q, as gemtext, or as a Gopher menu
 * with o, into out; read for the worker numbered slot.
 */
enum site_answer site_search(const struct site *s, int slot,
	    const struct query *q, unsigned page,
	    const struct gophermap_opts *o, struct evbuffer *out);

/*
 * The change list as page says: SITE_PAGE_CHANGES as gemtext (or, with o,
 * a Gopher menu), SITE_PAGE_ATOM as an Atom feed whose links are l's.
 */
enum site_answer site_changes(const struct site *s, int slot,
	    enum site_page page, const struct feed_links *l,
	    const struct gophermap_opts *o, struct evbuffer *out);

/* Where a site's feed links lead: Gemini when it is on, else Gopher. */
#define SITE_FEED_URL_MAX	(512 + 3 * CONF_PAGE_PATH_MAX + 2)

struct site_feed {
	char			pages[512];
	char			self[SITE_FEED_URL_MAX];
	char			alternate[SITE_FEED_URL_MAX];
	struct feed_links	l;
};

void	site_feed_links(const struct site *s, int gemini_port,
	    struct site_feed *f);

#endif
