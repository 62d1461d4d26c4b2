/*
 * Hand-written Gopher menus: a file named "gophermap" in a directory is
 * that directory's menu for Gopher (pure).  A line holding a TAB is an
 * item, "Tdisplay<TAB>selector<TAB>host<TAB>port", host and port taken
 * from the site when left out and a relative selector resolved against the
 * directory; any other line is an info line; a line "." ends the menu.
 */
#ifndef ATTACHE_GOPHERMAP_FILE_H
#define ATTACHE_GOPHERMAP_FILE_H

#include <stddef.h>

struct evbuffer;
struct gophermap_opts;

#define GOPHERMAP_FILE_NAME	"gophermap"

enum gmf_kind {
	GMF_INFO,		/* text shown as is */
	GMF_ITEM,
	GMF_BAD			/* malformed: why says how */
};

/* One line of a gophermap file; spans point into the caller's text. */
struct gmf_line {
	enum gmf_kind	 kind;
	unsigned long	 lineno;	/* from 1 */
	const char	*text;		/* the whole line, no line end */
	size_t		 textlen;
	char		 type;
	const char	*display;	/* INFO: the text */
	size_t		 displen;
	const char	*selector;
	size_t		 sellen;
	const char	*host;		/* NULL: the site's */
	size_t		 hostlen;
	unsigned	 port;		/* 0: the site's, or 70 elsewhere */
	const char	*why;
};

struct gmf_iter {
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	unsigned long	 lineno;
	int		 ended;		/* a "." line was read */
};

void	gmf_init(struct gmf_iter *it, const char *buf, size_t len);

/*
 * The next line into *l: 1, or 0 at the end (or after a "." line).  A
 * malformed line (GMF_BAD) is an item without a type, a type that is not
 * printable ASCII, more than four fields, a port that is not 1 to 65535,
 * a selector over REQUEST_MAX bytes, a control character, or bytes that
 * are not UTF-8.
 */
int	gmf_next(struct gmf_iter *it, struct gmf_line *l);

/*
 * The menu of the gophermap text[0..len) of the directory dirpath ("/",
 * "/a/b/"), with o's host and port: items as written, relative selectors
 * resolved, malformed lines shown as info lines of their text.  With end
 * set, the menu's "." follows.  Returns 0, or -1 when out of memory.
 */
int	gophermap_file_render(struct evbuffer *out, const char *text,
	    size_t len, const char *dirpath, const struct gophermap_opts *o,
	    int end);

#endif
