/* Gemini request validation: every refusal and every accepted form. */
#include <string.h>

#include "gemini_request.h"
#include "unit.h"

static const struct gemini_target target = { .hostname = "example.org",
    .port = 1965, .local_addr = "192.0.2.7" };

static int
parse(const char *line, struct gemini_request *req)
{
	return gemini_request_parse(line, strlen(line), &target, req);
}

/* Accepted, with the path the capsule sees. */
static void
ok(const char *line, const char *path)
{
	struct gemini_request req;

	CHECK_INT(parse(line, &req), 20);
	CHECK_STR(req.path, path);
	CHECK_INT(req.pathlen, strlen(path));
}

static void
refused(const char *line, size_t len, int status)
{
	struct gemini_request req;

	CHECK_INT(gemini_request_parse(line, len, &target, &req), status);
	CHECK(req.reason != NULL);
}

#define REFUSED(s, status)	refused((s), sizeof(s) - 1, (status))

static void
test_accepted(void)
{
	struct gemini_request req;

	ok("gemini://example.org/", "/");
	ok("gemini://example.org", "/");
	ok("gemini://example.org/a/b.gmi", "/a/b.gmi");
	ok("GEMINI://EXAMPLE.ORG/Case.gmi", "/Case.gmi");
	ok("Gemini://Example.Org./x", "/x");
	ok("gemini://example.org:1965/x", "/x");
	ok("gemini://example.org:01965/x", "/x");
	ok("gemini://example.org:/x", "/x");
	ok("gemini://192.0.2.7/x", "/x");		/* our address */
	ok("gemini://192.0.2.7:1965/x", "/x");
	ok("gemini://[::ffff:192.0.2.7]/x", "/x");
	ok("gemini://example.org/caf%C3%A9", "/caf\xc3\xa9");
	ok("gemini://example.org/caf\xc3\xa9", "/caf\xc3\xa9");
	ok("gemini://example.org/a%20b", "/a b");
	ok("gemini://example.org/%7Euser/", "/~user/");
	ok("gemini://example.org/a/../b", "/b");
	ok("gemini://example.org/../../etc/passwd", "/etc/passwd");
	ok("gemini://example.org/%2e%2e/%2E%2E/etc/passwd", "/etc/passwd");
	ok("gemini://example.org/a%2F..%2F..%2Fb", "/b");
	ok("gemini://example.org/a/./b/.", "/a/b/");
	ok("gemini://example.org/..", "/");
	ok("gemini://example.org/%252e%252e/x", "/%2e%2e/x");
	ok("gemini://example.org/.hidden", "/.hidden");	/* the capsule refuses */

	CHECK_INT(parse("gemini://example.org/search?caf%C3%A9", &req), 20);
	CHECK(req.has_query);
	CHECK_STR(req.query, "caf%C3%A9");
	CHECK_INT(parse("gemini://example.org/x?", &req), 20);
	CHECK(req.has_query);
	CHECK_STR(req.query, "");
	CHECK_INT(parse("gemini://example.org/x", &req), 20);
	CHECK(!req.has_query);
}

static void
test_bad_requests(void)
{
	REFUSED("", 59);
	REFUSED("/relative", 59);
	REFUSED("relative.gmi", 59);
	REFUSED("//example.org/", 59);
	REFUSED("gemini:/x", 59);
	REFUSED("gemini:x", 59);
	REFUSED("gemini://user@example.org/", 59);
	REFUSED("gemini://@example.org/", 59);
	REFUSED("gemini://u:p@example.org/", 59);
	REFUSED("gemini://example.org/#f", 59);
	REFUSED("gemini://example.org/#", 59);
	REFUSED("\xef\xbb\xbfgemini://example.org/", 59);
	REFUSED("gemini://example.org/\xff", 59);
	REFUSED("gemini://example.org/\xc0\xaf", 59);	/* overlong '/' */
	REFUSED("gemini://example.org/\xe0\x80\xaf", 59);
	REFUSED("gemini://example.org/\xf0\x80\x80\xaf", 59);
	REFUSED("gemini://example.org/\xed\xa0\x80", 59); /* surrogate */
	REFUSED("gemini://example.org/\xf4\x90\x80\x80", 59); /* > U+10FFFF */
	REFUSED("gemini://example.org/\xc3", 59);	/* truncated */
	REFUSED("gemini://example.org/a\0b", 59);
	REFUSED("gemini://example.org/%00", 59);
	REFUSED("gemini://example.org/a%2", 59);
	REFUSED("gemini://example.org/%zz", 59);
	REFUSED("gemini://example.org/%ff", 59);	/* decodes to bad UTF-8 */
	REFUSED("gemini://example.org/%C0%AF", 59);
	REFUSED("gemini://example.org/a b", 59);
	REFUSED("gemini://example.org/\t", 59);
	REFUSED("gemini://example.org/\x7f", 59);
	REFUSED("gemini://example.org/\r", 59);
	REFUSED("gemini:///x", 59);
	REFUSED("gemini://:1965/x", 59);
	REFUSED("gemini://example.org:19a5/", 59);
	REFUSED("gemini://[::1/", 59);
	REFUSED("gemini://ex%61mple.org/", 59);
	REFUSED("1gemini://example.org/", 59);
}

