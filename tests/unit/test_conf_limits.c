/*
 * The scale directives and options: listen ... proxy, --proxy-protocol,
 * max-connections, max-connections-per-address, rate-limit.
 */
#include "options.h"
#include "unit_conf.h"

struct bad {
	const char	*text;
	const char	*want;
};

static const struct bad bads[] = {
	{ "listen \"127.0.0.1\" proxi\n" OK_SITE, "1: listen: unexpected "
	    "\"proxi\" (it takes an address, then proxy or nothing)\n" },
	{ "listen \"127.0.0.1\" proxy proxy\n" OK_SITE, "1: listen: "
	    "unexpected \"proxy\" (it takes an address, then proxy or "
	    "nothing)\n" },
	{ "listen \"127.0.0.1\" \"proxy\" x\n" OK_SITE, "1: listen: "
	    "unexpected \"x\" (it takes an address, then proxy or nothing)\n" },
	{ "listen proxy\n" OK_SITE, "1: listen: invalid value \"proxy\"\n" },
	{ "max-connections 0\n" OK_SITE,
	    "1: max-connections: invalid value \"0\"\n" },
	{ "max-connections off\n" OK_SITE,
	    "1: max-connections: invalid value \"off\"\n" },
	{ "max-connections 1000001\n" OK_SITE,
	    "1: max-connections: invalid value \"1000001\"\n" },
	{ "max-connections -5\n" OK_SITE,
	    "1: max-connections: invalid value \"-5\"\n" },
	{ "max-connections 10\nmax-connections 20\n" OK_SITE,
	    "2: max-connections: given twice (first on line 1)\n" },
	{ "max-connections-per-address 032\n" OK_SITE,
	    "1: max-connections-per-address: invalid value \"032\"\n" },
	{ "max-connections-per-address none\n" OK_SITE,
	    "1: max-connections-per-address: invalid value \"none\"\n" },
	{ "rate-limit 10\n" OK_SITE, "1: rate-limit: invalid value \"10\" "
	    "(it takes N/s, then burst B or nothing; or off)\n" },
	{ "rate-limit 10/m\n" OK_SITE, "1: rate-limit: invalid value "
	    "\"10/m\" (it takes N/s, then burst B or nothing; or off)\n" },
	{ "rate-limit 0/s\n" OK_SITE, "1: rate-limit: invalid value "
	    "\"0/s\" (it takes N/s, then burst B or nothing; or off)\n" },
	{ "rate-limit 10/s burst\n" OK_SITE, "1: rate-limit: invalid value "
	    "\"burst\" (it takes N/s, then burst B or nothing; or off)\n" },
	{ "rate-limit 10/s burst 0\n" OK_SITE, "1: rate-limit: invalid value "
	    "\"0\" (it takes N/s, then burst B or nothing; or off)\n" },
	{ "rate-limit 10/s bursts 20\n" OK_SITE, "1: rate-limit: invalid "
	    "value \"bursts\" (it takes N/s, then burst B or nothing; or "
	    "off)\n" },
	{ "rate-limit 10/s burst 20 30\n" OK_SITE, "1: rate-limit: invalid "
	    "value \"30\" (it takes N/s, then burst B or nothing; or off)\n" },
	{ "rate-limit off 20\n" OK_SITE, "1: rate-limit: invalid value "
	    "\"20\" (it takes N/s, then burst B or nothing; or off)\n" },
	{ "rate-limit 1/s burst 2 3 4 5\n" OK_SITE, "1: rate-limit: too many "
	    "values (it takes N/s, then burst B or nothing; or off)\n" },
	{ "rate-limit\n" OK_SITE, "1: rate-limit: needs a value\n" },
	{ "site \"a\" { capsule \"c\" rate-limit 1/s burst 2 }\n",
	    "1: rate-limit: not allowed in a site block (only at top "
	    "level)\n" },
	{ "site \"a\" { capsule \"c\" max-connections 5 }\n",
	    "1: max-connections: not allowed in a site block (only at top "
	    "level)\n" },
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
		CHECK_INT(c->max_connections, 0);
		CHECK_INT(c->max_per_address, CONF_MAX_PER_ADDRESS_DEFAULT);
		CHECK_INT(c->rate, CONF_RATE_DEFAULT);
		CHECK_INT(c->burst, CONF_BURST_DEFAULT);
		CHECK_INT(c->proxy_protocol, 0);
	}
	conf_free(c);
	c = parse_ok("a.conf", "listen \"127.0.0.1\" proxy\n"
	    "listen \"::1\"\nlisten \"10.0.0.1\" \"proxy\"\n"
	    "max-connections 5000\nmax-connections-per-address off\n"
	    "rate-limit 5/s burst 50\n" OK_SITE);
	if (c != NULL) {
		CHECK_INT(c->nlisten, 3);
		CHECK_INT(c->listen[0].proxy, 1);
		CHECK_INT(c->listen[1].proxy, 0);
		CHECK_INT(c->listen[2].proxy, 1);
		CHECK_INT(c->max_connections, 5000);
		CHECK_INT(c->max_per_address, 0);
		CHECK_INT(c->rate, 5);
		CHECK_INT(c->burst, 50);
	}
	conf_free(c);
	c = parse_ok("a.conf", "rate-limit 7/s\n" OK_SITE);
	if (c != NULL) {
		CHECK_INT(c->rate, 7);
		CHECK_INT(c->burst, 7);
	}
	conf_free(c);
	c = parse_ok("a.conf", "rate-limit off\n" OK_SITE);
	if (c != NULL)
		CHECK_INT(c->rate, 0);
	conf_free(c);
	/* One-line blocks: a directive's name ends a line of words. */
	c = parse_ok("a.conf", "rate-limit 3/s burst 4 workers 2\n" OK_SITE);
	if (c != NULL) {
		CHECK_INT(c->rate, 3);
		CHECK_INT(c->burst, 4);
		CHECK_INT(c->workers, 2);
	}
	conf_free(c);
}

