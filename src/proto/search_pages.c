/* The pages of a search, as gemtext and as Gopher menus (pure). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "bounds.h"
#include "changes_feed.h"
#include "gophermap.h"
#include "mime.h"
#include "search_pages.h"
#include "uri.h"

#define LINK_MAX	(3 * REQUEST_MAX + 1)
#define SAY_MAX		128

/*
 * The query for a link: all but letters, digits, '-', '_' and '~'
 * encoded, so that no '/' or '.' of it is a path's segment in a Gopher
 * selector ("/search/2?a%2F..%2Fb").
 */
static void
encode_query(const struct query *q, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i, o = 0;

	for (i = 0; i < q->textlen; i++) {
		c = (unsigned char)q->text[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '~')
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

int
search_page_link(const char *search_path, unsigned page,
    const struct query *q, char *out, size_t outsz)
{
	char path[3 * PATH_MAX], query[3 * QUERY_MAX + 1];
	int n;

	if (uri_percent_encode_path(search_path, strlen(search_path), path,
	    sizeof(path), 0) == -1)
		return -1;
	encode_query(q, query);
	if (page > 1)
		n = snprintf(out, outsz, "%s/%u?%s", path, page, query);
	else
		n = snprintf(out, outsz, "%s?%s", path, query);
	return n < 0 || (size_t)n >= outsz ? -1 : n;
}

/* "3 pages match." and where this page is in them. */
static void
say_count(const struct search_page *p, char *out, size_t outsz)
{
	size_t first = (size_t)(p->page - 1) * SEARCH_PAGE_SIZE + 1;

	if (p->total == 0)
		snprintf(out, outsz, "No page matches.");
	else if (p->n == 0)
		snprintf(out, outsz, "%zu page%s match%s; none on page %u.",
		    p->total, p->total == 1 ? "" : "s",
		    p->total == 1 ? "es" : "", p->page);
	else if (p->total <= SEARCH_PAGE_SIZE)
		snprintf(out, outsz, "%zu page%s match%s.", p->total,
		    p->total == 1 ? "" : "s", p->total == 1 ? "es" : "");
	else
		snprintf(out, outsz, "%zu pages match; results %zu to %zu:",
		    p->total, first, first + p->n - 1);
}

/* The page before this one (the last, after the end); 0: none. */
static unsigned
prev_page(const struct search_page *p)
{
	size_t last = (p->total + SEARCH_PAGE_SIZE - 1) / SEARCH_PAGE_SIZE;

	if (p->page <= 1 || last == 0)
		return 0;
	return p->page - 1 < last ? p->page - 1 : (unsigned)last;
}

static int
has_next(const struct search_page *p)
{
	return (size_t)p->page * SEARCH_PAGE_SIZE < p->total;
}

/* "results 11 to 20 of 23" for page. */
static void
say_range(const struct search_page *p, unsigned page, char *out,
    size_t outsz)
{
	size_t first = (size_t)(page - 1) * SEARCH_PAGE_SIZE + 1;
	size_t last = first + SEARCH_PAGE_SIZE - 1;

	if (last > p->total)
		last = p->total;
	snprintf(out, outsz, "results %zu to %zu of %zu", first, last,
	    p->total);
}

int
search_page_gemtext(struct evbuffer *out, const struct search_page *p)
{
	char link[LINK_MAX], say[SAY_MAX], path[3 * PATH_MAX];
	size_t i;

	say_count(p, say, sizeof(say));
	if (evbuffer_add_printf(out, "# Search: %s\n\n%s\n", p->q->text,
	    say) < 0)
		return -1;
	for (i = 0; i < p->n; i++) {
		if (changes_link(p->r[i].path, 1, link, sizeof(link)) == -1)
			continue;
		if (evbuffer_add_printf(out, "\n=> %s %s\n", link,
		    p->r[i].title) < 0 || (p->r[i].extract[0] != '\0' &&
		    evbuffer_add_printf(out, "> %s\n", p->r[i].extract) < 0))
			return -1;
	}
	if (evbuffer_add_printf(out, "\n") < 0)
		return -1;
	if (prev_page(p) > 0 && search_page_link(p->search_path, prev_page(p),
	    p->q, link, sizeof(link)) != -1) {
		say_range(p, prev_page(p), say, sizeof(say));
		if (evbuffer_add_printf(out, "=> %s Previous %s\n", link,
		    say) < 0)
			return -1;
	}
	if (has_next(p) && search_page_link(p->search_path, p->page + 1, p->q,
	    link, sizeof(link)) != -1) {
		say_range(p, p->page + 1, say, sizeof(say));
		if (evbuffer_add_printf(out, "=> %s Next %s\n", link, say) < 0)
			return -1;
	}
	if (uri_percent_encode_path(p->search_path, strlen(p->search_path),
	    path, sizeof(path), 0) == -1)
		return 0;
	return evbuffer_add_printf(out, "=> %s New search\n", path) < 0 ?
	    -1 : 0;
}

/* A menu item to another page of the results, if its selector fits. */
static int
page_item(struct evbuffer *out, const struct search_page *p, unsigned page,
    const char *what, const struct gophermap_opts *o)
{
	char sel[LINK_MAX], say[SAY_MAX], label[SAY_MAX + 16];
	int n;

	if ((n = search_page_link(p->search_path, page, p->q, sel,
	    sizeof(sel))) == -1 || n > REQUEST_MAX)
		return 0;
	say_range(p, page, say, sizeof(say));
	snprintf(label, sizeof(label), "%s %s", what, say);
	return gophermap_item(out, '1', label, strlen(label), sel, (size_t)n,
	    o->host, o->port);
}

int
search_page_menu(struct evbuffer *out, const struct search_page *p,
    const struct gophermap_opts *o)
{
	char sel[PATH_MAX], say[SAY_MAX], head[QUERY_MAX + 16];
	const struct search_result *r;
	size_t i;
	int n;

	n = snprintf(head, sizeof(head), "Search: %s", p->q->text);
	say_count(p, say, sizeof(say));
	if (n < 0 || gophermap_info(out, head, strlen(head), o) == -1 ||
	    gophermap_info(out, "", 0, o) == -1 ||
	    gophermap_info(out, say, strlen(say), o) == -1)
		return -1;
	for (i = 0; i < p->n; i++) {
		r = &p->r[i];
		if ((n = changes_link(r->path, 0, sel, sizeof(sel))) == -1 ||
		    n > REQUEST_MAX)
			continue;
		if (gophermap_info(out, "", 0, o) == -1 ||
		    gophermap_item(out, mime_gopher_type(sel, (size_t)n),
		    r->title, strlen(r->title), sel, (size_t)n, o->host,
		    o->port) == -1 || (r->extract[0] != '\0' &&
		    gophermap_info(out, r->extract, strlen(r->extract), o) ==
		    -1))
			return -1;
	}
	if (gophermap_info(out, "", 0, o) == -1 ||
	    (prev_page(p) > 0 && page_item(out, p, prev_page(p), "Previous",
	    o) == -1) ||
	    (has_next(p) && page_item(out, p, p->page + 1, "Next", o) == -1) ||
	    gophermap_item(out, '7', "New search", 10, p->search_path,
	    strlen(p->search_path), o->host, o->port) == -1)
		return -1;
	return gophermap_end(out);
}

int
search_prompt_menu(struct evbuffer *out, const char *search_path,
    const char *why, const struct gophermap_opts *o)
{
	if (why != NULL && (gophermap_info(out, why, strlen(why), o) == -1 ||
	    gophermap_info(out, "", 0, o) == -1))
		return -1;
	if (gophermap_item(out, '7', "Search this capsule", 19, search_path,
	    strlen(search_path), o->host, o->port) == -1)
		return -1;
	return gophermap_end(out);
}