static void
test_not_served(void)
{
	REFUSED("https://example.org/", 53);
	REFUSED("HTTP://example.org/", 53);
	REFUSED("gopher://example.org/", 53);
	REFUSED("geminix://example.org/", 53);
	REFUSED("mailto:a@example.org", 53);
	REFUSED("gemini://example.com/", 53);
	REFUSED("gemini://www.example.org/", 53);
	REFUSED("gemini://example.org../", 53);
	REFUSED("gemini://example.orgx/", 53);
	REFUSED("gemini://192.0.2.8/", 53);
	REFUSED("gemini://[::1]/", 53);
	REFUSED("gemini://[2001:db8::1]:1965/", 53);
	REFUSED("gemini://example.org:1966/", 53);
	REFUSED("gemini://example.org:0/", 53);
	REFUSED("gemini://example.org:99999/", 53);
	REFUSED("gemini://example.org:196500000000000000000/", 53);
}

static void
test_lengths(void)
{
	char line[REQUEST_MAX + 2];
	struct gemini_request req;
	size_t n;

	n = strlen("gemini://example.org/");
	memcpy(line, "gemini://example.org/", n);
	memset(line + n, 'a', sizeof(line) - n);
	CHECK_INT(gemini_request_parse(line, REQUEST_MAX, &target, &req),
	    20);
	CHECK_INT(req.pathlen, REQUEST_MAX - n + 1);
	CHECK_INT(gemini_request_parse(line, REQUEST_MAX + 1, &target,
	    &req), 59);
	/* Escapes in a 1024-byte URI decode into the same buffer safely. */
	for (size_t i = n; i + 3 <= REQUEST_MAX; i += 3)
		memcpy(line + i, "%41", 3);
	CHECK_INT(gemini_request_parse(line, REQUEST_MAX, &target, &req),
	    20);
}

static void
test_hostname_ip(void)
{
	struct gemini_target t6 = { .hostname = "2001:db8::5", .port = 1965 };
	struct gemini_target loc = { .hostname = "localhost", .port = 1965,
	    .local_addr = "::1" };
	struct gemini_request req;
	const char *s;

	s = "gemini://[2001:DB8:0::5]/";
	CHECK_INT(gemini_request_parse(s, strlen(s), &t6, &req), 20);
	s = "gemini://[::1]/";
	CHECK_INT(gemini_request_parse(s, strlen(s), &loc, &req), 20);
	s = "gemini://127.0.0.1/";
	CHECK_INT(gemini_request_parse(s, strlen(s), &loc, &req), 53);
	CHECK(gemini_host_matches("LOCALHOST.", 10, &loc));
	CHECK(!gemini_host_matches(".", 1, &loc));
	CHECK(!gemini_host_matches("", 0, &loc));
}

/* A site's aliases are its names too; another site's are not. */
static void
test_aliases(void)
{
	static const char *const aliases[] = { "www.example.org", "192.0.2.9" };
	struct gemini_target t = { .hostname = "example.org", .port = 1965,
	    .aliases = aliases, .naliases = 2 };
	struct gemini_request req;
	const char *s;

	s = "gemini://www.example.org/a";
	CHECK_INT(gemini_request_parse(s, strlen(s), &t, &req), 20);
	CHECK_STR(req.path, "/a");
	s = "gemini://WWW.Example.ORG./";
	CHECK_INT(gemini_request_parse(s, strlen(s), &t, &req), 20);
	s = "gemini://192.0.2.9/";
	CHECK_INT(gemini_request_parse(s, strlen(s), &t, &req), 20);
	s = "gemini://example.org/";
	CHECK_INT(gemini_request_parse(s, strlen(s), &t, &req), 20);
	s = "gemini://lab.example.org/";
	CHECK_INT(gemini_request_parse(s, strlen(s), &t, &req), 53);
	CHECK_STR(req.reason, "host not served");
	s = "gemini://www.example.org.evil/";
	CHECK_INT(gemini_request_parse(s, strlen(s), &t, &req), 53);
	t.naliases = 1;
	s = "gemini://192.0.2.9/";
	CHECK_INT(gemini_request_parse(s, strlen(s), &t, &req), 53);
}

int
main(void)
{
	test_accepted();
	test_bad_requests();
	test_not_served();
	test_lengths();
	test_hostname_ip();
	test_aliases();
	return unit_done("gemini_request");
}
