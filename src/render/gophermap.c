/* Gemtext to Gopher menus, and the menu lines the server builds (pure). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "gemtext.h"
#include "gopher_pages.h"
#include "bounds.h"
#include "gophermap.h"
#include "link.h"
#include "mime.h"
#include "uri.h"
#include "utf8.h"
#include "width.h"

#define TAB_STOP	8
#define GOPHER_PORT	70

/*
 * A small staging buffer in front of the evbuffer: menus are built from
 * many short pieces.  The first failure sticks in err.
 */
struct writer {
	struct evbuffer	*out;
	int		 err;
	size_t		 n;
	char		 buf[1024];
};

/* What one rendering needs besides the source. */
struct ctx {
	struct writer			 w;
	const struct gophermap_opts	*o;
	const char			*host;
	size_t				 hostlen;
	char				 port[16];	/* decimal */
	size_t				 width;
};

/* How a character shows in a display string. */
enum ch_class {
	CH_TEXT,	/* itself (a byte of bad UTF-8 too) */
	CH_BLANK,	/* a space: space, C0 and C1 controls, DEL */
	CH_TAB		/* a space in running text; a tab stop in preformatted */
};

static void
w_init(struct writer *w, struct evbuffer *out)
{
	w->out = out;
	w->err = 0;
	w->n = 0;
}

static int
w_flush(struct writer *w)
{
	if (!w->err && w->n > 0 && evbuffer_add(w->out, w->buf, w->n) == -1)
		w->err = 1;
	w->n = 0;
	return w->err ? -1 : 0;
}

static void
w_add(struct writer *w, const char *p, size_t len)
{
	if (w->err || len == 0)
		return;
	if (len > sizeof(w->buf) - w->n) {
		if (w_flush(w) == -1)
			return;
		if (len > sizeof(w->buf)) {
			if (evbuffer_add(w->out, p, len) == -1)
				w->err = 1;
			return;
		}
	}
	memcpy(w->buf + w->n, p, len);
	w->n += len;
}

static void
w_str(struct writer *w, const char *s)
{
	w_add(w, s, strlen(s));
}

/* Decodes the character at s (len > 0): its length, columns and class. */
static size_t
next_char(const char *s, size_t len, size_t *cols, enum ch_class *cls)
{
	unsigned char c = (unsigned char)s[0];
	uint32_t cp;
	size_t n;

	/* Most text is printable ASCII: no decoding, no table for it. */
	if (c > ' ' && c < 0x7f) {
		*cols = 1;
		*cls = CH_TEXT;
		return 1;
	}
	if ((n = utf8_decode(s, len, &cp)) == 0) {
		*cols = 1;
		*cls = CH_TEXT;
		return 1;
	}
	if (cp == '\t') {
		*cols = 1;
		*cls = CH_TAB;
	} else if (cp == ' ' || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
		*cols = 1;
		*cls = CH_BLANK;
	} else {
		*cols = width_cp(cp);
		*cls = CH_TEXT;
	}
	return n;
}

/* Adds display text: every blank and control character as a space. */
static void
put_display(struct writer *w, const char *s, size_t len)
{
	enum ch_class cls;
	size_t i = 0, run = 0, n, cols;

	while (i < len) {
		n = next_char(s + i, len - i, &cols, &cls);
		if (cls != CH_TEXT && !(n == 1 && s[i] == ' ')) {
			w_add(w, s + run, i - run);
			w_add(w, " ", 1);
			run = i + n;
		}
		i += n;
	}
	w_add(w, s + run, len - run);
}

/* Adds a selector or host: only TAB, CR and LF would break the line. */
static void
put_field(struct writer *w, const char *s, size_t len)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			w_add(w, s + run, i - run);
			w_add(w, " ", 1);
			run = i + 1;
		}
	w_add(w, s + run, len - run);
}

/* "\t<host>\t<port>\r\n": the end of every menu line. */
static void
put_tail(struct writer *w, const char *host, size_t hostlen,
    const char *port)
{
	w_add(w, "\t", 1);
	put_field(w, host, hostlen);
	w_add(w, "\t", 1);
	w_str(w, port);
	w_add(w, "\r\n", 2);
}

