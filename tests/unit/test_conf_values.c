/* The configuration file: the values it sets, defaults and inheritance,
 * lexing, locations, and the checks of values. */
#include "options.h"
#include "unit_conf.h"

static void
check_defaults(const struct conf_site *s)
{
	CHECK_STR(s->certs, "certs");
	CHECK_INT(s->certs_line, 0);
	CHECK_STR(s->lang, "en");
	CHECK_INT(s->gopher_port, 0);
	CHECK_INT(s->gopher_public_port, 0);
	CHECK_INT(s->gopher_width, 67);
	CHECK_INT(s->listing, 1);
	CHECK_INT(s->naliases, 0);
	CHECK_INT(s->nlocations, 0);
	CHECK_INT(s->gopher_port_line, 0);
}

static void
test_defaults(void)
{
	struct conf_site *s;
	struct conf *c;
	size_t i;

	c = parse_ok("attache.conf", "site \"a\" { capsule \"c\" }");
	if (c != NULL) {
		CHECK_INT(c->nlisten, 0);
		CHECK_INT(c->gemini_port, 1965);
		CHECK_INT(c->gemini_port_line, 0);
		CHECK_INT(c->workers, 0);
		CHECK_INT(c->nsites, 1);
		CHECK_STR(c->sites[0].name, "a");
		CHECK_STR(c->sites[0].capsule, "c");
		CHECK_INT(c->sites[0].line, 1);
		check_defaults(&c->sites[0]);
	}
	conf_free(c);

	/* The structure the options start from. */
	if ((c = conf_new()) == NULL)
		return;
	CHECK_STR(c->file, NULL);
	CHECK_INT(c->gemini_port, 1965);
	CHECK_INT(c->nsites, 0);
	for (i = 0; i < 5; i++) {
		if ((s = conf_add_site(c)) == NULL)
			break;
		CHECK(s == &c->sites[i]);
		CHECK_STR(s->name, NULL);
		CHECK_STR(s->capsule, NULL);
		check_defaults(s);
	}
	CHECK_INT(c->nsites, 5);
	conf_free(c);
	conf_free(NULL);
}

/* The ends of every range are accepted. */
static void
test_bounds(void)
{
	struct conf *c;

	c = parse_ok("a.conf", "gemini-port 65535 workers 64 gopher-width 20\n"
	    "site a { capsule c gopher-port 65534 gopher-public-port 65535 }\n"
	    "site b { capsule d gopher-port 1 gopher-public-port 1 "
	    "gopher-width 1000 }\n");
	if (c == NULL || c->nsites != 2) {
		CHECK(0);
		conf_free(c);
		return;
	}
	CHECK_INT(c->gemini_port, 65535);
	CHECK_INT(c->workers, CONF_WORKERS_MAX);
	CHECK_INT(c->sites[0].gopher_port, 65534);
	CHECK_INT(c->sites[0].gopher_public_port, 65535);
	CHECK_INT(conf_gopher_public_port(&c->sites[0]), 65535);
	CHECK_INT(c->sites[0].gopher_width, CONF_GOPHER_WIDTH_MIN);
	CHECK_INT(c->sites[1].gopher_port, 1);
	CHECK_INT(c->sites[1].gopher_public_port, 1);
	CHECK_INT(c->sites[1].gopher_width, CONF_GOPHER_WIDTH_MAX);
	conf_free(c);

	/* Gemini off, Gopher on: something to serve. */
	c = parse_ok("a.conf", "gemini-port 0\n"
	    "site a { capsule c gopher-port 0 }\n"
	    "site b { capsule d gopher-port 070 }\n");
	if (c != NULL) {
		CHECK_INT(c->gemini_port, 0);
		CHECK_INT(c->gemini_port_line, 1);
		CHECK_INT(c->sites[1].gopher_port, 70);
	}
	conf_free(c);
}

static void
check_inherited(const struct conf *c, unsigned certs_line)
{
	const struct conf_site *s;

	CHECK_INT(c->nsites, 2);
	if (c->nsites != 2)
		return;
	s = &c->sites[0];
	CHECK_STR(s->certs, "/k");
	CHECK_INT(s->certs_line, certs_line);
	CHECK_STR(s->lang, "fr");
	CHECK_INT(s->listing, 0);
	CHECK_INT(s->gopher_width, 80);
	s = &c->sites[1];
	CHECK_STR(s->certs, "/own");
	CHECK_STR(s->lang, NULL);
	CHECK_INT(s->listing, 1);
	CHECK_INT(s->gopher_width, 40);
}

