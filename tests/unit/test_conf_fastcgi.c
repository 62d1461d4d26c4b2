/* The FastCGI directives: fastcgi socket, tcp and off, and param. */
#include "unit_conf.h"

static void
test_values(void)
{
	const struct conf_location *l;
	struct conf *c;

	c = parse_ok("a.conf", "site \"a\" {\n capsule \"c\"\n"
	    " location \"/app/static/*\" { fastcgi off }\n"
	    " location \"/app/*\" {\n  fastcgi socket \"/run/app.sock\"\n"
	    "  param SCRIPT_FILENAME \"/srv/app/index.php\"\n"
	    "  param APP_MODE \"\"\n }\n"
	    " location \"/tcp/*\" { fastcgi tcp \"127.0.0.1\" port 9000 }\n"
	    " location \"/v6/*\" { fastcgi tcp \"::1\" port 1 }\n"
	    " location \"/plain/*\" { lang \"fr\" }\n}\n");
	if (c == NULL)
		return;
	CHECK_INT(c->sites[0].nlocations, 5);
	l = &c->sites[0].locations[0];
	CHECK_INT(l->fastcgi, CONF_FASTCGI_OFF);
	CHECK_INT(conf_location_fastcgi(l), 0);
	l = &c->sites[0].locations[1];
	CHECK_INT(l->fastcgi, CONF_FASTCGI_UNIX);
	CHECK_INT(conf_location_fastcgi(l), 1);
	CHECK_STR(l->fastcgi_addr, "/run/app.sock");
	CHECK_INT(l->nparams, 2);
	if (l->nparams == 2) {
		CHECK_STR(l->params[0].name, "SCRIPT_FILENAME");
		CHECK_STR(l->params[0].value, "/srv/app/index.php");
		CHECK_INT(l->params[0].line, 6);
		CHECK_STR(l->params[1].name, "APP_MODE");
		CHECK_STR(l->params[1].value, "");
	}
	l = &c->sites[0].locations[2];
	CHECK_INT(l->fastcgi, CONF_FASTCGI_TCP);
	CHECK_STR(l->fastcgi_addr, "127.0.0.1");
	CHECK_INT(l->fastcgi_port, 9000);
	l = &c->sites[0].locations[3];
	CHECK_STR(l->fastcgi_addr, "::1");
	CHECK_INT(l->fastcgi_port, 1);
	l = &c->sites[0].locations[4];
	CHECK_INT(l->fastcgi, CONF_FASTCGI_NONE);
	CHECK_INT(conf_location_fastcgi(l), 0);
	CHECK_INT(conf_location_fastcgi(NULL), 0);
	/* First match wins: the narrower location, before, turns it off. */
	CHECK(conf_location_match(&c->sites[0], "/app/static/a.png") ==
	    &c->sites[0].locations[0]);
	CHECK(conf_location_match(&c->sites[0], "/app/page") ==
	    &c->sites[0].locations[1]);
	conf_free(c);
}

struct bad {
	const char	*text;
	const char	*want;
};

#define LOC(x)	"site \"a\" { capsule \"c\"\n location \"/x/*\" {\n" x "\n }\n}\n"

