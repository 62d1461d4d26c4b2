/* Gopher request lines and the Gopher+ "$" reply. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gopher_request.h"
#include "gophermap.h"
#include "unit.h"

struct req_case {
	const char		*line;
	int			 ret;
	const char		*selector;
	int			 is_root;
	enum gopher_target	 target;
	const char		*url;		/* NULL: absent */
	const char		*search;	/* NULL: no search */
	enum gopher_plus	 plus;
	const char		*plus_data;	/* NULL: absent */
};

#define P_NONE	GOPHER_PLUS_NONE
#define P_ITEM	GOPHER_PLUS_ITEM
#define P_ATTR	GOPHER_PLUS_ATTR
#define P_DIR	GOPHER_PLUS_DIR
#define PATH	GOPHER_TARGET_PATH

static const struct req_case cases[] = {
	{ "", 0, "/", 1, PATH, NULL, NULL, P_NONE, NULL },
	{ "/", 0, "/", 1, PATH, NULL, NULL, P_NONE, NULL },
	{ "/dir/", 0, "/dir/", 0, PATH, NULL, NULL, P_NONE, NULL },
	{ "/dir/page.gmi", 0, "/dir/page.gmi", 0, PATH, NULL, NULL, P_NONE,
	    NULL },
	{ "/my page.gmi", 0, "/my page.gmi", 0, PATH, NULL, NULL, P_NONE,
	    NULL },
	{ "//", 0, "//", 0, PATH, NULL, NULL, P_NONE, NULL },

	/* Search strings. */
	{ "/search\tgopher servers", 0, "/search", 0, PATH, NULL,
	    "gopher servers", P_NONE, NULL },
	{ "\tterm", 0, "/", 1, PATH, NULL, "term", P_NONE, NULL },
	{ "/s\t", 0, "/s", 0, PATH, NULL, "", P_NONE, NULL },
	{ "/s\t+plus", 0, "/s", 0, PATH, NULL, "+plus", P_NONE, NULL },
	{ "/s\t$100", 0, "/s", 0, PATH, NULL, "$100", P_NONE, NULL },
	{ "/s\t!important", 0, "/s", 0, PATH, NULL, "!important", P_NONE,
	    NULL },
	{ "/s\t+ a", 0, "/s", 0, PATH, NULL, "+ a", P_NONE, NULL },
	{ "/s\tterm\t+", 0, "/s", 0, PATH, NULL, "term", P_ITEM, "" },
	{ "/s\tterm\t+\t1", 0, "/s", 0, PATH, NULL, "term", P_ITEM, "\t1" },
	{ "/s\tterm\tjunk", 0, "/s", 0, PATH, NULL, "term", P_NONE, NULL },

	/* Gopher+ suffixes are never searches. */
	{ "\t$", 0, "/", 1, PATH, NULL, NULL, P_DIR, "" },
	{ "/\t$", 0, "/", 1, PATH, NULL, NULL, P_DIR, "" },
	{ "/dir/\t$+INFO", 0, "/dir/", 0, PATH, NULL, NULL, P_DIR, "+INFO" },
	{ "/x\t+", 0, "/x", 0, PATH, NULL, NULL, P_ITEM, "" },
	{ "/x\t+\t1", 0, "/x", 0, PATH, NULL, NULL, P_ITEM, "\t1" },
	{ "/x\t+text/plain", 0, "/x", 0, PATH, NULL, NULL, P_ITEM,
	    "text/plain" },
	{ "/x\t+text/plain En_US", 0, "/x", 0, PATH, NULL, NULL, P_ITEM,
	    "text/plain En_US" },
	{ "/x\t+application/gopher+-menu", 0, "/x", 0, PATH, NULL, NULL,
	    P_ITEM, "application/gopher+-menu" },
	{ "/x\t!", 0, "/x", 0, PATH, NULL, NULL, P_ATTR, "" },
	{ "/x\t!+ABSTRACT", 0, "/x", 0, PATH, NULL, NULL, P_ATTR,
	    "+ABSTRACT" },
	{ "/x\t!+ABSTRACT+ADMIN", 0, "/x", 0, PATH, NULL, NULL, P_ATTR,
	    "+ABSTRACT+ADMIN" },

	/* Virtual selectors. */
	{ "URL:https://example.org/", 0, "URL:https://example.org/", 0,
	    GOPHER_TARGET_URL, "https://example.org/", NULL, P_NONE, NULL },
	{ "/URL:gemini://x/", 0, "/URL:gemini://x/", 0, GOPHER_TARGET_URL,
	    "gemini://x/", NULL, P_NONE, NULL },
	{ "URL:", 0, "URL:", 0, PATH, NULL, NULL, P_NONE, NULL },
	{ "url:http://x/", 0, "url:http://x/", 0, PATH, NULL, NULL, P_NONE,
	    NULL },
	{ "caps.txt", 0, "caps.txt", 0, GOPHER_TARGET_CAPS, NULL, NULL, P_NONE,
	    NULL },
	{ "/caps.txt", 0, "/caps.txt", 0, GOPHER_TARGET_CAPS, NULL, NULL,
	    P_NONE, NULL },
	{ "/dir/caps.txt", 0, "/dir/caps.txt", 0, PATH, NULL, NULL, P_NONE,
	    NULL },
};