static void
test_inherit(void)
{
	const char *sites =
	    "site \"a\" { capsule \"c\" }\n"
	    "site \"b\" {\n"
	    " capsule \"d\"\n"
	    " certs \"/own\"\n"
	    " lang none\n"
	    " listing on\n"
	    " gopher-width 40\n"
	    "}\n";
	const char *globals =
	    "certs \"/k\"\n"
	    "lang \"fr\"\n"
	    "listing off\n"
	    "gopher-width 80\n";
	char text[1024];
	struct conf *c;

	snprintf(text, sizeof(text), "%s%s", globals, sites);
	if ((c = parse_ok("a.conf", text)) != NULL)
		check_inherited(c, 1);
	conf_free(c);
	/* After the sites, the same. */
	snprintf(text, sizeof(text), "%s%s", sites, globals);
	if ((c = parse_ok("a.conf", text)) != NULL)
		check_inherited(c, 9);
	conf_free(c);

	c = parse_ok("a.conf", "site \"a\" { capsule \"c\" }\nlang none\n");
	if (c != NULL)
		CHECK_STR(c->sites[0].lang, NULL);
	conf_free(c);
}

struct path_case {
	const char	*file;
	const char	*text;
	const char	*capsule;
	const char	*certs;
};

static const struct path_case paths[] = {
	{ "conf/a.conf", "site \"a\" { capsule \"capsule\" }",
	    "conf/capsule", "conf/certs" },
	{ "/etc/a/a.conf", "site \"a\" { capsule \"c\" }\ncerts \"k\"",
	    "/etc/a/c", "/etc/a/k" },
	{ "/etc/a/a.conf", "site \"a\" { capsule c certs ../k }",
	    "/etc/a/c", "/etc/a/../k" },
	{ "a.conf", "site \"a\" { capsule \"c\" }", "c", "certs" },
	{ "/a.conf", "site \"a\" { capsule \"c\" }", "/c", "/certs" },
	{ "conf/a.conf", "site \"a\" { capsule \"/srv/x\" certs /k }",
	    "/srv/x", "/k" },
	{ "d/", "site \"a\" { capsule . }", "d/.", "d/certs" },
	{ NULL, "site \"a\" { capsule \"c\" }", "c", "certs" },
};

static void
test_paths(void)
{
	struct msgs m;
	struct conf *c;
	char *text;
	unsigned errors;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if ((c = parse_ok(paths[i].file, paths[i].text)) == NULL)
			continue;
		CHECK_STR(c->file, paths[i].file);
		CHECK_STR(c->sites[0].capsule, paths[i].capsule);
		CHECK_STR(c->sites[0].certs, paths[i].certs);
		conf_free(c);
	}

	/* Too long for a path, once joined to the directory. */
	if ((text = malloc(5000)) == NULL)
		return;
	memcpy(text, "site a { capsule ", 17);
	memset(text + 17, 'a', 4094);		/* PATH_MAX - 2 */
	memcpy(text + 17 + 4094, " }", 3);
	c = parse("d/a.conf", text, &m, &errors);
	CHECK_STR(m.buf, "1: capsule: path too long \"aaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"\n");
	CHECK_INT(errors, 1);
	conf_free(c);
	c = parse("a.conf", text, &m, &errors);
	CHECK_INT(errors, 0);
	CHECK_INT(strlen(c != NULL ? c->sites[0].capsule : ""), 4094);
	conf_free(c);
	free(text);
}

