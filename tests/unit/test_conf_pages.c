/* The directives of the generated pages: search, search-path, changes,
 * changes-path, atom-path; their values, defaults and clashes. */
#include "unit_conf.h"

static void
test_defaults(void)
{
	struct conf *c;
	const struct conf_site *s;

	c = parse_ok("a.conf", OK_SITE);
	if (c == NULL)
		return;
	s = &c->sites[0];
	CHECK_INT(s->search, 1);
	CHECK_INT(s->changes, 1);
	CHECK_STR(s->search_path, NULL);
	CHECK_STR(conf_search_path(s), "/search");
	CHECK_STR(conf_changes_path(s), "/changes.gmi");
	CHECK_STR(conf_atom_path(s), "/atom.xml");
	conf_free(c);
}

static void
test_values(void)
{
	const struct conf_site *s;
	struct conf *c;

	c = parse_ok("a.conf", "site \"a\" {\n capsule \"c\"\n search off\n"
	    " search-path \"/find\"\n changes off\n"
	    " changes-path \"/news/recent.gmi\"\n atom-path \"/feed.xml\"\n}\n"
	    "site \"b\" { capsule \"d\" search on changes on }\n");
	if (c == NULL)
		return;
	s = &c->sites[0];
	CHECK_INT(s->search, 0);
	CHECK_INT(s->changes, 0);
	CHECK_STR(conf_search_path(s), "/find");
	CHECK_STR(conf_changes_path(s), "/news/recent.gmi");
	CHECK_STR(conf_atom_path(s), "/feed.xml");
	CHECK_INT(s->search_path_line, 4);
	CHECK_INT(s->changes_path_line, 6);
	CHECK_INT(s->atom_path_line, 7);
	s = &c->sites[1];
	CHECK_INT(s->search, 1);
	CHECK_INT(s->changes, 1);
	CHECK_STR(conf_search_path(s), "/search");
	conf_free(c);
	/* The site's own path, whatever the others. */
	c = parse_ok("a.conf", "site \"a\" { capsule \"c\" "
	    "search-path \"/caf\xc3\xa9 s\" }\n");
	if (c != NULL)
		CHECK_STR(conf_search_path(&c->sites[0]), "/caf\xc3\xa9 s");
	conf_free(c);
}

struct bad {
	const char	*text;
	const char	*want;
};

