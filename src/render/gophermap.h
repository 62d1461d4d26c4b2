/* Gemtext to Gopher menus, and the menu lines the server builds (pure). */
#ifndef ATTACHE_GOPHERMAP_H
#define ATTACHE_GOPHERMAP_H

#include <stddef.h>

struct evbuffer;

#define GOPHERMAP_WIDTH		67	/* default wrap width, in columns */
#define GOPHERMAP_WIDTH_MIN	10	/* narrower widths are taken as this */

struct gophermap_opts {
	const char	*host;		/* public Gopher host name in menu lines */
	unsigned	 port;		/* public Gopher port */
	unsigned	 width;		/* wrap width in columns; 0: 67 */
	const char	*page_path;	/* absolute, percent-decoded path of the
					 * page, e.g. "/dir/page.gmi" ("/dir/"
					 * for its index.gmi); relative links
					 * resolve against it; NULL: "/" */
	const char	*gemini_host;	/* gemini:// links to this host (any
					 * case, trailing dot or not) and port
					 * are local; NULL: none are */
	unsigned	 gemini_port;	/* 0: GEMINI_DEFAULT_PORT */
	const char *const *gemini_aliases; /* other names of the host */
	size_t		 ngemini_aliases;
	/*
	 * Whether a local path (decoded, absolute) may be shown; a link to
	 * one that may not (a protected zone) is left out.  NULL: all may.
	 */
	int		(*visible)(const void *arg, const char *path);
	const void	*visible_arg;
	/*
	 * The item type of a local path the server makes up (its search:
	 * 7), or 0 to go by the path's name; NULL: always by the name.
	 */
	char		(*local_type)(const void *arg, const char *path,
			    size_t len);
	const void	*local_arg;
};

/*
 * Renders the gemtext src[0..len) as a Gopher menu (DESIGN section 5):
 * text, headings ("# x"), list items ("* x", continuation rows indented
 * two columns) and quotes ("> " on every row) as info lines word-wrapped
 * to the width in display columns; blank lines as empty info lines;
 * preformatted lines verbatim with TABs expanded, never wrapped, fences
 * dropped; links as items (local pages and directories 1, local files by
 * extension, this capsule's gemini:// URLs local, gopher:// URLs native,
 * other allowed schemes as h items with a "URL:" selector on this server).
 * Local selectors are the decoded, resolved paths ("my%20page.gmi" from
 * "/d/p.gmi" is "/d/my page.gmi"); a malformed escape is kept as written.
 * A link that no item can carry becomes info text, "label (url)" or the
 * URL alone: control characters in the URL, a TAB, CR, LF or NUL once
 * decoded (an RFC 4266 search string too), a selector over
 * REQUEST_MAX bytes, a malformed authority, a gopher:// URL
 * without host or with a bad port, a scheme gopher_url_allowed() refuses
 * (whose URL: page would be an error).
 * Every line has three TABs and ends in CRLF; the menu ends with ".".
 * Returns 0, or -1 when out of memory (out then holds a partial menu).
 */
int	gophermap_render(struct evbuffer *out, const char *src, size_t len,
	    const struct gophermap_opts *o);

/*
 * The same for a page that comes in pieces (a program's output): renders
 * the lines of src[0..len), which ends at a line's end (or is the page's
 * last, unended line), with no final "."; *in_pre (0 at the start) says
 * whether a preformatted block is open, kept between calls.  A byte order
 * mark is the caller's.  Returns 0 or -1.
 */
int	gophermap_render_lines(struct evbuffer *out, const char *src,
	    size_t len, int *in_pre, const struct gophermap_opts *o);

/*
 * Columns of a preformatted line as gophermap_render shows it: TABs
 * expanded to stops of 8, control characters one column each (they are
 * shown as spaces), East Asian wide characters two.
 */
size_t	gophermap_pre_columns(const char *s, size_t len);

/*
 * One menu line: type, display, selector, host, port, CRLF.  TAB, CR and
 * LF become spaces in the display, selector and host (other control
 * characters too in the display), so the line always has three TABs.  A
 * type that is not printable ASCII becomes 'i'.  Returns 0 or -1.
 */
int	gophermap_item(struct evbuffer *out, char type, const char *display,
	    size_t displen, const char *selector, size_t sellen,
	    const char *host, unsigned port);

/*
 * text[0..len) as info lines ("i<row>\t\tH\tP"), word-wrapped to the width
 * of o; one empty info line when the text is blank.  Returns 0 or -1.
 */
int	gophermap_info(struct evbuffer *out, const char *text, size_t len,
	    const struct gophermap_opts *o);

/*
 * A whole error menu: "3<msg>\t\t<host>\t<port>" and ".".  Returns 0 or -1.
 */
int	gophermap_error(struct evbuffer *out, const char *msg,
	    const char *host, unsigned port);

/* The end of a menu: ".\r\n".  Returns 0 or -1. */
int	gophermap_end(struct evbuffer *out);

/*
 * The reply to a Gopher+ "\t$" request (what the UMN client sends first):
 * "+-1" (a Gopher+ reply ended by a "." line), one "+INFO:" line holding a
 * plain Gopher item for the main menu (no fifth "+" field, so the client
 * goes on in plain Gopher) and ".".  Returns 0, or -1 when out of memory.
 */
int	gopherplus_dollar_reply(struct evbuffer *out, const char *host,
	    unsigned port);

#endif