static void
put_item(struct writer *w, char type, const char *display, size_t displen,
    const char *selector, size_t sellen, const char *host, size_t hostlen,
    const char *port)
{
	if (type <= ' ' || type > '~')
		type = 'i';
	w_add(w, &type, 1);
	put_display(w, display, displen);
	w_add(w, "\t", 1);
	put_field(w, selector, sellen);
	put_tail(w, host, hostlen, port);
}

/* The port in decimal: snprintf was most of a short menu line's cost. */
static void
port_text(unsigned port, char out[16])
{
	char tmp[16];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + port % 10);
		port /= 10;
	} while (port != 0 && n < sizeof(tmp) - 1);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

static void
ctx_init(struct ctx *c, struct evbuffer *out, const struct gophermap_opts *o)
{
	w_init(&c->w, out);
	c->o = o;
	c->host = o->host != NULL ? o->host : "";
	c->hostlen = strlen(c->host);
	port_text(o->port, c->port);
	c->width = o->width == 0 ? GOPHERMAP_WIDTH : o->width;
	if (c->width < GOPHERMAP_WIDTH_MIN)
		c->width = GOPHERMAP_WIDTH_MIN;
}

/* One info line: 'i', prefix, the row, an empty selector, host, port. */
static void
put_info_row(struct ctx *c, const char *prefix, size_t prefixlen,
    const char *s, size_t len)
{
	/* "> " before nothing is just ">". */
	if (len == 0)
		while (prefixlen > 0 && prefix[prefixlen - 1] == ' ')
			prefixlen--;
	w_add(&c->w, "i", 1);
	w_add(&c->w, prefix, prefixlen);
	put_display(&c->w, s, len);
	w_add(&c->w, "\t", 1);
	put_tail(&c->w, c->host, c->hostlen, c->port);
}

/* End of the text in s[start..end), blanks at its end left out. */
static size_t
text_end(const char *s, size_t start, size_t end)
{
	enum ch_class cls;
	size_t i = start, last = start, n, cols;

	while (i < end) {
		n = next_char(s + i, end - i, &cols, &cls);
		i += n;
		if (cls == CH_TEXT)
			last = i;
	}
	return last;
}

/*
 * Word-wraps s[0..len) into info rows of at most c->width columns, first
 * behind the ASCII prefix first, then behind cont.  Rows break at blanks,
 * which are dropped there; a word longer than a row is cut at the last
 * character that fits, and zero-width characters stay with the one
 * before them.
 */
static void
wrap(struct ctx *c, const char *first, const char *cont, const char *s,
    size_t len)
{
	enum ch_class cls;
	const char *prefix = first;
	size_t pos = 0, rs, i, brk, end, n = 0, cols, used, avail;
	int seen_text;

	for (;;) {
		avail = c->width - strlen(prefix);
		rs = i = pos;
		brk = used = 0;
		seen_text = 0;
		while (i < len) {
			n = next_char(s + i, len - i, &cols, &cls);
			if (cls != CH_TEXT && seen_text)
				brk = i;
			if (used + cols > avail)
				break;
			if (cls == CH_TEXT)
				seen_text = 1;
			used += cols;
			i += n;
		}
		if (i >= len)
			end = len;
		else if (brk > rs)
			end = brk;
		else if (i > rs)
			end = i;
		else
			end = rs + n;	/* wider than a row: never loop */
		put_info_row(c, prefix, strlen(prefix), s + rs,
		    text_end(s, rs, end) - rs);
		if (c->w.err)
			return;

		/* The blanks at a break belong to no row. */
		pos = end;
		while (pos < len) {
			n = next_char(s + pos, len - pos, &cols, &cls);
			if (cls == CH_TEXT)
				break;
			pos += n;
		}
		if (pos >= len)
			return;
		prefix = cont;
	}
}

/*
 * A preformatted line as a menu shows it: verbatim, TABs expanded to the
 * next stop, control characters as spaces.  Writes it to w unless w is
 * NULL; returns its columns.  The checker measures with the same code.
 */
static size_t
pre_expand(struct writer *w, const char *s, size_t len)
{
	static const char spaces[] = "        ";
	enum ch_class cls;
	size_t i = 0, col = 0, n, cols, k;

	while (i < len) {
		n = next_char(s + i, len - i, &cols, &cls);
		if (cls == CH_TAB) {
			k = TAB_STOP - col % TAB_STOP;
			if (w != NULL)
				w_add(w, spaces, k);
			col += k;
		} else {
			if (w != NULL)
				put_display(w, s + i, n);
			col += cols;
		}
		i += n;
	}
	return col;
}

