/* Titan request lines: accepted forms, parameters in any order, and every
 * refusal with its status. */
#include <string.h>

#include "titan_request.h"
#include "unit.h"

static const char *const aliases[] = { "www.example.org" };
static const struct gemini_target target = { .hostname = "example.org",
    .port = 1965, .local_addr = "192.0.2.7", .aliases = aliases,
    .naliases = 1 };

struct want {
	const char	*line;
	const char	*path;
	long long	 size;
	const char	*mime;		/* NULL: none */
	const char	*token;		/* NULL: none */
	const char	*host;
};

static const struct want accepted[] = {
	{ "titan://example.org/page.gmi;size=10", "/page.gmi", 10, NULL,
	    NULL, "example.org" },
	{ "titan://example.org/a/b.gmi;size=3;mime=text/gemini;token=x",
	    "/a/b.gmi", 3, "text/gemini", "x", "example.org" },
	{ "titan://example.org/a/b.gmi;token=x;mime=text/plain;size=3",
	    "/a/b.gmi", 3, "text/plain", "x", "example.org" },
	{ "titan://example.org/a/b.gmi;mime=text/plain;size=0003",
	    "/a/b.gmi", 3, "text/plain", NULL, "example.org" },
	{ "TITAN://Example.Org:1965/x;size=0", "/x", 0, NULL, NULL,
	    "Example.Org" },
	{ "titan://www.example.org/x;size=1", "/x", 1, NULL, NULL,
	    "www.example.org" },
	{ "titan://192.0.2.7/x;size=1", "/x", 1, NULL, NULL, "192.0.2.7" },
	{ "titan://[::ffff:192.0.2.7]/x;size=1", "/x", 1, NULL, NULL,
	    "[::ffff:192.0.2.7]" },
	{ "titan://example.org/;size=5", "/", 5, NULL, NULL, "example.org" },
	{ "titan://example.org/dir/;size=5", "/dir/", 5, NULL, NULL,
	    "example.org" },
	{ "titan://example.org/caf%C3%A9%20x.gmi;size=2", "/caf\xc3\xa9 x.gmi",
	    2, NULL, NULL, "example.org" },
	{ "titan://example.org/a%3Bb;size=2", "/a;b", 2, NULL, NULL,
	    "example.org" },
	{ "titan://example.org/x;size=2;mime=text%2Fplain%3B%20charset=utf-8",
	    "/x", 2, "text/plain; charset=utf-8", NULL, "example.org" },
	{ "titan://example.org/x;size=2;edit=1", "/x", 2, NULL, NULL,
	    "example.org" },		/* other parameters: ignored */
	{ "titan://example.org/x;size=2;token=", "/x", 2, NULL, "",
	    "example.org" },
	{ "titan://example.org/x;size=2;token=a%20b=c", "/x", 2, NULL,
	    "a b=c", "example.org" },
	{ "titan://example.org/x;size=999999999999999999", "/x",
	    999999999999999999LL, NULL, NULL, "example.org" },
};

static void
test_accepted(void)
{
	struct titan_request req;
	size_t i;
	int status;

	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		const struct want *w = &accepted[i];

		status = titan_request_parse(w->line, strlen(w->line), &target,
		    &req);
		CHECK_INT(status, 20);
		if (status != 20) {
			fprintf(stderr, "  (%s: %s)\n", w->line, req.reason);
			continue;
		}
		CHECK_STR(req.path, w->path);
		CHECK_INT(req.pathlen, strlen(w->path));
		CHECK_INT(req.size, w->size);
		CHECK_INT(req.has_mime, w->mime != NULL);
		if (w->mime != NULL)
			CHECK_STR(req.mime, w->mime);
		CHECK_INT(req.has_token, w->token != NULL);
		if (w->token != NULL)
			CHECK_STR(req.token, w->token);
		CHECK_STR(req.host, w->host);
	}
}

