/* Hand-written Gopher menus: gophermap files (pure). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "gemtext.h"
#include "gophermap.h"
#include "gophermap_file.h"
#include "uri.h"
#include "utf8.h"

#define GOPHER_PORT	70
#define HOST_MAX	255

void
gmf_init(struct gmf_iter *it, const char *buf, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->buf = buf;
	it->len = len;
}

static int
bad(struct gmf_line *l, const char *why)
{
	l->kind = GMF_BAD;
	l->why = why;
	return 1;
}

/* The port field: 0 when empty, -1 when not 1 to 65535. */
static long
port_of(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	if (len == 0)
		return 0;
	if (len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* The fields of an item line after its type, at the TABs. */
static int
fields(struct gmf_line *l)
{
	const char *f[5], *end = l->text + l->textlen, *tab;
	size_t n[5], k = 0;
	const char *p = l->text + 1;
	long port;

	for (;;) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if (k == 4)
			return bad(l, "more than four fields");
		f[k] = p;
		n[k++] = tab != NULL ? (size_t)(tab - p) : (size_t)(end - p);
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	l->display = f[0];
	l->displen = n[0];
	l->selector = f[1];
	l->sellen = n[1];
	if (l->sellen > REQUEST_MAX)
		return bad(l, "selector longer than " STR(REQUEST_MAX)
		    " bytes");
	if (k > 2 && n[2] > 0) {
		if (n[2] > HOST_MAX)
			return bad(l, "host name too long");
		l->host = f[2];
		l->hostlen = n[2];
	}
	if (k > 3 && (port = port_of(f[3], n[3])) == -1)
		return bad(l, "port is not a number from 1 to 65535");
	l->port = k > 3 ? (unsigned)port : 0;
	l->kind = GMF_ITEM;
	return 1;
}

int
gmf_next(struct gmf_iter *it, struct gmf_line *l)
{
	const char *line;
	size_t len, i;

	if (it->ended ||
	    !gemtext_next_line(it->buf, it->len, &it->pos, &line, &len))
		return 0;
	memset(l, 0, sizeof(*l));
	l->lineno = ++it->lineno;
	l->text = line;
	l->textlen = len;
	if (len == 1 && line[0] == '.') {
		it->ended = 1;
		return 0;
	}
	if (!utf8_valid(line, len))
		return bad(l, "not valid UTF-8");
	for (i = 0; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
		    line[i] == 0x7f)
			return bad(l, "control character in the line");
	if (memchr(line, '\t', len) == NULL) {
		l->kind = GMF_INFO;
		l->type = 'i';
		l->display = line;
		l->displen = len;
		return 1;
	}
	l->type = line[0];
	if (line[0] == '\t')
		return bad(l, "item without a type (the line starts with "
		    "a TAB)");
	if ((unsigned char)line[0] <= 0x20 || (unsigned char)line[0] >= 0x7f)
		return bad(l, "item type is not a printable ASCII character");
	return fields(l);
}

/* Whether the item stays on this server, where relative paths mean. */
static int
is_local(const struct gmf_line *l, const char *host)
{
	return l->host == NULL || (strlen(host) == l->hostlen &&
	    strncasecmp(l->host, host, l->hostlen) == 0);
}

static int
render_item(struct evbuffer *out, const struct gmf_line *l,
    const char *dirpath, const struct gophermap_opts *o)
{
	char sel[2 * REQUEST_MAX + 2], host[HOST_MAX + 1];
	const char *s = l->selector;
	size_t n = l->sellen;
	unsigned port = l->port;
	int r;

	if (is_local(l, o->host)) {
		if (port == 0)
			port = o->port;
		/* "page.gmi" is the directory's; "URL:..." is no path. */
		if (n > 0 && s[0] != '/' && !(n >= 4 &&
		    memcmp(s, "URL:", 4) == 0)) {
			r = uri_resolve_path(dirpath, strlen(dirpath), s, n,
			    sel, sizeof(sel));
			if (r == -1 || r > REQUEST_MAX)
				return gophermap_item(out, 'i', l->text,
				    l->textlen, "", 0, o->host, o->port);
			s = sel;
			n = (size_t)r;
		}
	} else if (port == 0)
		port = GOPHER_PORT;
	if (l->host != NULL) {
		memcpy(host, l->host, l->hostlen);
		host[l->hostlen] = '\0';
	}
	return gophermap_item(out, l->type, l->display, l->displen, s, n,
	    l->host != NULL ? host : o->host, port);
}

int
gophermap_file_render(struct evbuffer *out, const char *text, size_t len,
    const char *dirpath, const struct gophermap_opts *o, int end)
{
	struct gmf_iter it;
	struct gmf_line l;
	int r;

	gmf_init(&it, text, len);
	while (gmf_next(&it, &l)) {
		if (l.kind == GMF_ITEM)
			r = render_item(out, &l, dirpath, o);
		else
			r = gophermap_item(out, 'i', l.text, l.textlen, "", 0,
			    o->host, o->port);
		if (r == -1)
			return -1;
	}
	return end ? gophermap_end(out) : 0;
}