static void
check_span(const char *got, size_t gotlen, const char *want, const char *what,
    const char *line)
{
	unit_checks++;
	if (want == NULL ? got != NULL :
	    got == NULL || gotlen != strlen(want) ||
	    memcmp(got, want, gotlen) != 0) {
		unit_failures++;
		fprintf(stderr, "request \"%s\": %s is \"%.*s\"%s, want "
		    "\"%s\"\n", line, what, got ? (int)gotlen : 0,
		    got ? got : "", got ? "" : " (absent)",
		    want ? want : "(absent)");
	}
}

static void
test_parse(void)
{
	struct gopher_request r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct req_case *c = &cases[i];

		CHECK_INT(gopher_request_parse(c->line, strlen(c->line), &r),
		    c->ret);
		check_span(r.selector, r.sellen, c->selector, "selector",
		    c->line);
		CHECK_INT(r.is_root, c->is_root);
		CHECK_INT(r.target, c->target);
		check_span(r.url, r.urllen, c->url, "url", c->line);
		CHECK_INT(r.has_search, c->search != NULL);
		check_span(r.search, r.searchlen, c->search, "search",
		    c->line);
		CHECK_INT(r.plus, c->plus);
		check_span(r.plus_data, r.plus_datalen, c->plus_data,
		    "plus data", c->line);
	}
}

static void
test_reject(void)
{
	struct gopher_request r;
	char big[REQUEST_MAX + 2];

	CHECK_INT(gopher_request_parse("/a\0b", 4, &r), -1);
	CHECK_INT(gopher_request_parse("\0", 1, &r), -1);
	CHECK_INT(gopher_request_parse("/a\tb\0", 5, &r), -1);

	memset(big, 'a', sizeof(big));
	big[0] = '/';
	CHECK_INT(gopher_request_parse(big, REQUEST_MAX, &r), 0);
	CHECK_INT(r.sellen, REQUEST_MAX);
	CHECK_INT(gopher_request_parse(big, REQUEST_MAX + 1, &r), -1);
}

static void
test_dollar(void)
{
	static const char want[] =
	    "+-1\r\n"
	    "+INFO: 1Main menu\t\texample.org\t70\r\n"
	    ".\r\n";
	struct evbuffer *b;
	char got[256];
	size_t len;

	if ((b = evbuffer_new()) == NULL)
		abort();
	CHECK_INT(gopherplus_dollar_reply(b, "example.org", 70), 0);
	len = evbuffer_get_length(b);
	CHECK(len < sizeof(got));
	evbuffer_remove(b, got, sizeof(got));
	CHECK_MEM(got, len, want, sizeof(want) - 1);
	evbuffer_free(b);
}

int
main(void)
{
	test_parse();
	test_reject();
	test_dollar();
	return unit_done("gopher_request");
}
