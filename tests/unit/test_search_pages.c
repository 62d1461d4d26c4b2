/* The pages of a search: results as gemtext and as Gopher menus. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gophermap.h"
#include "search_pages.h"
#include "unit.h"
#include "unit_evbuffer.h"

static const struct search_result results[] = {
	{ "/extradition.gmi", "Extradition", "Requests go through Interpol." },
	{ "/dir/index.gmi", "A directory", "" },
	{ "/notes.txt", "notes.txt", "interpol notes" },
};

static struct query q;

static const char *
gemtext(const char *search, size_t total, unsigned page,
    const struct search_result *r, size_t n)
{
	static char *last;
	struct search_page p = { search, &q, total, page, r, n };
	struct evbuffer *b = evbuffer_new();
	size_t len;

	if (b == NULL)
		abort();
	free(last);
	last = NULL;
	if (search_page_gemtext(b, &p) == 0)
		last = drain(b, &len);
	evbuffer_free(b);
	return last;
}

static const char *
menu(const char *search, size_t total, unsigned page,
    const struct search_result *r, size_t n)
{
	static char *last;
	struct search_page p = { search, &q, total, page, r, n };
	struct gophermap_opts o;
	struct evbuffer *b = evbuffer_new();
	size_t len;

	if (b == NULL)
		abort();
	memset(&o, 0, sizeof(o));
	o.host = "h";
	o.port = 70;
	free(last);
	last = NULL;
	if (search_page_menu(b, &p, &o) == 0)
		last = drain(b, &len);
	evbuffer_free(b);
	return last;
}

static void
test_gemtext(void)
{
	query_parse("interpol", 8, 0, &q);
	CHECK_STR(gemtext("/search", 3, 1, results, 3),
	    "# Search: interpol\n\n3 pages match.\n"
	    "\n=> /extradition.gmi Extradition\n"
	    "> Requests go through Interpol.\n"
	    "\n=> /dir/ A directory\n"
	    "\n=> /notes.txt notes.txt\n> interpol notes\n"
	    "\n=> /search New search\n");
	CHECK_STR(gemtext("/search", 1, 1, results, 1),
	    "# Search: interpol\n\n1 page matches.\n"
	    "\n=> /extradition.gmi Extradition\n"
	    "> Requests go through Interpol.\n"
	    "\n=> /search New search\n");
	CHECK_STR(gemtext("/search", 0, 1, NULL, 0),
	    "# Search: interpol\n\nNo page matches.\n"
	    "\n=> /search New search\n");
	/* Pages of results; the query goes in the links encoded. */
	query_parse("caf%C3%A9 & \"x y\"", 17, 1, &q);
	CHECK_STR(gemtext("/find it", 23, 2, results, 1),
	    "# Search: caf\xc3\xa9 & \"x y\"\n\n"
	    "23 pages match; results 11 to 11:\n"
	    "\n=> /extradition.gmi Extradition\n"
	    "> Requests go through Interpol.\n\n"
	    "=> /find%20it?caf%C3%A9%20%26%20%22x%20y%22 Previous results 1 "
	    "to 10 of 23\n"
	    "=> /find%20it/3?caf%C3%A9%20%26%20%22x%20y%22 Next results 21 to "
	    "23 of 23\n"
	    "=> /find%20it New search\n");
	CHECK_STR(gemtext("/s", 3, 4, NULL, 0),
	    "# Search: caf\xc3\xa9 & \"x y\"\n\n"
	    "3 pages match; none on page 4.\n\n"
	    "=> /s?caf%C3%A9%20%26%20%22x%20y%22 Previous results 1 to 3 "
	    "of 3\n=> /s New search\n");
}

static void
test_menu(void)
{
	query_parse("interpol", 8, 0, &q);
	CHECK_STR(menu("/search", 3, 1, results, 3),
	    "iSearch: interpol\t\th\t70\r\n"
	    "i\t\th\t70\r\n"
	    "i3 pages match.\t\th\t70\r\n"
	    "i\t\th\t70\r\n"
	    "1Extradition\t/extradition.gmi\th\t70\r\n"
	    "iRequests go through Interpol.\t\th\t70\r\n"
	    "i\t\th\t70\r\n"
	    "1A directory\t/dir/\th\t70\r\n"
	    "i\t\th\t70\r\n"
	    "0notes.txt\t/notes.txt\th\t70\r\n"
	    "iinterpol notes\t\th\t70\r\n"
	    "i\t\th\t70\r\n"
	    "7New search\t/search\th\t70\r\n"
	    ".\r\n");
	CHECK_STR(menu("/search", 12, 1, results, 1),
	    "iSearch: interpol\t\th\t70\r\n"
	    "i\t\th\t70\r\n"
	    "i12 pages match; results 1 to 1:\t\th\t70\r\n"
	    "i\t\th\t70\r\n"
	    "1Extradition\t/extradition.gmi\th\t70\r\n"
	    "iRequests go through Interpol.\t\th\t70\r\n"
	    "i\t\th\t70\r\n"
	    "1Next results 11 to 12 of 12\t/search/2?interpol\th\t70\r\n"
	    "7New search\t/search\th\t70\r\n"
	    ".\r\n");
}

static void
test_prompt(void)
{
	struct gophermap_opts o;
	struct evbuffer *b = evbuffer_new();
	size_t len;
	char *s;

	if (b == NULL)
		abort();
	memset(&o, 0, sizeof(o));
	o.host = "h";
	o.port = 7070;
	CHECK_INT(search_prompt_menu(b, "/search", NULL, &o), 0);
	s = drain(b, &len);
	CHECK_STR(s, "7Search this capsule\t/search\th\t7070\r\n.\r\n");
	free(s);
	CHECK_INT(search_prompt_menu(b, "/s", "Type some words.", &o), 0);
	s = drain(b, &len);
	CHECK_STR(s, "iType some words.\t\th\t7070\r\ni\t\th\t7070\r\n"
	    "7Search this capsule\t/s\th\t7070\r\n.\r\n");
	free(s);
	evbuffer_free(b);
}

static void
test_link(void)
{
	char out[64];

	query_parse("a b", 3, 0, &q);
	CHECK_INT(search_page_link("/search", 1, &q, out, sizeof(out)), 13);
	CHECK_STR(out, "/search?a%20b");
	CHECK_INT(search_page_link("/search", 12, &q, out, sizeof(out)), 16);
	CHECK_STR(out, "/search/12?a%20b");
	CHECK_INT(search_page_link("/search", 12, &q, out, 16), -1);
	/* Nothing of the query reads as a path's segment. */
	query_parse("a/../b.c", 8, 0, &q);
	CHECK_INT(search_page_link("/s", 1, &q, out, sizeof(out)), 21);
	CHECK_STR(out, "/s?a%2F%2E%2E%2Fb%2Ec");
}

int
main(void)
{
	test_gemtext();
	test_menu();
	test_prompt();
	test_link();
	return unit_done("search_pages");
}
