/* The configuration file: every error message with its line, and the
 * documented example. */
#include "unit_conf.h"

#define TEXT(s)	s, sizeof(s) - 1

/* A text, and every message it must give, whole. */
struct bad {
	const char	*text;
	size_t		 len;
	const char	*want;
};

static const struct bad bad[] = {
	/* The tokenizer. */
	{ TEXT("workers 1\0\n" OK_SITE), "1: NUL byte\n" },
	{ TEXT("# a\0b\0c\n" OK_SITE), "1: NUL byte\n" },
	{ TEXT(OK_SITE "\0 \0\n\0"), "2: NUL byte\n3: NUL byte\n" },
	{ TEXT("site \"a\" { capsule \"x\0y\" }\n"), "1: NUL byte\n" },
	{ TEXT("site \"a\" {\n capsule \"x\\\0\"\n}\n"), "2: NUL byte\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n lang \"en\n}\n"),
	    "2: unclosed string\n" },
	{ TEXT("site \"a\" { capsule \"c\" }\nworkers \"4"),
	    "2: unclosed string\n" },
	{ TEXT("site \"a\" { capsule \"c\" }\nworkers \"4\\"),
	    "2: unclosed string\n" },
	{ TEXT("site \"a { capsule \"c\" }\n"),
	    "1: site: expected { after the name\n1: unclosed string\n"
	    "0: no site defined\n" },
	{ TEXT("site \"a\n{ capsule \"c\" }\n" OK_SITE),
	    "1: unclosed string\n" },
	{ TEXT("site \"a\" { capsule \"c\\q\" }\n"),
	    "1: invalid escape \"\\q\" in a string (only \\\" and \\\\)\n" },
	{ TEXT("site \"a\" { capsule \"\\\xc3\xa9\\n\" }\n"),
	    "1: invalid escape \"\\\xc3\xa9\" in a string (only \\\" and "
	    "\\\\)\n"
	    "1: invalid escape \"\\n\" in a string (only \\\" and \\\\)\n" },
	{ TEXT("site \"a\" { capsule \"\\\x01\" }\n"),
	    "1: invalid escape \"\\\\x01\" in a string "
	    "(only \\\" and \\\\)\n" },
	{ TEXT("site \"a\" { capsule \"c\\q\n}\n"),
	    "1: invalid escape \"\\q\" in a string (only \\\" and \\\\)\n"
	    "1: unclosed string\n" },

	/* Directives and values in the wrong place or shape. */
	{ TEXT("foo bar\n" OK_SITE), "1: unknown directive \"foo\"\n" },
	{ TEXT("foo\x01\x7f\n" OK_SITE),
	    "1: unknown directive \"foo\\x01\\x7f\"\n" },
	{ TEXT("\"capsule\" \"x\"\n" OK_SITE),
	    "1: expected a directive, found the string \"capsule\"\n" },
	{ TEXT("\"a\\\"b\\\\c\"\n" OK_SITE),
	    "1: expected a directive, found the string \"a\\\"b\\\\c\"\n" },
	{ TEXT("gemini-port 1965 1966\n" OK_SITE),
	    "1: gemini-port: unexpected \"1966\" (it takes one value)\n" },
	{ TEXT("workers 2 \"x\"\n" OK_SITE),
	    "1: workers: unexpected \"x\" (it takes one value)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/x\" { gone \"now\" }\n}\n"),
	    "2: gone: unexpected \"now\" (it takes no value)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n location \"/x\" { gone 1 }\n}\n"),
	    "2: gone: unexpected \"1\" (it takes no value)\n" },
	{ TEXT("listing on off\n" OK_SITE), "1: unknown directive \"off\"\n" },
	{ TEXT("gemini-port\n" OK_SITE), "1: gemini-port: needs a value\n" },
	{ TEXT(OK_SITE "workers"), "2: workers: needs a value\n" },
	{ TEXT("site \"a\" { capsule }\n"), "1: capsule: needs a value\n" },
	{ TEXT("site \"a\" {\n capsule { \"c\" }\n}\n"),
	    "2: capsule: needs a value\n" },
	{ TEXT("site \"a\" { capsule \"c\" location\n}\n"),
	    "1: location: needs a value\n" },
	{ TEXT("capsule \"c\"\n" OK_SITE),
	    "1: capsule: not allowed at top level (only in a site block)\n" },
	{ TEXT("gone\n" OK_SITE),
	    "1: gone: not allowed at top level (only in a location block)\n" },
	{ TEXT("location \"/x\" { gone }\n" OK_SITE),
	    "1: location: not allowed at top level (only in a site block)\n" },
	{ TEXT("site \"a\" { capsule \"c\" listen \"::1\" gopher-port 70 }\n"),
	    "1: listen: not allowed in a site block (only at top level)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " site \"b\" { capsule \"d\" }\n}\n"),
	    "2: site: not allowed in a site block (only at top level)\n" },
	{ TEXT("site \"a\" { capsule \"c\" redirect \"/\" }\n"),
	    "1: redirect: not allowed in a site block "
	    "(only in a location block)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/\" { certs \"k\" }\n}\n"),
	    "2: certs: not allowed in a location block "
	    "(only at top level or in a site block)\n" },
	{ TEXT("alias b\n" OK_SITE),
	    "1: alias: not allowed at top level (only in a site block)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/\" { listing off }\n}\n"),
	    "2: listing: not allowed in a location block "
	    "(only at top level or in a site block)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/\" { workers 1 }\n}\n"),
	    "2: workers: not allowed in a location block "
	    "(only at top level)\n" },

	/* Given twice, two actions. */
	{ TEXT("site \"a\" {\n capsule \"c\"\n capsule \"d\"\n}\n"),
	    "3: capsule: given twice (first on line 2)\n" },
	{ TEXT("gemini-port 1\n" OK_SITE "gemini-port 2\n"),
	    "3: gemini-port: given twice (first on line 1)\n" },
	{ TEXT("workers x\nworkers 2\n" OK_SITE),
	    "1: workers: invalid value \"x\"\n"
	    "2: workers: given twice (first on line 1)\n" },
	{ TEXT("lang en\nlang fr\n" OK_SITE),
	    "2: lang: given twice (first on line 1)\n" },
	{ TEXT("site \"a\" { capsule \"c\" gopher-port 70 gopher-port 71 }\n"),
	    "1: gopher-port: given twice (first on line 1)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/x\" { lang fr lang de }\n}\n"),
	    "2: lang: given twice (first on line 2)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/x\" {\n  gone\n  redirect \"/y\"\n }\n}\n"),
	    "4: redirect: the location already has an action "
	    "(gone on line 3)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/x\" { redirect \"/y\" redirect \"/z\" }\n}\n"),
	    "2: redirect: the location already has an action "
	    "(redirect on line 2)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/x\" { redirect-temporary \"/y\"\n gone }\n}\n"),
	    "3: gone: the location already has an action "
	    "(redirect-temporary on line 2)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/x\" { redirect\n gone }\n}\n"),
	    "2: redirect: needs a value\n"
	    "3: gone: the location already has an action "
	    "(redirect on line 2)\n" },

	/* Bad values. */
	{ TEXT("gemini-port x\n" OK_SITE),
	    "1: gemini-port: invalid value \"x\"\n" },
	{ TEXT("gemini-port 65536\n" OK_SITE),
	    "1: gemini-port: invalid value \"65536\"\n" },
	{ TEXT("gemini-port -1\n" OK_SITE),
	    "1: gemini-port: invalid value \"-1\"\n" },
	{ TEXT("gemini-port +1\n" OK_SITE),
	    "1: gemini-port: invalid value \"+1\"\n" },
	{ TEXT("gemini-port \" 1\"\n" OK_SITE),
	    "1: gemini-port: invalid value \" 1\"\n" },
	{ TEXT("gemini-port \"\"\n" OK_SITE),
	    "1: gemini-port: invalid value \"\"\n" },
	{ TEXT("gemini-port 99999999999999999999999\n" OK_SITE),
	    "1: gemini-port: invalid value \"99999999999999999999999\"\n" },
	{ TEXT("gemini-port 1x\n" OK_SITE),
	    "1: gemini-port: invalid value \"1x\"\n" },
	{ TEXT("workers 65\n" OK_SITE), "1: workers: invalid value \"65\"\n" },
	{ TEXT("gopher-width 19\n" OK_SITE),
	    "1: gopher-width: invalid value \"19\"\n" },
	{ TEXT("site \"a\" { capsule \"c\" gopher-width 1001 }\n"),
	    "1: gopher-width: invalid value \"1001\"\n" },
	{ TEXT("site \"a\" { capsule \"c\" gopher-port 65536 }\n"),
	    "1: gopher-port: invalid value \"65536\"\n" },
	{ TEXT("site \"a\" { capsule \"c\" gopher-public-port 0 }\n"),
	    "1: gopher-public-port: invalid value \"0\"\n" },
	{ TEXT("listing yes\n" OK_SITE),
	    "1: listing: invalid value \"yes\"\n" },
	{ TEXT("lang en_US\n" OK_SITE), "1: lang: invalid value \"en_US\"\n" },
	{ TEXT("lang \"\"\n" OK_SITE), "1: lang: invalid value \"\"\n" },
	{ TEXT("lang abcdefghij-abcdefghij-abcdefghij-abc\n" OK_SITE),
	    "1: lang: invalid value "
	    "\"abcdefghij-abcdefghij-abcdefghij-abc\"\n" },
	{ TEXT("listen localhost\n" OK_SITE),
	    "1: listen: invalid value \"localhost\"\n" },
	{ TEXT("listen \"::1\"\nlisten \"0:0::1\"\n" OK_SITE),
	    "2: listen: \"0:0::1\" already given on line 1\n" },
	{ TEXT("site \"a\" { capsule \"\" }\n"),
	    "1: capsule: invalid value \"\"\n" },
	{ TEXT("certs \"\"\n" OK_SITE), "1: certs: invalid value \"\"\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/x\" { redirect \"/a b\" }\n}\n"),
	    "2: redirect: invalid value \"/a b\"\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/x\" { redirect-temporary \"\" }\n}\n"),
	    "2: redirect-temporary: invalid value \"\"\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"/x\" { lang \"x y\" }\n}\n"),
	    "2: lang: invalid value \"x y\"\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n"
	    " location \"*.gmi\" { gone }\n}\n"),
	    "2: location: invalid pattern \"*.gmi\" (it must start with /)\n" },
	{ TEXT("gemini-port aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaa\n" OK_SITE),
	    "1: gemini-port: invalid value \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"\n" },
	{ TEXT("site \"a\" { capsule \"c\" lang \"\xc2\x85\xc3\xa9\xff\" }\n"),
	    "1: lang: invalid value \"\\xc2\\x85\xc3\xa9\\xff\"\n" },
	{ TEXT("site \"a\" { capsule \"c\" "
	    "lang \"\xe2\x80\xa8\xe2\x80\xae\" }\n"),
	    "1: lang: invalid value "
	    "\"\\xe2\\x80\\xa8\\xe2\\x80\\xae\"\n" },

	/* Names. */
	{ TEXT("site \"bad..name\" { capsule \"c\" }\n"),
	    "1: site: invalid host name \"bad..name\"\n" },
	{ TEXT("site \"-a\" {\n}\n"),
	    "1: site: invalid host name \"-a\"\n1: site \"-a\": no capsule\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n alias \"b.\"\n}\n"),
	    "2: alias: invalid host name \"b.\"\n" },
	{ TEXT("site \"a\" { capsule \"c\" }\nsite \"A\" { capsule \"d\" }\n"),
	    "2: duplicate site name \"A\" (first on line 1)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n alias \"b\" }\n"
	    "site \"x\" { capsule \"d\"\n alias \"B\" }\n"),
	    "4: duplicate site name \"B\" (first on line 2)\n" },
	{ TEXT("site \"a\" { capsule \"c\" alias \"b\" alias \"b\" }\n"),
	    "1: duplicate site name \"b\" (first on line 1)\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n alias \"b\" }\n"
	    "site \"b\" { capsule \"d\" }\n"),
	    "3: duplicate site name \"b\" (first on line 2)\n" },

	/* Ports. */
	{ TEXT("site \"a\" {\n capsule \"c\"\n gopher-port 70\n}\n"
	    "site \"b\" {\n capsule \"d\"\n gopher-port 70\n}\n"),
	    "7: gopher-port 70: already used by site \"a\" (line 3)\n" },
	{ TEXT("gemini-port 0\n"
	    "site \"a\" { capsule \"c\" gopher-port 0 }\n"
	    "site \"b\" { capsule \"d\" gopher-port 0 }\n"),
	    "0: nothing to serve: gemini-port is 0 and no site has a "
	    "gopher-port\n" },
	{ TEXT("site \"a\" {\n capsule \"c\"\n gopher-port 1965\n}\n"),
	    "3: gopher-port 1965: already used by gemini-port "
	    "(its default)\n" },
	{ TEXT("site \"a\" {\n capsule \"c\"\n gopher-port 7070\n}\n"
	    "gemini-port 7070\n"),
	    "3: gopher-port 7070: already used by gemini-port (line 5)\n" },
	{ TEXT("gemini-port 0\n" OK_SITE),
	    "0: nothing to serve: gemini-port is 0 and no site has a "
	    "gopher-port\n" },

	/* Blocks. */
	{ TEXT(""), "0: no site defined\n" },
	{ TEXT("# only a comment\n\n  \r\n"), "0: no site defined\n" },
	{ TEXT("gemini-port 0\n"), "0: no site defined\n" },
	{ TEXT("site \"a\" {\n}\n"), "1: site \"a\": no capsule\n" },
	{ TEXT("site \"a\" {\n capsule \"c\"\n"),
	    "1: site block opened here is never closed\n" },
	{ TEXT("site \"a\" {\n location \"/x\" {\n  gone\n"),
	    "1: site block opened here is never closed\n"
	    "2: location block opened here is never closed\n"
	    "1: site \"a\": no capsule\n" },
	{ TEXT(OK_SITE "}\n"), "2: unexpected }\n" },
	{ TEXT(OK_SITE "{ capsule \"c\"\n}\nworkers 1 1\n"),
	    "2: unexpected {\n4: workers: unexpected \"1\" (it takes one "
	    "value)\n" },
	{ TEXT("site \"a\"\n{ capsule \"c\" }\n" OK_SITE),
	    "1: site: expected { after the name\n" },
	{ TEXT("site \"a\" \"b\" { capsule \"c\" }\n" OK_SITE),
	    "1: site: expected { after the name\n" },
	{ TEXT("site {\n capsule \"c\"\n}\n" OK_SITE),
	    "1: site: needs a value\n" },
	{ TEXT("site\n{\n capsule \"c\"\n}\n" OK_SITE),
	    "1: site: needs a value\n" },
	{ TEXT("site \"a\" \"b\" {\n capsule \"c\"\n"),
	    "1: site: expected { after the name\n"
	    "1: block opened here is never closed\n0: no site defined\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n location \"/x\" gone\n}\n"),
	    "2: location: expected { after the pattern\n" },
	{ TEXT("site \"a\" { capsule \"c\"\n location \"/x\"\n { gone }\n}\n"),
	    "2: location: expected { after the pattern\n" },

	/* Recovery: the rest of a one-line block, and the next lines. */
	{ TEXT("site \"a\" { capsule \"c\" bogus x gopher-port 70 }\n"
	    "site \"b\" { capsule \"d\" gopher-port 70 }\n"),
	    "1: unknown directive \"bogus\"\n" },
	{ TEXT("gemini-port x\nworkers 99\nfoo\n"
	    "site \"a\" {\n capsule \"c\"\n listing maybe\n}\n"),
	    "1: gemini-port: invalid value \"x\"\n"
	    "2: workers: invalid value \"99\"\n"
	    "3: unknown directive \"foo\"\n"
	    "6: listing: invalid value \"maybe\"\n" },
};