static const struct bad bad[] = {
	{ "site \"a\" { capsule \"c\" search yes }\n",
	    "1: search: invalid value \"yes\"\n" },
	{ "site \"a\" { capsule \"c\" changes 1 }\n",
	    "1: changes: invalid value \"1\"\n" },
	{ "search off\n" OK_SITE,
	    "1: search: not allowed at top level (only in a site block)\n" },
	{ "site \"a\" { capsule \"c\"\n location \"/x\" { search off }\n}\n",
	    "2: search: not allowed in a location block "
	    "(only in a site block)\n" },
	{ "site \"a\" { capsule \"c\" search off search on }\n",
	    "1: search: given twice (first on line 1)\n" },
	{ "site \"a\" { capsule \"c\"\n search-path \"/a\"\n"
	    " search-path \"/b\"\n}\n",
	    "3: search-path: given twice (first on line 2)\n" },
	/* Paths a request could not reach, or that would be hidden. */
	{ "site \"a\" { capsule \"c\" search-path \"search\" }\n",
	    "1: search-path: invalid value \"search\"\n" },
	{ "site \"a\" { capsule \"c\" search-path \"/\" }\n",
	    "1: search-path: invalid value \"/\"\n" },
	{ "site \"a\" { capsule \"c\" search-path \"/s/\" }\n",
	    "1: search-path: invalid value \"/s/\"\n" },
	{ "site \"a\" { capsule \"c\" search-path \"/a//b\" }\n",
	    "1: search-path: invalid value \"/a//b\"\n" },
	{ "site \"a\" { capsule \"c\" search-path \"/.s\" }\n",
	    "1: search-path: invalid value \"/.s\"\n" },
	{ "site \"a\" { capsule \"c\" changes-path \"/a/../b\" }\n",
	    "1: changes-path: invalid value \"/a/../b\"\n" },
	{ "site \"a\" { capsule \"c\" atom-path \"/a?b\" }\n",
	    "1: atom-path: invalid value \"/a?b\"\n" },
	{ "site \"a\" { capsule \"c\" atom-path \"/a#b\" }\n",
	    "1: atom-path: invalid value \"/a#b\"\n" },
	{ "site \"a\" { capsule \"c\" atom-path \"/a\x01\" }\n",
	    "1: atom-path: invalid value \"/a\\x01\"\n" },
	{ "site \"a\" { capsule \"c\" atom-path \"/a\xff\" }\n",
	    "1: atom-path: invalid value \"/a\\xff\"\n" },
	/* One page hiding another. */
	{ "site \"a\" {\n capsule \"c\"\n changes-path \"/search\"\n}\n",
	    "3: changes-path \"/search\": taken by search-path\n" },
	{ "site \"a\" {\n capsule \"c\"\n search-path \"/s\"\n"
	    " atom-path \"/s/2\"\n}\n",
	    "4: atom-path \"/s/2\": taken by search-path\n" },
	{ "site \"a\" {\n capsule \"c\"\n search-path \"/atom.xml\"\n}\n",
	    "3: atom-path \"/atom.xml\": taken by search-path\n" },
	{ "site \"a\" {\n capsule \"c\"\n atom-path \"/changes.gmi\"\n}\n",
	    "3: atom-path \"/changes.gmi\": taken by changes-path\n" },
	{ "site \"a\" {\n capsule \"c\"\n changes-path \"/f\"\n"
	    " atom-path \"/f\"\n}\n",
	    "4: atom-path \"/f\": taken by changes-path\n" },
};

static void
test_bad(void)
{
	struct msgs m;
	struct conf *c;
	unsigned errors;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = parse("a.conf", bad[i].text, &m, &errors);
		CHECK_STR(m.buf, bad[i].want);
		CHECK_INT(errors, count_lines(bad[i].want));
		conf_free(c);
	}
}

/* What is off hides nothing: no clash is said. */
static void
test_off_no_clash(void)
{
	conf_free(parse_ok("a.conf", "site \"a\" { capsule \"c\" search off "
	    "changes-path \"/search\" }\n"));
	conf_free(parse_ok("a.conf", "site \"a\" { capsule \"c\" changes off "
	    "atom-path \"/changes.gmi\" search-path \"/atom.xml\" }\n"));
	conf_free(parse_ok("a.conf", "site \"a\" { capsule \"c\" "
	    "search-path \"/search\" changes-path \"/searches.gmi\" }\n"));
}

static void
test_page_path_valid(void)
{
	static const char *const good[] = { "/s", "/search", "/a/b.gmi",
	    "/a b", "/caf\xc3\xa9", "/a.b/c", "/%41" };
	static const char *const badp[] = { "", "/", "s", "/s/", "//s",
	    "/a//b", "/.a", "/a/.b", "/a/./b", "/a/..", "/a\tb", "/a\x7f",
	    "/a\xc2\x85", "/a?", "/a#", "/\xc3" };
	char longp[CONF_PAGE_PATH_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK_INT(conf_page_path_valid(good[i]), 1);
	for (i = 0; i < sizeof(badp) / sizeof(badp[0]); i++)
		CHECK_INT(conf_page_path_valid(badp[i]), 0);
	longp[0] = '/';
	memset(longp + 1, 'a', sizeof(longp) - 2);
	longp[sizeof(longp) - 1] = '\0';
	CHECK_INT(conf_page_path_valid(longp), 0);
	longp[sizeof(longp) - 2] = '\0';
	CHECK_INT(conf_page_path_valid(longp), 1);
}

int
main(void)
{
	test_defaults();
	test_values();
	test_bad();
	test_off_no_clash();
	test_page_path_valid();
	return unit_done("conf_pages");
}