size_t
gophermap_pre_columns(const char *s, size_t len)
{
	return pre_expand(NULL, s, len);
}

/* A preformatted line: one info line, never wrapped. */
static void
pre_line(struct ctx *c, const char *s, size_t len)
{
	w_add(&c->w, "i", 1);
	(void)pre_expand(&c->w, s, len);
	w_add(&c->w, "\t", 1);
	put_tail(&c->w, c->host, c->hostlen, c->port);
}

/* A link no item can carry: its label and URL as info text. */
static void
link_as_text(struct ctx *c, const struct gemtext_line *l)
{
	char *s;
	size_t n;

	if (l->text == NULL) {
		wrap(c, "", "", l->url, l->urllen);
		return;
	}
	n = l->textlen + l->urllen + 3;
	if ((s = malloc(n)) == NULL) {
		c->w.err = 1;
		return;
	}
	memcpy(s, l->text, l->textlen);
	memcpy(s + l->textlen, " (", 2);
	memcpy(s + l->textlen + 2, l->url, l->urllen);
	s[n - 1] = ')';
	wrap(c, "", "", s, n);
	free(s);
}

/* An h item sending the reader on to prefix + url through a URL: page. */
static int
url_item(struct ctx *c, const char *display, size_t displen,
    const char *prefix, const char *url, size_t urllen)
{
	char sel[REQUEST_MAX + 1];
	size_t plen = strlen(prefix);

	if (urllen > sizeof(sel) - 5 - plen)
		return -1;
	memcpy(sel, "URL:", 4);
	memcpy(sel + 4, prefix, plen);
	memcpy(sel + 4 + plen, url, urllen);
	if (!gopher_url_allowed(sel + 4, plen + urllen))
		return -1;
	put_item(&c->w, 'h', display, displen, sel, 4 + plen + urllen,
	    c->host, c->hostlen, c->port);
	return 0;
}

/* gopher://host[:port]/<type><selector>: an item of that server. */
static int
gopher_item(struct ctx *c, const char *display, size_t displen,
    const struct uri_ref *u, const char *url, size_t urllen)
{
	char dec[REQUEST_MAX + 2], port[16];
	const char *p, *end;
	size_t declen;
	unsigned portnum;

	if (u->host.len == 0 || (portnum = uri_port(u, GOPHER_PORT)) == 0)
		return -1;
	port_text(portnum, port);
	/* RFC 4266: everything after the first '/' but the fragment. */
	p = u->path.ptr;
	end = u->fragment.ptr != NULL ? u->fragment.ptr - 1 : url + urllen;
	if (p < end && *p == '/')
		p++;
	if (u->path.len == 0 || p == end) {
		put_item(&c->w, '1', display, displen, "", 0,
		    u->host.ptr, u->host.len, port);
		return 0;
	}
	if (uri_percent_decode(p, (size_t)(end - p), dec, sizeof(dec),
	    &declen) != URI_DECODE_OK || link_breaks_line(dec, declen) ||
	    dec[0] <= ' ' || dec[0] > '~')
		return -1;
	put_item(&c->w, dec[0], display, displen, dec + 1, declen - 1,
	    u->host.ptr, u->host.len, port);
	return 0;
}

static void
link_line(struct ctx *c, const struct gemtext_line *l)
{
	const char *display = l->text != NULL ? l->text : l->url;
	size_t displen = l->text != NULL ? l->textlen : l->urllen;
	const char *base = c->o->page_path != NULL ? c->o->page_path : "/";
	struct gemini_target site = { c->o->gemini_host, c->o->gemini_port,
	    NULL, c->o->gemini_aliases, c->o->ngemini_aliases };
	struct link_target t;
	char type;

	link_classify(l->url, l->urllen, base, &site, &t);
	switch (t.kind) {
	case LINK_LOCAL:
		if (t.pathlen > REQUEST_MAX)
			break;
		if (c->o->visible != NULL &&
		    !c->o->visible(c->o->visible_arg, t.path))
			return;
		type = c->o->local_type != NULL ? c->o->local_type(
		    c->o->local_arg, t.path, t.pathlen) : 0;
		put_item(&c->w, type != 0 ? type : mime_gopher_type(t.path,
		    t.pathlen), display, displen, t.path, t.pathlen, c->host,
		    c->hostlen, c->port);
		return;
	case LINK_GOPHER:
		if (gopher_item(c, display, displen, &t.u, l->url,
		    l->urllen) == 0)
			return;
		break;
	case LINK_REMOTE:
		if (url_item(c, display, displen, t.prefix, l->url,
		    l->urllen) == 0)
			return;
		break;
	case LINK_BAD:
		break;
	}
	link_as_text(c, l);
}