static void
test_lexing(void)
{
	const char *text =
	    "# a comment\r\n"
	    "gemini-port 1966 workers 3 # two on a line\r\n"
	    "site \"a\" {\r\n"
	    "\tcapsule \"x\\\"y\\\\z#w\"\t# not in the string\r\n"
	    "\tcerts /k#comment\r\n"
	    "\tgopher-port 70 alias b alias \"c\"\r\n"
	    "\tlocation \"/a b/*\" {lang none}\r\n"
	    "}\r\n"
	    "site \"\" \"x\"{capsule d}site e{capsule f}\n"
	    "site e{capsule f gopher-port 71}";
	struct msgs m;
	struct conf *c;
	unsigned errors;

	c = parse("a.conf", text, &m, &errors);
	CHECK_STR(m.buf, "9: site: expected { after the name\n");
	CHECK_INT(errors, 1);
	if (c == NULL || c->nsites != 2) {
		CHECK(0);
		conf_free(c);
		return;
	}
	CHECK_INT(c->gemini_port, 1966);
	CHECK_INT(c->gemini_port_line, 2);
	CHECK_INT(c->workers, 3);
	CHECK_INT(c->sites[0].line, 3);
	CHECK_STR(c->sites[0].capsule, "x\"y\\z#w");
	CHECK_INT(c->sites[0].capsule_line, 4);
	CHECK_STR(c->sites[0].certs, "/k");
	CHECK_INT(c->sites[0].certs_line, 5);
	CHECK_INT(c->sites[0].gopher_port, 70);
	CHECK_INT(c->sites[0].gopher_port_line, 6);
	CHECK_INT(c->sites[0].naliases, 2);
	CHECK_STR(c->sites[0].aliases[1], "c");
	CHECK_INT(c->sites[0].nlocations, 1);
	CHECK_STR(c->sites[0].locations[0].pattern, "/a b/*");
	CHECK_INT(c->sites[0].locations[0].has_lang, 1);
	CHECK_STR(c->sites[0].locations[0].lang, NULL);
	CHECK_INT(c->sites[0].locations[0].line, 7);
	CHECK_STR(c->sites[1].name, "e");
	CHECK_STR(c->sites[1].capsule, "f");
	CHECK_INT(c->sites[1].gopher_port, 71);
	CHECK_INT(c->sites[1].line, 10);
	conf_free(c);

	/* A byte order mark at the start only. */
	c = parse_ok("a.conf", "\xef\xbb\xbf" OK_SITE);
	conf_free(c);
	c = parse("a.conf", OK_SITE "\xef\xbb\xbfworkers 1\n", &m, &errors);
	CHECK_STR(m.buf,
	    "2: unknown directive \"\\xef\\xbb\\xbfworkers\"\n");
	conf_free(c);

	/* No text, no diag: still a structure and a count. */
	c = conf_parse("a.conf", NULL, 0, NULL);
	CHECK(c != NULL);
	CHECK_INT(c != NULL ? c->nsites : 1, 0);
	conf_free(c);
}

static void
test_listen(void)
{
	char text[2048], want[128];
	struct msgs m;
	struct conf *c;
	unsigned errors;
	size_t n = 0;
	int i;

	for (i = 0; i < 17; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "listen \"10.0.0.%d\"\n", i);
	snprintf(text + n, sizeof(text) - n, "%s", OK_SITE);
	c = parse("a.conf", text, &m, &errors);
	snprintf(want, sizeof(want), "17: listen: at most %d addresses\n",
	    CONF_MAX_LISTEN);
	CHECK_STR(m.buf, want);
	CHECK_INT(errors, 1);
	if (c != NULL) {
		CHECK_INT(c->nlisten, CONF_MAX_LISTEN);
		CHECK_STR(c->listen[15].addr, "10.0.0.15");
		CHECK_INT(c->listen[15].line, 16);
	}
	conf_free(c);
}

/* Enough of everything that every array grows several times. */
static void
test_many(void)
{
	char *text;
	struct conf *c;
	size_t n = 0, size = 65536;
	int i, j;

	if ((text = malloc(size)) == NULL)
		return;
	for (i = 0; i < 40; i++) {
		n += (size_t)snprintf(text + n, size - n,
		    "site s%d { capsule c%d gopher-port %d\n", i, i, 7000 + i);
		for (j = 0; j < 5; j++)
			n += (size_t)snprintf(text + n, size - n,
			    " alias a%d-%d\n", i, j);
		for (j = 0; j < 9; j++)
			n += (size_t)snprintf(text + n, size - n,
			    " location /l%d/* { gone }\n", j);
		n += (size_t)snprintf(text + n, size - n, "}\n");
	}
	CHECK(n < size);
	if ((c = parse_ok("a.conf", text)) != NULL) {
		CHECK_INT(c->nsites, 40);
		CHECK_STR(c->sites[39].name, "s39");
		CHECK_INT(c->sites[39].naliases, 5);
		CHECK_STR(c->sites[39].aliases[4], "a39-4");
		CHECK_INT(c->sites[39].nlocations, 9);
		CHECK_STR(c->sites[39].locations[8].pattern, "/l8/*");
		CHECK_INT(c->sites[39].gopher_port, 7039);
	}
	conf_free(c);
	free(text);
}