static void
test_bad(void)
{
	struct msgs m;
	struct conf *c;
	unsigned errors;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = parse_len("attache.conf", bad[i].text, bad[i].len, &m,
		    &errors);
		CHECK(c != NULL);
		CHECK(!m.overflow);
		CHECK_STR(m.buf, bad[i].want);
		CHECK_INT(errors, count_lines(bad[i].want));
		if (strcmp(m.buf, bad[i].want) != 0)
			fprintf(stderr, "  (case %zu)\n", i);
		conf_free(c);
	}
}

static void
test_example(void)
{
	const char *text =
	    "# global options\n"
	    "listen \"127.0.0.1\"\n"
	    "listen \"::1\"\n"
	    "gemini-port 1965\n"
	    "workers 0\n"
	    "gopher-width 67\n"
	    "\n"
	    "site \"office.example.org\" {\n"
	    "    alias \"www.office.example.org\"\n"
	    "    capsule \"/srv/gemini/office\"\n"
	    "    certs \"/etc/attache/certs\"\n"
	    "    lang \"en\"\n"
	    "    gopher-port 70\n"
	    "    gopher-public-port 70\n"
	    "    listing on\n"
	    "    location \"/old-news/*\" { redirect \"/news/\" }\n"
	    "    location \"/drafts/*\" { gone }\n"
	    "    location \"/fr/*\" { lang \"fr\" }\n"
	    "}\n"
	    "site \"lab.example.org\" { capsule \"/srv/gemini/lab\"  "
	    "certs \"/etc/attache/certs\"  gopher-port 7071 }\n";
	const struct conf_location *l;
	const struct conf_site *s;
	struct conf *c;

	c = parse_ok("/etc/attache/attache.conf", text);
	if (c == NULL)
		return;
	CHECK_STR(c->file, "/etc/attache/attache.conf");
	CHECK_INT(c->nlisten, 2);
	CHECK_STR(c->listen[0].addr, "127.0.0.1");
	CHECK_INT(c->listen[0].line, 2);
	CHECK_STR(c->listen[1].addr, "::1");
	CHECK_INT(c->listen[1].line, 3);
	CHECK_INT(c->gemini_port, 1965);
	CHECK_INT(c->gemini_port_line, 4);
	CHECK_INT(c->workers, 0);
	CHECK_INT(c->nsites, 2);

	s = &c->sites[0];
	CHECK_STR(s->name, "office.example.org");
	CHECK_INT(s->naliases, 1);
	CHECK_STR(s->aliases[0], "www.office.example.org");
	CHECK_STR(s->capsule, "/srv/gemini/office");
	CHECK_STR(s->certs, "/etc/attache/certs");
	CHECK_STR(s->lang, "en");
	CHECK_INT(s->gopher_port, 70);
	CHECK_INT(s->gopher_public_port, 70);
	CHECK_INT(s->gopher_width, 67);
	CHECK_INT(s->listing, 1);
	CHECK_INT(s->line, 8);
	CHECK_INT(s->capsule_line, 10);
	CHECK_INT(s->certs_line, 11);
	CHECK_INT(s->gopher_port_line, 13);
	CHECK_INT(s->nlocations, 3);
	l = &s->locations[0];
	CHECK_STR(l->pattern, "/old-news/*");
	CHECK_INT(l->action, CONF_ACTION_REDIRECT);
	CHECK_STR(l->target, "/news/");
	CHECK_INT(l->has_lang, 0);
	CHECK_INT(l->line, 16);
	l = &s->locations[1];
	CHECK_STR(l->pattern, "/drafts/*");
	CHECK_INT(l->action, CONF_ACTION_GONE);
	CHECK_STR(l->target, NULL);
	CHECK_INT(l->line, 17);
	l = &s->locations[2];
	CHECK_STR(l->pattern, "/fr/*");
	CHECK_INT(l->action, CONF_ACTION_NONE);
	CHECK_INT(l->has_lang, 1);
	CHECK_STR(l->lang, "fr");
	CHECK_INT(l->line, 18);

	s = &c->sites[1];
	CHECK_STR(s->name, "lab.example.org");
	CHECK_INT(s->naliases, 0);
	CHECK_STR(s->capsule, "/srv/gemini/lab");
	CHECK_STR(s->certs, "/etc/attache/certs");
	CHECK_STR(s->lang, "en");
	CHECK_INT(s->gopher_port, 7071);
	CHECK_INT(s->gopher_public_port, 0);
	CHECK_INT(conf_gopher_public_port(s), 7071);
	CHECK_INT(s->gopher_width, 67);
	CHECK_INT(s->listing, 1);
	CHECK_INT(s->nlocations, 0);
	CHECK_INT(s->line, 20);
	CHECK_INT(s->capsule_line, 20);
	CHECK_INT(s->certs_line, 20);
	CHECK_INT(s->gopher_port_line, 20);
	conf_free(c);
}

int
main(void)
{
	test_bad();
	test_example();
	return unit_done("test_conf");
}
