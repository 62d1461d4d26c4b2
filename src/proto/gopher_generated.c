/* Gopher: the pages the server makes up, and the root menu's items. */
#include <limits.h>
#include <string.h>

#include <event2/buffer.h>

#include "conn.h"
#include "generation.h"
#include "gopher_generated.h"
#include "gopher_reply.h"
#include "gopher_request.h"
#include "gophermap.h"
#include "search_pages.h"
#include "search_query.h"
#include "site_pages.h"

#define NOT_READY	" not ready, try again shortly"

static void
send_page(struct conn *c, struct evbuffer *out, enum site_answer a,
    const char *type, enum site_page what)
{
	switch (a) {
	case SITE_ANSWER_OK:
		gopher_send(c, out, type, NULL);
		break;
	case SITE_ANSWER_NOT_READY:
		gopher_error(c, what == SITE_PAGE_SEARCH ? "Search index"
		    NOT_READY : "Change list" NOT_READY, "index not ready");
		break;
	case SITE_ANSWER_NOMEM:
		gopher_error(c, "Server out of memory", "out of memory");
		break;
	}
}

/*
 * A search: its query is the search string sent after a TAB, or, in the
 * links of a page of results ("/search/2?words"), after the '?'
 * (percent-encoded).
 */
static void
search(struct conn *c, const char *query, size_t qlen, int encoded,
    unsigned page, const struct gopher_request *req, struct evbuffer *out)
{
	const char *search = conf_search_path(conn_site(c)->conf);
	struct gophermap_opts o;
	struct query q;
	enum query_result r = QUERY_EMPTY;

	if (query == NULL && req->has_search) {
		query = req->search;
		qlen = req->searchlen;
	}
	gopher_options(c, search, &o);
	if (query != NULL)
		r = query_parse(query, qlen, encoded, &q);
	switch (r) {
	case QUERY_OK:
		send_page(c, out, site_search(conn_site(c), conn_worker(c), &q, page,
		    &o, out), "1", SITE_PAGE_SEARCH);
		break;
	case QUERY_EMPTY:
		if (search_prompt_menu(out, search, query != NULL ?
		    "Type some words to search for." : NULL, &o) == -1)
			gopher_error(c, "Server out of memory",
			    "out of memory");
		else
			gopher_send(c, out, "1", NULL);
		break;
	case QUERY_TOO_LONG:
		gopher_error(c, "Query too long", "query too long");
		break;
	case QUERY_NOT_UTF8:
		gopher_error(c, "Query is not UTF-8", "query not UTF-8");
		break;
	}
}

int
gopher_generated(struct conn *c, const char *path, size_t len,
    const struct gopher_request *req)
{
	const char *query = memchr(path, '?', len);
	struct gophermap_opts o;
	struct site_feed feed;
	struct evbuffer *out;
	enum site_page what;
	char bare[PATH_MAX];
	size_t n = query != NULL ? (size_t)(query - path) : len;
	unsigned page;

	if (n >= sizeof(bare))
		return 0;
	memcpy(bare, path, n);
	bare[n] = '\0';
	what = site_page_route(conn_site(c), bare, n, &page);
	if (what == SITE_PAGE_NONE || (query != NULL &&
	    what != SITE_PAGE_SEARCH) || site_file_wins(conn_site(c), bare, n))
		return 0;
	if ((out = evbuffer_new()) == NULL) {
		gopher_error(c, "Server out of memory", "out of memory");
		return 1;
	}
	switch (what) {
	case SITE_PAGE_SEARCH:
		search(c, query != NULL ? query + 1 : NULL, query != NULL ?
		    len - n - 1 : 0, query != NULL, page, req, out);
		break;
	case SITE_PAGE_CHANGES:
		gopher_options(c, bare, &o);
		send_page(c, out, site_changes(conn_site(c), conn_worker(c), what,
		    NULL, &o, out), "1", what);
		break;
	default:
		site_feed_links(conn_site(c), conn_generation(c)->conf->gemini_port, &feed);
		send_page(c, out, site_changes(conn_site(c), conn_worker(c), what,
		    &feed.l, NULL, out), "0", what);
		break;
	}
	evbuffer_free(out);
	return 1;
}

/* 1 when the menu has an item whose selector is sel. */
static int
has_selector(struct evbuffer *menu, const char *sel)
{
	char needle[CONF_PAGE_PATH_MAX + 3];
	struct evbuffer_ptr p;
	size_t n = strlen(sel);

	needle[0] = '\t';
	memcpy(needle + 1, sel, n);
	needle[n + 1] = '\t';
	p = evbuffer_search(menu, needle, n + 2, NULL);
	return p.pos != -1;
}

int
gopher_root_items(const struct conn *c, struct evbuffer *menu)
{
	const struct conf_site *cs = conn_site(c)->conf;
	const char *search = conf_search_path(cs);
	const char *changes = conf_changes_path(cs);
	int add_search, add_changes, r = -1;
	struct gophermap_opts o;
	struct evbuffer *head;
	size_t len;

	add_search = cs->search && conn_site(c)->service != NULL &&
	    !has_selector(menu, search);
	add_changes = cs->changes && conn_site(c)->service != NULL &&
	    !has_selector(menu, changes);
	len = evbuffer_get_length(menu);
	if ((!add_search && !add_changes) || len < 3)
		return 0;
	/* The menu without its end, the items, then the end again. */
	if ((head = evbuffer_new()) == NULL ||
	    evbuffer_remove_buffer(menu, head, len - 3) != (int)(len - 3) ||
	    evbuffer_drain(menu, 3) == -1)
		goto out;
	gopher_options(c, "/", &o);
	if (gophermap_info(head, "", 0, &o) == -1 ||
	    (add_search && gophermap_item(head, '7', "Search this capsule",
	    19, search, strlen(search), o.host, o.port) == -1) ||
	    (add_changes && gophermap_item(head, '1', "Recent changes", 14,
	    changes, strlen(changes), o.host, o.port) == -1) ||
	    gophermap_end(head) == -1 || evbuffer_add_buffer(menu, head) == -1)
		goto out;
	r = 0;
out:
	if (head != NULL)
		evbuffer_free(head);
	return r;
}