static void
test_match(void)
{
	const char *text =
	    "site \"a\" { capsule \"c\"\n"
	    " location \"/a/*\" { gone }\n"
	    " location \"/a/b/*\" { redirect \"/x\" }\n"
	    " location \"/*.txt\" { lang none }\n"
	    " location \"/exact\" { redirect-temporary \"gemini://h/y\" }\n"
	    " location \"/[ab].gmi\" { lang \"de\" }\n"
	    "}\n";
	static const struct {
		const char	*path;
		int		 loc;	/* -1: none */
	} cases[] = {
		{ "/a/b/c", 0 },	/* the first that matches */
		{ "/a/", 0 },
		{ "/a/x/y/z", 0 },	/* '*' spans '/' */
		{ "/a", -1 },
		{ "/z/y.txt", 2 },
		{ "/y.txt", 2 },
		{ "/exact", 3 },
		{ "/exact/", -1 },
		{ "/b.gmi", 4 },
		{ "/c.gmi", -1 },
		{ "", -1 },
		{ "/", -1 },
	};
	const struct conf_location *l;
	const struct conf_site *s;
	struct conf *c;
	size_t i;

	if ((c = parse_ok("a.conf", text)) == NULL)
		return;
	s = &c->sites[0];
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		l = conf_location_match(s, cases[i].path);
		CHECK_INT(l == NULL ? -1 : l - s->locations, cases[i].loc);
	}
	CHECK(conf_location_match(NULL, "/a/") == NULL);
	CHECK(conf_location_match(s, NULL) == NULL);

	CHECK_STR(conf_lang(s, NULL), "en");
	CHECK_STR(conf_lang(s, &s->locations[0]), "en");
	CHECK_STR(conf_lang(s, &s->locations[2]), NULL);
	CHECK_STR(conf_lang(s, &s->locations[4]), "de");
	CHECK_INT(s->locations[3].action, CONF_ACTION_REDIRECT_TEMPORARY);
	CHECK_STR(s->locations[3].target, "gemini://h/y");

	c->sites[0].gopher_port = 70;
	CHECK_INT(conf_gopher_public_port(s), 70);
	c->sites[0].gopher_public_port = 7070;
	CHECK_INT(conf_gopher_public_port(s), 7070);
	conf_free(c);
}

struct valid_case {
	const char	*s;
	int		 want;
};

static const struct valid_case targets[] = {
	{ "/news/", 1 },
	{ "gemini://example.org/", 1 },
	{ "gemini://[::1]:1965/a", 1 },
	{ "../x", 1 },
	{ "x?q=1#f", 1 },
	{ "/caf\xc3\xa9", 1 },
	{ "/a%20b", 1 },
	{ "gopher://h:70/1/", 1 },
	{ "", 0 },
	{ "/a b", 0 },
	{ "/a\tb", 0 },
	{ "/a\r\n", 0 },
	{ "/a\x7f", 0 },
	{ "/\xc2\x85", 0 },		/* C1 NEL */
	{ "/\xff", 0 },
	{ "/\xc3", 0 },
	{ "/%2", 0 },
	{ "/%zz", 0 },
	{ "%", 0 },
	{ "gemini://[::1/", 0 },
	{ "gemini://h:x/", 0 },
};

static const struct valid_case names_valid[] = {
	{ "localhost", 1 },
	{ "a.b-c_d.example", 1 },
	{ "A9", 1 },
	{ "127.0.0.1", 1 },
	{ "::1", 1 },
	{ "", 0 },
	{ "-a", 0 },
	{ ".a", 0 },
	{ "a.", 0 },
	{ "a..b", 0 },
	{ "a b", 0 },
	{ "a/b", 0 },
	{ "a:b", 0 },
	{ "caf\xc3\xa9", 0 },
};

static const struct valid_case langs[] = {
	{ "en", 1 },
	{ "en-GB", 1 },
	{ "zh-Hant-TW", 1 },
	{ "none", 1 },		/* the callers give it its meaning */
	{ "", 0 },
	{ "en_GB", 0 },
	{ "en GB", 0 },
	{ "fr;q=1", 0 },
};

static const struct valid_case addresses[] = {
	{ "127.0.0.1", 1 },
	{ "0.0.0.0", 1 },
	{ "::1", 1 },
	{ "::", 1 },
	{ "2001:db8::1", 1 },
	{ "::ffff:10.0.0.1", 1 },
	{ "localhost", 0 },
	{ "1.2.3", 0 },
	{ "[::1]", 0 },
	{ "fe80::1%eth0", 0 },
	{ "", 0 },
};

