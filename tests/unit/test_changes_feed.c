/* The change list: the gemsub page, the Atom feed and the Gopher menu. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "changes_feed.h"
#include "gophermap.h"
#include "unit.h"
#include "unit_evbuffer.h"

/* 2026-12-01T10:20:30Z, and a day before. */
#define T1	1796120430LL
#define T0	(T1 - 86400)

static const struct change_entry entries[] = {
	{ "/news/visa.gmi", "Visa rules & <changes>", T1 },
	{ "/dir/index.gmi", "Directory \"home\"", T0 },
	{ "/caf\xc3\xa9 page.gmi", "Caf\xc3\xa9 it's", 0 },
};

static void
test_link(void)
{
	char out[64];

	CHECK_INT(changes_link("/a/index.gmi", 0, out, sizeof(out)), 3);
	CHECK_STR(out, "/a/");
	CHECK_INT(changes_link("/index.gmi", 1, out, sizeof(out)), 1);
	CHECK_STR(out, "/");
	CHECK_INT(changes_link("/a b/x.gmi", 1, out, sizeof(out)), 12);
	CHECK_STR(out, "/a%20b/x.gmi");
	CHECK_INT(changes_link("/notindex.gmi", 0, out, sizeof(out)), 13);
	CHECK_STR(out, "/notindex.gmi");
	CHECK_INT(changes_link("/abcdefgh", 0, out, 9), -1);
}

static void
test_gemsub(void)
{
	struct evbuffer *b = evbuffer_new();
	size_t len;
	char *s;

	if (b == NULL)
		abort();
	CHECK_INT(changes_gemsub(b, "office.example", entries, 3), 0);
	s = drain(b, &len);
	CHECK_STR(s, "# office.example\n## Recent changes\n\n"
	    "=> /news/visa.gmi 2026-12-01 Visa rules & <changes>\n"
	    "=> /dir/ 2026-11-30 Directory \"home\"\n"
	    "=> /caf%C3%A9%20page.gmi 1970-01-01 Caf\xc3\xa9 it's\n");
	free(s);
	CHECK_INT(changes_gemsub(b, "x", NULL, 0), 0);
	s = drain(b, &len);
	CHECK_STR(s, "# x\n## Recent changes\n\nNo page yet.\n");
	free(s);
	evbuffer_free(b);
}

static void
test_atom(void)
{
	static const struct feed_links l = {
		"office.example", "gemini://office.example:1966",
		"gemini://office.example:1966/atom.xml",
		"gemini://office.example:1966/changes.gmi",
	};
	static const struct change_entry odd[] = {
		{ "/a&b.gmi", "ctl\x01\x1f ok\xff", T1 },
	};
	struct evbuffer *b = evbuffer_new();
	size_t len;
	char *s;

	if (b == NULL)
		abort();
	CHECK_INT(changes_atom(b, &l, entries, 2), 0);
	s = drain(b, &len);
	CHECK_STR(s, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
	    "<title>office.example</title>\n"
	    "<subtitle>Recent changes</subtitle>\n"
	    "<id>tag:office.example,2026:changes</id>\n"
	    "<link rel=\"self\" href=\"gemini://office.example:1966/"
	    "atom.xml\"/>\n"
	    "<link rel=\"alternate\" href=\"gemini://office.example:1966/"
	    "changes.gmi\"/>\n"
	    "<updated>2026-12-01T10:20:30Z</updated>\n"
	    "<author><name>office.example</name>\n</author>\n"
	    "<entry>\n"
	    "<title>Visa rules &amp; &lt;changes&gt;</title>\n"
	    "<link rel=\"alternate\" href=\"gemini://office.example:1966/"
	    "news/visa.gmi\"/>\n"
	    "<id>tag:office.example,2026:/news/visa.gmi</id>\n"
	    "<updated>2026-12-01T10:20:30Z</updated>\n"
	    "</entry>\n"
	    "<entry>\n"
	    "<title>Directory &quot;home&quot;</title>\n"
	    "<link rel=\"alternate\" href=\"gemini://office.example:1966/"
	    "dir/\"/>\n"
	    "<id>tag:office.example,2026:/dir/index.gmi</id>\n"
	    "<updated>2026-11-30T10:20:30Z</updated>\n"
	    "</entry>\n"
	    "</feed>\n");
	free(s);
	/* What XML cannot carry is left out; the rest escaped. */
	CHECK_INT(changes_atom(b, &l, odd, 1), 0);
	s = drain(b, &len);
	CHECK(strstr(s, "<title>ctl ok</title>") != NULL);
	CHECK(strstr(s, "href=\"gemini://office.example:1966/a&amp;b.gmi\"")
	    != NULL);
	CHECK(strstr(s, "<id>tag:office.example,2026:/a&amp;b.gmi</id>") !=
	    NULL);
	free(s);
	/* No entry: still a valid feed, updated at the epoch. */
	CHECK_INT(changes_atom(b, &l, NULL, 0), 0);
	s = drain(b, &len);
	CHECK(strstr(s, "<updated>1970-01-01T00:00:00Z</updated>") != NULL);
	CHECK(strstr(s, "<entry>") == NULL);
	CHECK(strstr(s, "</feed>\n") != NULL);
	free(s);
	evbuffer_free(b);
}

static void
test_menu(void)
{
	struct gophermap_opts o;
	struct evbuffer *b = evbuffer_new();
	size_t len;
	char *s;

	if (b == NULL)
		abort();
	memset(&o, 0, sizeof(o));
	o.host = "office.example";
	o.port = 70;
	CHECK_INT(changes_menu(b, "office.example", entries, 2, &o), 0);
	s = drain(b, &len);
	CHECK_STR(s, "iRecent changes on office.example\t\toffice.example\t70"
	    "\r\n"
	    "i\t\toffice.example\t70\r\n"
	    "12026-12-01 Visa rules & <changes>\t/news/visa.gmi\t"
	    "office.example\t70\r\n"
	    "12026-11-30 Directory \"home\"\t/dir/\toffice.example\t70\r\n"
	    ".\r\n");
	free(s);
	CHECK_INT(changes_menu(b, "x", NULL, 0, &o), 0);
	s = drain(b, &len);
	CHECK_STR(s, "iRecent changes on x\t\toffice.example\t70\r\n"
	    "i\t\toffice.example\t70\r\n"
	    "iNo page yet.\t\toffice.example\t70\r\n.\r\n");
	free(s);
	evbuffer_free(b);
}

int
main(void)
{
	test_link();
	test_gemsub();
	test_atom();
	test_menu();
	return unit_done("changes_feed");
}