static const struct {
	const char	*line;
	size_t		 len;
	int		 status;
	const char	*reason;
} refused[] = {
#define R(s, st, why)	{ s, sizeof(s) - 1, st, why }
	R("titan://example.org/x", 59, "no size parameter"),
	R("titan://example.org/x;", 59, "malformed parameter"),
	R("titan://example.org/x;;size=1", 59, "malformed parameter"),
	R("titan://example.org/x;size=1;", 59, "malformed parameter"),
	R("titan://example.org/x;size", 59, "malformed parameter"),
	R("titan://example.org/x;=1", 59, "malformed parameter"),
	R("titan://example.org/x;mime=text/plain", 59, "no size parameter"),
	R("titan://example.org/x;size=", 59, "size is not a number"),
	R("titan://example.org/x;size=-1", 59, "size is not a number"),
	R("titan://example.org/x;size=+1", 59, "size is not a number"),
	R("titan://example.org/x;size=1k", 59, "size is not a number"),
	R("titan://example.org/x;size=0x10", 59, "size is not a number"),
	R("titan://example.org/x;size=%31", 59, "size is not a number"),
	R("titan://example.org/x;size=1000000000000000000", 59,
	    "size is not a number"),
	R("titan://example.org/x;size=1;size=1", 59, "size given twice"),
	R("titan://example.org/x;size=1;mime=a/b;mime=a/b", 59,
	    "mime given twice"),
	R("titan://example.org/x;size=1;token=a;token=b", 59,
	    "token given twice"),
	R("titan://example.org/x;size=1;mime=", 59, "malformed mime"),
	R("titan://example.org/x;size=1;mime=plain", 59, "malformed mime"),
	R("titan://example.org/x;size=1;mime=/plain", 59, "malformed mime"),
	R("titan://example.org/x;size=1;mime=text/", 59, "malformed mime"),
	R("titan://example.org/x;size=1;mime=text/%0a", 59, "malformed mime"),
	R("titan://example.org/x;size=1;mime=t%C3%A9xt/plain", 59,
	    "malformed mime"),
	R("titan://example.org/x;size=1;mime=text/plain%", 59,
	    "malformed mime"),
	R("titan://example.org/x;size=1;token=%00", 59, "malformed token"),
	R("titan://example.org/x;size=1;token=a%20b%0d", 59,
	    "malformed token"),
	R("titan://example.org/x;size=1 ", 59, "control character or space"),
	R("titan://example.org/x;size=1;token=\x01", 59,
	    "control character or space"),
	R("titan://example.org/x;size=1;token=\xff", 59, "invalid UTF-8"),
	R("titan://example.org/x;size=1?q", 59, "query in a Titan URL"),
	R("titan://example.org/x?q;size=1", 59, "no size parameter"),
	R("titan://example.org/x;size=1#f", 59, "fragment in URI"),
	R("titan://example.org;size=1", 59, "no size parameter"),
	R("titan:/x;size=1", 59, "no size parameter"),
	R("titan:x;size=1", 59, "no size parameter"),
	R("titan://example.org/../x;size=1", 59,
	    "dot or empty segment in path"),
	R("titan://example.org/a/%2e%2e/x;size=1", 59,
	    "dot or empty segment in path"),
	R("titan://example.org/a/./x;size=1", 59,
	    "dot or empty segment in path"),
	R("titan://example.org/a/..;size=1", 59,
	    "dot or empty segment in path"),
	R("titan://example.org//x;size=1", 59,
	    "dot or empty segment in path"),
	R("titan://example.org/a%2f%2fx;size=1", 59,
	    "dot or empty segment in path"),
	R("titan://example.org/a%00;size=1", 59, "NUL in path"),
	R("titan://example.org/a%zz;size=1", 59, "malformed percent-encoding"),
	R("titan://example.org/a b;size=1", 59, "space in URI"),
	R("titan://example.org/\xc3;size=1", 59, "invalid UTF-8"),
	R("titan://user@example.org/x;size=1", 59, "userinfo in URI"),
	R("\xef\xbb\xbftitan://example.org/x;size=1", 59, "not a Titan URL"),
	R("gemini://example.org/x;size=1", 59, "not a Titan URL"),
	R("", 59, "not a Titan URL"),
	R("titan://other.org/x;size=1", 53, "host not served"),
	R("titan://example.org:1966/x;size=1", 53, "port not served"),
	R("titan://example.org%2e/x;size=1", 59, "percent-encoded host"),
#undef R
};

static void
test_refused(void)
{
	struct titan_request req;
	char longline[REQUEST_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CHECK_INT(titan_request_parse(refused[i].line, refused[i].len,
		    &target, &req), refused[i].status);
		CHECK_STR(req.reason, refused[i].reason);
		if (req.reason == NULL ||
		    strcmp(req.reason, refused[i].reason) != 0)
			fprintf(stderr, "  (case %zu)\n", i);
	}
	/* The 1024-byte limit holds for the whole line, parameters too. */
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "titan://example.org/", 20);
	memcpy(longline + REQUEST_MAX - 7, ";size=1", 7);
	CHECK_INT(titan_request_parse(longline, REQUEST_MAX, &target, &req),
	    20);
	CHECK_INT(req.pathlen, REQUEST_MAX - 7 - 19);
	memcpy(longline + REQUEST_MAX - 6, ";size=1", 7);
	CHECK_INT(titan_request_parse(longline, REQUEST_MAX + 1, &target,
	    &req), 59);
	CHECK_STR(req.reason, "request longer than 1024 bytes");
}

static void
test_is(void)
{
	CHECK_INT(titan_request_is("titan://x", 9), 1);
	CHECK_INT(titan_request_is("TITAN:", 6), 1);
	CHECK_INT(titan_request_is("titan", 5), 0);
	CHECK_INT(titan_request_is("gemini://x", 10), 0);
	CHECK_INT(titan_request_is("titans://x", 10), 0);
}

int
main(void)
{
	test_accepted();
	test_refused();
	test_is();
	return unit_done("titan_request");
}