static void
test_valid(void)
{
	char buf[1100];
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		CHECK_INT(conf_target_valid(targets[i].s), targets[i].want);
		if (conf_target_valid(targets[i].s) != targets[i].want)
			fprintf(stderr, "  (target %zu)\n", i);
	}
	buf[0] = '/';
	memset(buf + 1, 'a', 1023);
	buf[1024] = '\0';
	CHECK_INT(conf_target_valid(buf), 1);
	buf[1024] = 'a';
	buf[1025] = '\0';
	CHECK_INT(conf_target_valid(buf), 0);

	for (i = 0; i < sizeof(names_valid) / sizeof(names_valid[0]); i++)
		CHECK_INT(conf_hostname_valid(names_valid[i].s),
		    names_valid[i].want);
	memset(buf, 'a', 254);
	buf[253] = '\0';
	CHECK_INT(conf_hostname_valid(buf), 1);
	buf[253] = 'a';
	buf[254] = '\0';
	CHECK_INT(conf_hostname_valid(buf), 0);

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		CHECK_INT(conf_lang_valid(langs[i].s), langs[i].want);
	memset(buf, 'a', 36);
	buf[35] = '\0';
	CHECK_INT(conf_lang_valid(buf), 1);
	buf[35] = 'a';
	buf[36] = '\0';
	CHECK_INT(conf_lang_valid(buf), 0);

	for (i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++)
		CHECK_INT(conf_address_valid(addresses[i].s),
		    addresses[i].want);
}

static const struct {
	const char	*a;
	const char	*b;
	int		 want;
} names_equal[] = {
	{ "a", "a", 1 },
	{ "a", "A", 1 },
	{ "a.", "a", 1 },
	{ "a", "a.", 1 },
	{ "Www.Example.ORG.", "www.example.org", 1 },
	{ "a", "b", 0 },
	{ "ab", "a", 0 },
	{ "a", "ab", 0 },
	{ "a..", "a", 0 },	/* one trailing dot only */
	{ "a.b", "a", 0 },
	{ NULL, "a", 0 },
	{ "a", NULL, 0 },
};

static void
test_names_equal(void)
{
	size_t i;

	for (i = 0; i < sizeof(names_equal) / sizeof(names_equal[0]); i++)
		CHECK_INT(conf_names_equal(names_equal[i].a, names_equal[i].b),
		    names_equal[i].want);
}

/*
 * Where the log goes: the function, then the directive (a file's path is
 * the configuration file's directory's) and the option (as given).
 */
static const struct {
	const char		*v;
	int			 ret;
	enum conf_log_to	 to;		/* SYSLOG before: kept on -1 */
	const char		*in_file;	/* the directive's path */
} log_targets[] = {
	{ "stderr", 0, CONF_LOG_STDERR, NULL },
	{ "syslog", 0, CONF_LOG_SYSLOG, NULL },
	{ "/var/log/attache.log", 0, CONF_LOG_FILE, "/var/log/attache.log" },
	{ "attache.log", 0, CONF_LOG_FILE, "d/attache.log" },
	{ "./stderr", 0, CONF_LOG_FILE, "d/./stderr" },
	{ "Stderr", 0, CONF_LOG_FILE, "d/Stderr" },	/* case matters */
	{ "syslog ", 0, CONF_LOG_FILE, "d/syslog " },
	{ "-", 0, CONF_LOG_FILE, "d/-" },
	{ "", -1, CONF_LOG_SYSLOG, NULL },
};

/* The numbers and switches of the options and the directives. */
static const struct {
	const char	*v;
	int		 min, max;
	int		 ret;
	int		 out;		/* -7 before: kept on -1 */
} ints[] = {
	{ "0", 0, 65535, 0, 0 },
	{ "65535", 0, 65535, 0, 65535 },
	{ "070", 0, 65535, 0, 70 },	/* decimal, not octal */
	{ "65536", 0, 65535, -1, -7 },
	{ "0", 1, 65535, -1, -7 },
	{ "", 0, 10, -1, -7 },
	{ "-1", -5, 10, -1, -7 },	/* digits only, even when min < 0 */
	{ "+1", 0, 10, -1, -7 },
	{ " 1", 0, 10, -1, -7 },
	{ "1 ", 0, 10, -1, -7 },
	{ "1x", 0, 10, -1, -7 },
	{ "0x1", 0, 10, -1, -7 },
	{ "99999999999999999999999", 0, 65535, -1, -7 },
};

