/* The change list as a gemsub page, an Atom feed and a Gopher menu (pure). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "bounds.h"
#include "changes_feed.h"
#include "gophermap.h"
#include "mime.h"
#include "uri.h"
#include "utf8.h"

#define LINK_MAX	(3 * REQUEST_MAX + 1)
#define MENU_LINE_MAX	512	/* a menu line: a date, a title, a name */

int
changes_link(const char *path, int encode, char *out, size_t outsz)
{
	size_t len = strlen(path);

	if (len >= 10 && strcmp(path + len - 10, "/index.gmi") == 0)
		len -= 9;
	if (encode)
		return uri_percent_encode_path(path, len, out, outsz, 0);
	if (len >= outsz)
		return -1;
	memcpy(out, path, len);
	out[len] = '\0';
	return (int)len;
}

/* The UTC date of t, with its time (RFC 3339) when full is set. */
static void
utc(int64_t t, int full, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (gmtime_r(&tt, &tm) != NULL)
		n = full ? strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) :
		    strftime(out, outsz, "%Y-%m-%d", &tm);
	if (n == 0)
		snprintf(out, outsz, "%s", full ? "1970-01-01T00:00:00Z" :
		    "1970-01-01");
}

int
changes_gemsub(struct evbuffer *out, const char *site,
    const struct change_entry *e, size_t n)
{
	char link[LINK_MAX], day[16];
	size_t i;

	if (evbuffer_add_printf(out, "# %s\n## Recent changes\n\n", site) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (changes_link(e[i].path, 1, link, sizeof(link)) == -1)
			continue;
		utc(e[i].mtime, 0, day, sizeof(day));
		if (evbuffer_add_printf(out, "=> %s %s %s\n", link, day,
		    e[i].title) < 0)
			return -1;
	}
	if (n == 0 && evbuffer_add_printf(out, "No page yet.\n") < 0)
		return -1;
	return 0;
}

/* s as XML text: escaped, without what XML 1.0 cannot hold. */
static int
xml_text(struct evbuffer *out, const char *s)
{
	size_t i = 0, n, len = strlen(s);
	const char *esc;
	uint32_t cp;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		esc = NULL;
		if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' &&
		    cp != '\r') || cp == 0xfffe || cp == 0xffff) {
			i += n > 0 ? n : 1;
			continue;
		}
		switch (cp) {
		case '&':
			esc = "&amp;";
			break;
		case '<':
			esc = "&lt;";
			break;
		case '>':
			esc = "&gt;";
			break;
		case '"':
			esc = "&quot;";
			break;
		case '\'':
			esc = "&apos;";
			break;
		}
		if ((esc != NULL ? evbuffer_add(out, esc, strlen(esc)) :
		    evbuffer_add(out, s + i, n)) == -1)
			return -1;
		i += n;
	}
	return 0;
}

/* "<name>text</name>", the text escaped. */
static int
element(struct evbuffer *out, const char *name, const char *text)
{
	if (evbuffer_add_printf(out, "<%s>", name) < 0 ||
	    xml_text(out, text) == -1 ||
	    evbuffer_add_printf(out, "</%s>\n", name) < 0)
		return -1;
	return 0;
}

static int
link_element(struct evbuffer *out, const char *rel, const char *href,
    const char *path)
{
	if (evbuffer_add_printf(out, "<link rel=\"%s\" href=\"", rel) < 0 ||
	    xml_text(out, href) == -1 ||
	    (path != NULL && xml_text(out, path) == -1) ||
	    evbuffer_add_printf(out, "\"/>\n") < 0)
		return -1;
	return 0;
}

static int
atom_entry(struct evbuffer *out, const struct feed_links *l,
    const struct change_entry *e)
{
	char link[LINK_MAX], id[LINK_MAX + 64], when[32];

	if (changes_link(e->path, 1, link, sizeof(link)) == -1 ||
	    uri_percent_encode_path(e->path, strlen(e->path), id, sizeof(id),
	    0) == -1)
		return 0;
	utc(e->mtime, 1, when, sizeof(when));
	if (evbuffer_add_printf(out, "<entry>\n") < 0 ||
	    element(out, "title", e->title) == -1 ||
	    link_element(out, "alternate", l->pages, link) == -1 ||
	    evbuffer_add_printf(out, "<id>tag:") < 0 ||
	    xml_text(out, l->site) == -1 ||
	    evbuffer_add_printf(out, "," CHANGES_TAG_DATE ":") < 0 ||
	    xml_text(out, id) == -1 ||
	    evbuffer_add_printf(out, "</id>\n<updated>%s</updated>\n"
	    "</entry>\n", when) < 0)
		return -1;
	return 0;
}

int
changes_atom(struct evbuffer *out, const struct feed_links *l,
    const struct change_entry *e, size_t n)
{
	char when[32];
	int64_t latest = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].mtime > latest)
			latest = e[i].mtime;
	utc(latest, 1, when, sizeof(when));
	if (evbuffer_add_printf(out, "<?xml version=\"1.0\" "
	    "encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n") < 0 ||
	    element(out, "title", l->site) == -1 ||
	    element(out, "subtitle", "Recent changes") == -1 ||
	    evbuffer_add_printf(out, "<id>tag:") < 0 ||
	    xml_text(out, l->site) == -1 ||
	    evbuffer_add_printf(out, "," CHANGES_TAG_DATE ":changes</id>\n") <
	    0 ||
	    link_element(out, "self", l->self, NULL) == -1 ||
	    link_element(out, "alternate", l->alternate, NULL) == -1 ||
	    evbuffer_add_printf(out, "<updated>%s</updated>\n<author>", when) <
	    0 || element(out, "name", l->site) == -1 ||
	    evbuffer_add_printf(out, "</author>\n") < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (atom_entry(out, l, &e[i]) == -1)
			return -1;
	return evbuffer_add_printf(out, "</feed>\n") < 0 ? -1 : 0;
}

int
changes_menu(struct evbuffer *out, const char *site,
    const struct change_entry *e, size_t n, const struct gophermap_opts *o)
{
	char line[MENU_LINE_MAX], sel[PATH_MAX], day[16];
	int len, sellen;
	size_t i;

	len = snprintf(line, sizeof(line), "Recent changes on %s", site);
	if (len < 0 || gophermap_info(out, line, strlen(line), o) == -1 ||
	    gophermap_info(out, "", 0, o) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((sellen = changes_link(e[i].path, 0, sel, sizeof(sel))) ==
		    -1 || sellen > REQUEST_MAX)
			continue;
		utc(e[i].mtime, 0, day, sizeof(day));
		len = snprintf(line, sizeof(line), "%s %s", day, e[i].title);
		if (len < 0)
			continue;
		if (gophermap_item(out, mime_gopher_type(sel, (size_t)sellen),
		    line, strlen(line), sel, (size_t)sellen, o->host,
		    o->port) == -1)
			return -1;
	}
	if (n == 0 && gophermap_info(out, "No page yet.", 12, o) == -1)
		return -1;
	return gophermap_end(out);
}