/* The command line: the same names and values. */
static void
test_options(void)
{
	char *ok[] = { "attache", "--proxy-protocol", "--max-connections",
	    "100", "--max-connections-per-address", "off", "--rate-limit",
	    "3/s burst 9", NULL };
	char *rate[] = { "attache", "--rate-limit", "off", NULL };
	char *bad1[] = { "attache", "--rate-limit", "3/s burst", NULL };
	char *bad2[] = { "attache", "--max-connections", "0", NULL };
	char *bad3[] = { "attache", "--max-connections-per-address", "x",
	    NULL };
	char *file[] = { "attache", "-f", "x.conf", "--rate-limit", "off",
	    NULL };
	struct options o;
	struct conf *c;
	FILE *errs = tmpfile();
	char buf[512];
	size_t n;

	CHECK(errs != NULL);
	if (errs == NULL)
		return;
	CHECK_INT(options_parse(8, ok, &o, &c, errs), OPTIONS_RUN);
	if (c != NULL) {
		CHECK_INT(c->proxy_protocol, 1);
		CHECK_INT(c->max_connections, 100);
		CHECK_INT(c->max_per_address, 0);
		CHECK_INT(c->rate, 3);
		CHECK_INT(c->burst, 9);
	}
	conf_free(c);
	CHECK_INT(options_parse(3, rate, &o, &c, errs), OPTIONS_RUN);
	if (c != NULL)
		CHECK_INT(c->rate, 0);
	conf_free(c);
	CHECK_INT(options_parse(3, bad1, &o, &c, errs), OPTIONS_ERROR);
	CHECK_INT(options_parse(3, bad2, &o, &c, errs), OPTIONS_ERROR);
	CHECK_INT(options_parse(3, bad3, &o, &c, errs), OPTIONS_ERROR);
	CHECK_INT(options_parse(5, file, &o, &c, errs), OPTIONS_ERROR);
	rewind(errs);
	n = fread(buf, 1, sizeof(buf) - 1, errs);
	buf[n] = '\0';
	CHECK_STR(buf,
	    "attache: --rate-limit: invalid value \"3/s burst\"\n"
	    "attache: --max-connections: invalid value \"0\"\n"
	    "attache: --max-connections-per-address: invalid value \"x\"\n"
	    "attache: --rate-limit: not with --config; set it in x.conf\n");
	fclose(errs);
}

static void
test_rate_parse(void)
{
	const char *w1[] = { "12/s" }, *w3[] = { "12/s", "burst", "30" };
	const char *bad;
	int rate, burst;

	CHECK_INT(conf_rate_parse(w1, 1, &rate, &burst, &bad), 0);
	CHECK_INT(rate, 12);
	CHECK_INT(burst, 12);
	CHECK_INT(conf_rate_parse(w3, 3, &rate, &burst, &bad), 0);
	CHECK_INT(burst, 30);
	CHECK_INT(conf_rate_parse(w3, 2, &rate, &burst, &bad), -1);
	CHECK_STR(bad, "burst");
	CHECK_INT(conf_rate_parse(w3, 0, &rate, &burst, &bad), -1);
	CHECK_INT(conf_limit_parse("1000000", &rate), 0);
	CHECK_INT(rate, 1000000);
	CHECK_INT(conf_limit_parse("1000001", &rate), -1);
	CHECK_INT(conf_limit_parse("", &rate), -1);
	CHECK_INT(conf_limit_parse("off", &rate), 0);
	CHECK_INT(rate, 0);
}

int
main(void)
{
	test_bad();
	test_values();
	test_options();
	test_rate_parse();
	return unit_done("conf_limits");
}