static const struct {
	const char	*v;
	int		 ret;
	int		 out;		/* -7 before: kept on -1 */
} switches[] = {
	{ "on", 0, 1 },
	{ "off", 0, 0 },
	{ "On", -1, -7 },
	{ "yes", -1, -7 },
	{ "1", -1, -7 },
	{ "", -1, -7 },
	{ "on ", -1, -7 },
};

static void
test_numbers(void)
{
	size_t i;
	int out;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		out = -7;
		CHECK_INT(conf_int_from(ints[i].v, ints[i].min, ints[i].max,
		    &out), ints[i].ret);
		CHECK_INT(out, ints[i].out);
	}
	for (i = 0; i < sizeof(switches) / sizeof(switches[0]); i++) {
		out = -7;
		CHECK_INT(conf_on_off_from(switches[i].v, &out),
		    switches[i].ret);
		CHECK_INT(out, switches[i].out);
	}
}

static const struct {
	const char		*v;
	int			 ret;
	enum conf_log_style	 style;		/* COMBINED before */
} log_styles[] = {
	{ "attache", 0, CONF_LOG_STYLE_ATTACHE },
	{ "common", 0, CONF_LOG_STYLE_COMMON },
	{ "combined", 0, CONF_LOG_STYLE_COMBINED },
	{ "Common", -1, CONF_LOG_STYLE_COMBINED },
	{ "", -1, CONF_LOG_STYLE_COMBINED },
};

static void
test_log_target(size_t i, FILE *errs)
{
	char text[128], q[64], want[128];
	char *argv[] = { "attache", "--log", NULL, NULL };
	enum conf_log_to to = CONF_LOG_SYSLOG;
	struct options o;
	struct msgs m;
	struct conf *c;
	unsigned errors;

	CHECK_INT(conf_log_target_from(log_targets[i].v, &to),
	    log_targets[i].ret);
	CHECK_INT(to, log_targets[i].to);

	snprintf(q, sizeof(q), "\"%s\"", log_targets[i].v);
	snprintf(text, sizeof(text), "log %s\nsite a { capsule c }", q);
	c = parse("d/a.conf", text, &m, &errors);
	if (log_targets[i].ret == -1) {
		snprintf(want, sizeof(want), "1: log: invalid value %s\n", q);
		CHECK_STR(m.buf, want);
	} else if (c != NULL) {
		CHECK_INT(errors, 0);
		CHECK_INT(c->log_to, log_targets[i].to);
		CHECK_STR(c->log_file, log_targets[i].in_file);
		CHECK_INT(c->log_line, 1);
	}
	conf_free(c);

	argv[2] = (char *)log_targets[i].v;
	if (log_targets[i].ret == -1) {
		CHECK_INT(options_parse(3, argv, &o, &c, errs), OPTIONS_ERROR);
		return;
	}
	CHECK_INT(options_parse(3, argv, &o, &c, errs), OPTIONS_RUN);
	if (c != NULL) {
		CHECK_INT(c->log_to, log_targets[i].to);
		CHECK_STR(c->log_file, log_targets[i].to == CONF_LOG_FILE ?
		    log_targets[i].v : NULL);
	}
	conf_free(c);
}

static void
test_log(void)
{
	enum conf_log_style style;
	FILE *errs = tmpfile();
	char buf[256];
	size_t i, n;

	CHECK(errs != NULL);
	if (errs == NULL)
		return;
	for (i = 0; i < sizeof(log_targets) / sizeof(log_targets[0]); i++)
		test_log_target(i, errs);
	rewind(errs);
	n = fread(buf, 1, sizeof(buf) - 1, errs);
	buf[n] = '\0';
	CHECK_STR(buf, "attache: --log: invalid value \"\"\n");
	fclose(errs);

	for (i = 0; i < sizeof(log_styles) / sizeof(log_styles[0]); i++) {
		style = CONF_LOG_STYLE_COMBINED;
		CHECK_INT(conf_log_style_from(log_styles[i].v, &style),
		    log_styles[i].ret);
		CHECK_INT(style, log_styles[i].style);
	}
}

int
main(void)
{
	test_defaults();
	test_bounds();
	test_inherit();
	test_paths();
	test_lexing();
	test_listen();
	test_many();
	test_match();
	test_valid();
	test_names_equal();
	test_numbers();
	test_log();
	return unit_done("test_conf_values");
}
