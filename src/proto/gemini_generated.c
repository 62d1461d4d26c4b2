/* Gemini: the pages the server makes up (search, change list, Atom). */
#include <string.h>

#include <event2/buffer.h>

#include "conn.h"
#include "gemini_generated.h"
#include "gemini_reply.h"
#include "generation.h"
#include "log.h"
#include "search_query.h"
#include "site_pages.h"

#define PROMPT		"Search this capsule"
#define NOT_READY	" not ready, try again shortly"

/* The body in out, after a 20 of mime; out is freed. */
static void
send_page(struct conn *c, struct evbuffer *out, enum site_answer a,
    const char *mime, const char *lang, enum site_page what)
{
	switch (a) {
	case SITE_ANSWER_OK:
		if (gemini_success(c, mime, lang) == -1 ||
		    conn_write_buffer(c, out) == -1)
			log_warn("%s: out of memory for a page", conn_peer(c));
		break;
	case SITE_ANSWER_NOT_READY:
		gemini_header_only(c, 40, what == SITE_PAGE_SEARCH ?
		    "Search index" NOT_READY : "Change list" NOT_READY,
		    "index not ready");
		break;
	case SITE_ANSWER_NOMEM:
		gemini_header_only(c, 40, "Temporary failure",
		    "out of memory");
		break;
	}
	evbuffer_free(out);
}

static void
search(struct conn *c, const struct gemini_request *req, unsigned page,
    const char *lang, struct evbuffer *out)
{
	struct query q;

	if (!req->has_query) {
		gemini_header_only(c, 10, PROMPT, NULL);
		evbuffer_free(out);
		return;
	}
	switch (query_parse(req->query, strlen(req->query), 1, &q)) {
	case QUERY_OK:
		send_page(c, out, site_search(conn_site(c), conn_worker(c), &q,
		    page, NULL, out), "text/gemini", lang, SITE_PAGE_SEARCH);
		return;
	case QUERY_EMPTY:
		gemini_header_only(c, 10, PROMPT, NULL);
		break;
	case QUERY_TOO_LONG:
		gemini_header_only(c, 59, "Query too long", "query too long");
		break;
	case QUERY_NOT_UTF8:
		gemini_header_only(c, 59, "Query is not UTF-8",
		    "query not UTF-8");
		break;
	}
	evbuffer_free(out);
}

int
gemini_generated(struct conn *c, const struct gemini_request *req,
    const char *lang)
{
	struct site_feed feed;
	struct evbuffer *out;
	enum site_page what;
	unsigned page;

	what = site_page_route(conn_site(c), req->path, req->pathlen, &page);
	if (what == SITE_PAGE_NONE ||
	    site_file_wins(conn_site(c), req->path, req->pathlen))
		return 0;
	if ((out = evbuffer_new()) == NULL) {
		gemini_header_only(c, 40, "Temporary failure", "out of memory");
		return 1;
	}
	switch (what) {
	case SITE_PAGE_SEARCH:
		search(c, req, page, lang, out);
		break;
	case SITE_PAGE_CHANGES:
		send_page(c, out, site_changes(conn_site(c), conn_worker(c), what,
		    NULL, NULL, out), "text/gemini", lang, what);
		break;
	default:
		site_feed_links(conn_site(c), conn_generation(c)->conf->gemini_port, &feed);
		send_page(c, out, site_changes(conn_site(c), conn_worker(c), what,
		    &feed.l, NULL, out), "application/atom+xml", NULL, what);
		break;
	}
	return 1;
}
