/* Hand-written Gopher menus: the gophermap file parser and renderer. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "bounds.h"
#include "gophermap.h"
#include "gophermap_file.h"
#include "unit.h"
#include "unit_evbuffer.h"

struct want_line {
	const char	*text;
	int		 kind;
	char		 type;
	const char	*selector;
	const char	*host;		/* NULL: none given */
	unsigned	 port;
	const char	*why;
};

static const struct want_line lines[] = {
	{ "Welcome", GMF_INFO, 'i', "", NULL, 0, NULL },
	{ "\n", GMF_INFO, 'i', "", NULL, 0, NULL },
	{ "1Docs\t/docs/", GMF_ITEM, '1', "/docs/", NULL, 0, NULL },
	{ "0Notes\tnotes.txt\t\t", GMF_ITEM, '0', "notes.txt", NULL, 0,
	    NULL },
	{ "1Floodgap\t/\tgopher.floodgap.com\t70", GMF_ITEM, '1', "/",
	    "gopher.floodgap.com", 70, NULL },
	{ "hWeb\tURL:https://example.org/", GMF_ITEM, 'h',
	    "URL:https://example.org/", NULL, 0, NULL },
	{ "iInfo with tab\t", GMF_ITEM, 'i', "", NULL, 0, NULL },
	{ "7Search\t/search\tlocalhost\t7070", GMF_ITEM, '7', "/search",
	    "localhost", 7070, NULL },
	{ "\tno type", GMF_BAD, 0, NULL, NULL, 0,
	    "item without a type (the line starts with a TAB)" },
	{ " space type\tx", GMF_BAD, 0, NULL, NULL, 0,
	    "item type is not a printable ASCII character" },
	{ "1a\tb\th\t70\t+", GMF_BAD, 0, NULL, NULL, 0,
	    "more than four fields" },
	{ "1a\tb\th\tseventy", GMF_BAD, 0, NULL, NULL, 0,
	    "port is not a number from 1 to 65535" },
	{ "1a\tb\th\t0", GMF_BAD, 0, NULL, NULL, 0,
	    "port is not a number from 1 to 65535" },
	{ "1a\tb\th\t65536", GMF_BAD, 0, NULL, NULL, 0,
	    "port is not a number from 1 to 65535" },
	{ "1a\tb\th\t-1", GMF_BAD, 0, NULL, NULL, 0,
	    "port is not a number from 1 to 65535" },
	{ "bell\x07", GMF_BAD, 0, NULL, NULL, 0,
	    "control character in the line" },
	{ "caf\xe9", GMF_BAD, 0, NULL, NULL, 0, "not valid UTF-8" },
};

static void
test_lines(void)
{
	struct gmf_iter it;
	struct gmf_line l;
	const struct want_line *w;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		w = &lines[i];
		gmf_init(&it, w->text, strlen(w->text));
		if (!gmf_next(&it, &l)) {
			CHECK(0);
			continue;
		}
		CHECK_INT(l.kind, w->kind);
		CHECK_INT(l.lineno, 1);
		if (w->why != NULL) {
			CHECK_STR(l.why, w->why);
			continue;
		}
		CHECK_INT(l.type, w->type);
		if (w->kind == GMF_ITEM) {
			CHECK_MEM(l.selector, l.sellen, w->selector,
			    strlen(w->selector));
			CHECK_INT(l.port, w->port);
			if (w->host == NULL)
				CHECK(l.host == NULL);
			else
				CHECK_MEM(l.host, l.hostlen, w->host,
				    strlen(w->host));
		}
	}
}

static void
test_long_selector(void)
{
	char line[REQUEST_MAX + 16];
	struct gmf_iter it;
	struct gmf_line l;

	memcpy(line, "1x\t/", 4);
	memset(line + 4, 'a', REQUEST_MAX - 1);
	gmf_init(&it, line, 4 + REQUEST_MAX - 1);
	CHECK_INT(gmf_next(&it, &l), 1);
	CHECK_INT(l.kind, GMF_ITEM);
	line[4 + REQUEST_MAX - 1] = 'a';
	gmf_init(&it, line, 4 + REQUEST_MAX);
	CHECK_INT(gmf_next(&it, &l), 1);
	CHECK_INT(l.kind, GMF_BAD);
}

