/*
 * The CGI directives: cgi, cgi-timeout, cgi-max, cgi-user, titan-hook;
 * their scopes, values, refusals (FILE:LINE:), inheritance, and which
 * runner serves each site.
 */
#include "conf_cgi.h"
#include "unit_conf.h"

struct bad {
	const char	*text;
	const char	*want;
};

static const struct bad bads[] = {
	{ "site \"a\" { capsule \"c\" location \"/cgi/*\" { cgi yes } }\n",
	    "1: cgi: invalid value \"yes\"\n" },
	{ "site \"a\" { capsule \"c\" cgi on }\n",
	    "1: cgi: not allowed in a site block (only in a location "
	    "block)\n" },
	{ "cgi on\n" OK_SITE, "1: cgi: not allowed at top level (only in a "
	    "location block)\n" },
	{ "cgi-timeout 0\n" OK_SITE, "1: cgi-timeout: invalid value \"0\"\n" },
	{ "cgi-timeout 3601\n" OK_SITE,
	    "1: cgi-timeout: invalid value \"3601\"\n" },
	{ "cgi-timeout 10s\n" OK_SITE,
	    "1: cgi-timeout: invalid value \"10s\"\n" },
	{ "cgi-max 0\n" OK_SITE, "1: cgi-max: invalid value \"0\"\n" },
	{ "cgi-max 1025\n" OK_SITE, "1: cgi-max: invalid value \"1025\"\n" },
	{ "cgi-max 4\ncgi-max 5\n" OK_SITE,
	    "2: cgi-max: given twice (first on line 1)\n" },
	{ "cgi-user \"no body\"\n" OK_SITE,
	    "1: cgi-user: invalid value \"no body\"\n" },
	{ "titan-hook \"/bin/true\"\n" OK_SITE, "1: titan-hook: not allowed "
	    "at top level (only in a site block)\n" },
	{ "site \"a\" { capsule \"c\" titan-hook \"\" }\n",
	    "1: titan-hook: invalid value \"\"\n" },
};

static void
test_bad(void)
{
	struct msgs m;
	struct conf *c;
	unsigned errors;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		c = parse("a.conf", bads[i].text, &m, &errors);
		if (strcmp(m.buf, bads[i].want) != 0)
			fprintf(stderr, "case %zu\n", i);
		CHECK_STR(m.buf, bads[i].want);
		CHECK_INT(errors, count_lines(bads[i].want));
		conf_free(c);
	}
}

static void
test_values(void)
{
	struct conf *c;

	c = parse_ok("a.conf", OK_SITE);
	if (c != NULL) {
		CHECK_INT(conf_cgi_timeout(c, &c->sites[0]), 10);
		CHECK_INT(conf_cgi_max(c, &c->sites[0]), 16);
		CHECK(conf_cgi_user(c, &c->sites[0]) == NULL);
		CHECK(c->sites[0].titan_hook == NULL);
		CHECK_INT(conf_site_runs(&c->sites[0]), 0);
		CHECK_INT(conf_cgi_runners(c), 0);
		CHECK_INT(conf_cgi_runner(c, 0), -1);
	}
	conf_free(c);
	c = parse_ok("/etc/a.conf", "user \"www\"\ncgi-timeout 5\n"
	    "cgi-max 3\n"
	    "site \"a\" { capsule \"c\" location \"/cgi/*\" { cgi on } }\n"
	    "site \"b\" { capsule \"c\" cgi-timeout 7 cgi-max 9 "
	    "cgi-user \"scripts\" titan-hook \"hooks/up\" }\n"
	    "site \"d\" { capsule \"c\" location \"/x\" { cgi off } }\n"
	    "site \"e\" { capsule \"c\" cgi-user \"www\" "
	    "location \"/*.cgi\" { cgi on } }\n");
	if (c != NULL) {
		CHECK_INT(c->sites[0].locations[0].cgi, 1);
		CHECK_INT(conf_cgi_timeout(c, &c->sites[0]), 5);
		CHECK_INT(conf_cgi_max(c, &c->sites[0]), 3);
		CHECK_STR(conf_cgi_user(c, &c->sites[0]), "www");
		CHECK_INT(conf_cgi_timeout(c, &c->sites[1]), 7);
		CHECK_INT(conf_cgi_max(c, &c->sites[1]), 9);
		CHECK_STR(conf_cgi_user(c, &c->sites[1]), "scripts");
		CHECK_STR(c->sites[1].titan_hook, "/etc/hooks/up");
		CHECK_INT(conf_site_runs(&c->sites[1]), 1);
		CHECK_INT(conf_site_runs(&c->sites[2]), 0);
		CHECK_INT(conf_cgi_runners(c), 2);
		CHECK_INT(conf_cgi_runner(c, 0), 0);
		CHECK_INT(conf_cgi_runner(c, 1), 1);
		CHECK_INT(conf_cgi_runner(c, 2), -1);
		CHECK_INT(conf_cgi_runner(c, 3), 0);
	}
	conf_free(c);
}

static void
test_dir(void)
{
	static const struct {
		const char	*pattern;
		const char	*dir;
	} cases[] = {
		{ "/cgi/*", "cgi" },
		{ "/cgi-bin/*", "cgi-bin" },
		{ "/a/b/*.cgi", "a/b" },
		{ "/*.cgi", "" },
		{ "/*", "" },
		{ "/app", "" },
		{ "/app/", "app" },
		{ "/a/b[0-9]/x", "a" },
		{ "/a//b/*", "a//b" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(conf_cgi_dir(cases[i].pattern, out, sizeof(out)), 0);
		CHECK_STR(out, cases[i].dir);
	}
	CHECK_INT(conf_cgi_dir("/abcdef/x", out, 4), -1);
}

int
main(void)
{
	test_bad();
	test_values();
	test_dir();
	return unit_done("conf_cgi");
}
