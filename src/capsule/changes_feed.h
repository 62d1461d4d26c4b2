/*
 * The change list in its three forms (pure): a gemtext page in the Gemini
 * subscription format, an Atom 1.0 feed, and a Gopher menu.
 */
#ifndef ATTACHE_CHANGES_FEED_H
#define ATTACHE_CHANGES_FEED_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct gophermap_opts;

#define CHANGES_MAX	50	/* pages in the list */
#define CHANGES_TAG_DATE "2026"	/* of the tag: URIs; never change it */

/* One page of the list. */
struct change_entry {
	const char	*path;		/* capsule path, "/dir/index.gmi" */
	const char	*title;		/* one line, UTF-8 */
	int64_t		 mtime;
};

/* Where a feed's links lead. */
struct feed_links {
	const char	*site;		/* the site's name */
	const char	*pages;		/* URL before a page's path:
					 * "gemini://host:1966" */
	const char	*self;		/* URL of the Atom feed */
	const char	*alternate;	/* URL of the gemtext list */
};

/*
 * The path a page is linked by: "/dir/" for "/dir/index.gmi", else the
 * path; percent-encoded when encode is set.  Returns its length, or -1
 * when out (outsz bytes) is too small.
 */
int	changes_link(const char *path, int encode, char *out, size_t outsz);

/*
 * "# SITE", "## Recent changes", then "=> /path YYYY-MM-DD Title" per
 * entry (UTC dates), as given (newest first).  Returns 0, or -1 when out
 * of memory.
 */
int	changes_gemsub(struct evbuffer *out, const char *site,
	    const struct change_entry *e, size_t n);

/*
 * The same entries as an Atom 1.0 feed: ids are tag: URIs made of the
 * site's name and the path (tag:SITE,2026:/path), stable across restarts;
 * updated is the modification time; text is XML-escaped, and characters
 * XML cannot carry are left out.  Returns 0, or -1 when out of memory.
 */
int	changes_atom(struct evbuffer *out, const struct feed_links *l,
	    const struct change_entry *e, size_t n);

/* The same as a Gopher menu: one item per page, "YYYY-MM-DD Title". */
int	changes_menu(struct evbuffer *out, const char *site,
	    const struct change_entry *e, size_t n,
	    const struct gophermap_opts *o);

#endif