/* Line numbers, CRLF, and the end at ".". */
static void
test_iteration(void)
{
	const char *t = "a\r\n1b\tc\r\n\n.\r\nafter\n";
	struct gmf_iter it;
	struct gmf_line l;

	gmf_init(&it, t, strlen(t));
	CHECK_INT(gmf_next(&it, &l), 1);
	CHECK_MEM(l.text, l.textlen, "a", 1);
	CHECK_INT(gmf_next(&it, &l), 1);
	CHECK_INT(l.lineno, 2);
	CHECK_INT(l.kind, GMF_ITEM);
	CHECK_MEM(l.selector, l.sellen, "c", 1);
	CHECK_INT(gmf_next(&it, &l), 1);
	CHECK_INT(l.lineno, 3);
	CHECK_INT(l.kind, GMF_INFO);
	CHECK_INT(gmf_next(&it, &l), 0);
	CHECK_INT(gmf_next(&it, &l), 0);
	gmf_init(&it, "", 0);
	CHECK_INT(gmf_next(&it, &l), 0);
}

static const char *
render(const char *text, const char *dir, int end)
{
	static char *last;
	struct gophermap_opts o;
	struct evbuffer *b = evbuffer_new();
	size_t len;

	if (b == NULL)
		abort();
	memset(&o, 0, sizeof(o));
	o.host = "office.example";
	o.port = 7070;
	free(last);
	last = NULL;
	if (gophermap_file_render(b, text, strlen(text), dir, &o, end) == 0)
		last = drain(b, &len);
	evbuffer_free(b);
	return last;
}

static void
test_render(void)
{
	CHECK_STR(render("Welcome to the office\n"
	    "1Documents\tdocs/\n"
	    "0Notes\t../notes.txt\n"
	    "0Abs\t/abs.txt\toffice.example\n"
	    "1Same host, other case\tsub/\tOFFICE.example\t7070\n"
	    "1Floodgap\t/\tgopher.floodgap.com\n"
	    "1Elsewhere\trel\tother.example\t7071\n"
	    "hWeb\tURL:https://example.org/\n"
	    "1Root\t\n"
	    "\tbroken\tline\n"
	    ".\n"
	    "never shown\n", "/dir/", 1),
	    "iWelcome to the office\t\toffice.example\t7070\r\n"
	    "1Documents\t/dir/docs/\toffice.example\t7070\r\n"
	    "0Notes\t/notes.txt\toffice.example\t7070\r\n"
	    "0Abs\t/abs.txt\toffice.example\t7070\r\n"
	    "1Same host, other case\t/dir/sub/\tOFFICE.example\t7070\r\n"
	    "1Floodgap\t/\tgopher.floodgap.com\t70\r\n"
	    "1Elsewhere\trel\tother.example\t7071\r\n"
	    "hWeb\tURL:https://example.org/\toffice.example\t7070\r\n"
	    "1Root\t\toffice.example\t7070\r\n"
	    "i broken line\t\toffice.example\t7070\r\n"
	    ".\r\n");
	/* Without the end, for the root menu's own items. */
	CHECK_STR(render("x\n", "/", 0), "ix\t\toffice.example\t7070\r\n");
	CHECK_STR(render("", "/", 1), ".\r\n");
	/* A relative selector cannot climb above the root. */
	CHECK_STR(render("1Up\t../../../x/\n", "/a/", 1),
	    "1Up\t/x/\toffice.example\t7070\r\n.\r\n");
}

int
main(void)
{
	test_lines();
	test_long_selector();
	test_iteration();
	test_render();
	return unit_done("gophermap_file");
}