static void
render_line(struct ctx *c, const struct gemtext_line *l)
{
	switch (l->kind) {
	case GT_TEXT:
		wrap(c, "", "", l->text, l->textlen);
		break;
	case GT_H1:
		wrap(c, "# ", "", l->text, l->textlen);
		break;
	case GT_H2:
		wrap(c, "## ", "", l->text, l->textlen);
		break;
	case GT_H3:
		wrap(c, "### ", "", l->text, l->textlen);
		break;
	case GT_LIST:
		wrap(c, "* ", "  ", l->text, l->textlen);
		break;
	case GT_QUOTE:
		wrap(c, "> ", "> ", l->text, l->textlen);
		break;
	case GT_PRE_TOGGLE:
		break;		/* fences are markup, not content */
	case GT_PRE_TEXT:
		pre_line(c, l->text, l->textlen);
		break;
	case GT_LINK:
		link_line(c, l);
		break;
	}
}

int
gophermap_render(struct evbuffer *out, const char *src, size_t len,
    const struct gophermap_opts *o)
{
	struct gemtext_iter it;
	struct gemtext_line l;
	struct ctx c;

	ctx_init(&c, out, o);
	/* A byte order mark is no text. */
	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0) {
		src += 3;
		len -= 3;
	}
	gemtext_iter_init(&it, src, len);
	while (!c.w.err && gemtext_iter_next(&it, &l))
		render_line(&c, &l);
	w_add(&c.w, ".\r\n", 3);
	return w_flush(&c.w);
}

int
gophermap_render_lines(struct evbuffer *out, const char *src, size_t len,
    int *in_pre, const struct gophermap_opts *o)
{
	struct gemtext_line l;
	const char *line;
	size_t pos = 0, linelen;
	struct ctx c;

	ctx_init(&c, out, o);
	while (!c.w.err && gemtext_next_line(src, len, &pos, &line, &linelen)) {
		gemtext_classify(line, linelen, *in_pre, &l);
		if (l.kind == GT_PRE_TOGGLE)
			*in_pre = !*in_pre;
		render_line(&c, &l);
	}
	return w_flush(&c.w);
}

int
gophermap_item(struct evbuffer *out, char type, const char *display,
    size_t displen, const char *selector, size_t sellen, const char *host,
    unsigned port)
{
	struct writer w;
	char portstr[16];

	w_init(&w, out);
	port_text(port, portstr);
	if (host == NULL)
		host = "";
	put_item(&w, type, display, displen, selector, sellen, host,
	    strlen(host), portstr);
	return w_flush(&w);
}

int
gophermap_info(struct evbuffer *out, const char *text, size_t len,
    const struct gophermap_opts *o)
{
	struct ctx c;

	ctx_init(&c, out, o);
	wrap(&c, "", "", text, len);
	return w_flush(&c.w);
}

int
gophermap_error(struct evbuffer *out, const char *msg, const char *host,
    unsigned port)
{
	if (msg == NULL)
		msg = "Error";
	if (gophermap_item(out, '3', msg, strlen(msg), "", 0, host,
	    port) == -1)
		return -1;
	return gophermap_end(out);
}

int
gophermap_end(struct evbuffer *out)
{
	return evbuffer_add(out, ".\r\n", 3);
}

int
gopherplus_dollar_reply(struct evbuffer *out, const char *host,
    unsigned port)
{
	if (evbuffer_add(out, "+-1\r\n+INFO: ", 12) == -1 ||
	    gophermap_item(out, '1', "Main menu", 9, "", 0, host, port) == -1 ||
	    gophermap_end(out) == -1)
		return -1;
	return 0;
}