static const struct bad bad[] = {
	{ LOC("fastcgi"), "3: fastcgi: needs a value\n" },
	{ LOC("fastcgi on"), "3: fastcgi: invalid value \"on\" (it takes "
	    "socket \"PATH\", tcp \"ADDRESS\" port N, or off)\n" },
	{ LOC("fastcgi socket"), "3: fastcgi socket: a value missing (it "
	    "takes socket \"PATH\", tcp \"ADDRESS\" port N, or off)\n" },
	{ LOC("fastcgi off \"x\""), "3: fastcgi off: too many values (it "
	    "takes socket \"PATH\", tcp \"ADDRESS\" port N, or off)\n" },
	{ LOC("fastcgi socket \"run/app.sock\""), "3: fastcgi socket: "
	    "invalid path \"run/app.sock\" (absolute, at most 107 bytes)\n" },
	{ LOC("fastcgi socket \"/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaa\""), "3: fastcgi socket: invalid path \"/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."
	    "\" (absolute, at most 107 bytes)\n" },
	{ LOC("fastcgi tcp \"localhost\" port 9000"), "3: fastcgi tcp: "
	    "invalid address \"localhost\" (a numeric IPv4 or IPv6 address)\n" },
	{ LOC("fastcgi tcp \"127.0.0.1\" 9000"), "3: fastcgi tcp: a value "
	    "missing (it takes socket \"PATH\", tcp \"ADDRESS\" port N, or "
	    "off)\n" },
	{ LOC("fastcgi tcp \"127.0.0.1\" prot 9000"), "3: fastcgi: invalid "
	    "value \"prot\" (it takes socket \"PATH\", tcp \"ADDRESS\" port "
	    "N, or off)\n" },
	{ LOC("fastcgi tcp \"127.0.0.1\" port 0"), "3: fastcgi tcp: invalid "
	    "port \"0\" (1 to 65535)\n" },
	{ LOC("fastcgi tcp \"127.0.0.1\" port 65536"), "3: fastcgi tcp: "
	    "invalid port \"65536\" (1 to 65535)\n" },
	{ LOC("fastcgi off\nfastcgi socket \"/a\""), "4: fastcgi: given twice "
	    "(first on line 3)\n" },
	{ "site \"a\" { capsule \"c\" fastcgi off }\n", "1: fastcgi: not "
	    "allowed in a site block (only in a location block)\n" },
	{ "param A \"b\"\n" OK_SITE, "1: param: not allowed at top level "
	    "(only in a location block)\n" },
	{ LOC("fastcgi off\nparam A \"b\""), "4: param: the location has no "
	    "fastcgi responder\n" },
	{ LOC("param A \"b\""), "3: param: the location has no fastcgi "
	    "responder\n" },
	{ LOC("fastcgi socket \"/s\"\nparam 1A \"b\""), "4: param: invalid "
	    "name \"1A\" (letters, digits and _, not first a digit, at most "
	    "64 bytes)\n" },
	{ LOC("fastcgi socket \"/s\"\nparam \"A=B\" \"b\""), "4: param: "
	    "invalid name \"A=B\" (letters, digits and _, not first a digit, "
	    "at most 64 bytes)\n" },
	{ LOC("fastcgi socket \"/s\"\nparam A"), "4: param A: no value (it "
	    "takes a name, then a value)\n" },
	{ LOC("fastcgi socket \"/s\"\nparam A \"b\" \"c\""), "4: param A: too "
	    "many values (it takes a name, then a value)\n" },
	{ LOC("fastcgi socket \"/s\"\nparam A \"b\"\nparam A \"c\""),
	    "5: param A: given twice (first on line 4)\n" },
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
		if (strcmp(m.buf, bad[i].want) != 0)
			fprintf(stderr, "case %zu\n", i);
		CHECK_STR(m.buf, bad[i].want);
		CHECK_INT(errors, count_lines(bad[i].want));
		conf_free(c);
	}
}

static void
test_long_value(void)
{
	char text[CONF_PARAM_VALUE_MAX + 200], *v;
	struct msgs m;
	struct conf *c;
	unsigned errors;
	int n;

	n = snprintf(text, sizeof(text), LOC("fastcgi socket \"/s\"\n"
	    "param A \"%*s\""), CONF_PARAM_VALUE_MAX, "");
	CHECK(n > 0 && (size_t)n < sizeof(text));
	c = parse_ok("a.conf", text);
	conf_free(c);
	v = strstr(text, "\"  ");
	CHECK(v != NULL);
	n = snprintf(text, sizeof(text), LOC("fastcgi socket \"/s\"\n"
	    "param A \"%*s\""), CONF_PARAM_VALUE_MAX + 1, "");
	c = parse("a.conf", text, &m, &errors);
	CHECK_STR(m.buf, "4: param A: value longer than 4096 bytes\n");
	conf_free(c);
}

int
main(void)
{
	test_values();
	test_bad();
	test_long_value();
	return unit_done("conf_fastcgi");
}
