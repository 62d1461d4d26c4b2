/* URI splitting, percent-coding, dot segments and resolution. */
#include <string.h>

#include "uri.h"
#include "unit.h"

static int
span_is(struct uri_span s, const char *want)
{
	if (want == NULL)
		return s.ptr == NULL;
	return s.ptr != NULL && s.len == strlen(want) &&
	    memcmp(s.ptr, want, s.len) == 0;
}

static void
test_split(void)
{
	struct uri_ref u;
	const char *s;

	s = "gemini://Host.Example:1965/a/b?q=1#frag";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.scheme, "gemini"));
	CHECK(span_is(u.authority, "Host.Example:1965"));
	CHECK(span_is(u.userinfo, NULL));
	CHECK(span_is(u.host, "Host.Example"));
	CHECK(span_is(u.port, "1965"));
	CHECK(span_is(u.path, "/a/b"));
	CHECK(span_is(u.query, "q=1"));
	CHECK(span_is(u.fragment, "frag"));

	s = "gemini://user:pw@h/";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.userinfo, "user:pw"));
	CHECK(span_is(u.host, "h"));
	CHECK(span_is(u.port, NULL));

	s = "gemini://[::1]:70/x";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.host, "::1"));
	CHECK(u.host_is_ip_literal);
	CHECK(span_is(u.port, "70"));

	s = "gemini://[fe80::1%25eth0]/";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.host, "fe80::1%25eth0"));

	s = "gemini://h:/";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.port, ""));

	s = "gemini://h";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.path, ""));
	CHECK(span_is(u.query, NULL));

	s = "gemini://h?";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.query, ""));
	CHECK(span_is(u.fragment, NULL));

	s = "page.gmi";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.scheme, NULL));
	CHECK(span_is(u.authority, NULL));
	CHECK(span_is(u.path, "page.gmi"));

	s = "//h/p";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.scheme, NULL));
	CHECK(span_is(u.host, "h"));
	CHECK(span_is(u.path, "/p"));

	s = "mailto:a@b.c";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.scheme, "mailto"));
	CHECK(span_is(u.authority, NULL));
	CHECK(span_is(u.path, "a@b.c"));

	s = "1abc:x";		/* a scheme starts with a letter */
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.scheme, NULL));

	s = "a+b.c-d:x";
	CHECK_INT(uri_split(s, strlen(s), &u), 0);
	CHECK(span_is(u.scheme, "a+b.c-d"));

	s = "gemini://[::1/";
	CHECK_INT(uri_split(s, strlen(s), &u), -1);
	s = "gemini://[::1]x/";
	CHECK_INT(uri_split(s, strlen(s), &u), -1);
	s = "gemini://h:19a5/";
	CHECK_INT(uri_split(s, strlen(s), &u), -1);
	s = "";
	CHECK_INT(uri_split(s, 0, &u), 0);
	CHECK(span_is(u.path, ""));
}

static void
check_decode(const char *in, enum uri_decode_result want, const char *out)
{
	char buf[64];
	size_t n = 0;

	CHECK_INT(uri_percent_decode(in, strlen(in), buf, sizeof(buf), &n),
	    want);
	if (want == URI_DECODE_OK) {
		CHECK_INT(n, strlen(out));
		CHECK_STR(buf, out);
	}
}

static void
test_decode(void)
{
	char small[4];
	size_t n;

	check_decode("/a%20b", URI_DECODE_OK, "/a b");
	check_decode("%2e%2E", URI_DECODE_OK, "..");
	check_decode("%252e", URI_DECODE_OK, "%2e");	/* once only */
	check_decode("%C3%A9", URI_DECODE_OK, "\xc3\xa9");
	check_decode("%2F", URI_DECODE_OK, "/");
	check_decode("", URI_DECODE_OK, "");
	check_decode("%00", URI_DECODE_NUL, NULL);
	check_decode("%", URI_DECODE_MALFORMED, NULL);
	check_decode("%4", URI_DECODE_MALFORMED, NULL);
	check_decode("%zz", URI_DECODE_MALFORMED, NULL);
	check_decode("%g0", URI_DECODE_MALFORMED, NULL);
	CHECK_INT(uri_percent_decode("abcd", 4, small, sizeof(small), &n),
	    URI_DECODE_TOO_LONG);
	CHECK_INT(uri_percent_decode("abc", 3, small, sizeof(small), &n),
	    URI_DECODE_OK);
}

static void
test_encode(void)
{
	char buf[64];

	CHECK_INT(uri_percent_encode_path("/a b/c", 6, buf, sizeof(buf), 0),
	    8);
	CHECK_STR(buf, "/a%20b/c");
	uri_percent_encode_path("caf\xc3\xa9 & co?#%", 13, buf, sizeof(buf),
	    0);
	CHECK_STR(buf, "caf%C3%A9%20&%20co%3F%23%25");
	uri_percent_encode_path("caf\xc3\xa9", 5, buf, sizeof(buf), 1);
	CHECK_STR(buf, "caf\xc3\xa9");
	uri_percent_encode_path("a\tb\r\n", 5, buf, sizeof(buf), 1);
	CHECK_STR(buf, "a%09b%0D%0A");
	CHECK_INT(uri_percent_encode_path("   ", 3, buf, 9, 0), -1);
	CHECK_INT(uri_percent_encode_path("   ", 3, buf, 10, 0), 9);
}

static void
check_dots(const char *in, const char *want)
{
	char buf[256];
	size_t n;

	strcpy(buf, in);
	n = uri_remove_dot_segments(buf, strlen(buf));
	CHECK_STR(buf, want);
	CHECK_INT(n, strlen(want));
}

static void
test_dot_segments(void)
{
	/* RFC 3986 5.2.4 and 5.4 examples, plus escapes above the root. */
	check_dots("/a/b/c/./../../g", "/a/g");
	check_dots("mid/content=5/../6", "mid/6");
	check_dots("/", "/");
	check_dots("", "");
	check_dots("/.", "/");
	check_dots("/..", "/");
	check_dots("/../..", "/");
	check_dots("/../../etc/passwd", "/etc/passwd");
	check_dots("/a/../../b", "/b");
	check_dots("/a/./b/.", "/a/b/");
	check_dots("/a/b/..", "/a/");
	check_dots("/a/b/../", "/a/");
	check_dots("/a//b", "/a//b");
	check_dots("/a/.../b", "/a/.../b");
	check_dots("/a/..b/c", "/a/..b/c");
	check_dots("/a/.b", "/a/.b");
	check_dots("./a", "a");
	check_dots("../a", "a");
	check_dots(".", "");
	check_dots("..", "");
	check_dots("/a/b/c/../../../../../x", "/x");
}

static void
check_resolve(const char *base, const char *ref, const char *want)
{
	char buf[256];
	int n;

	n = uri_resolve_path(base, strlen(base), ref, strlen(ref), buf,
	    sizeof(buf));
	CHECK_INT(n, (int)strlen(want));
	CHECK_STR(buf, want);
}

static void
test_resolve(void)
{
	char small[8];

	check_resolve("/dir/page.gmi", "other.gmi", "/dir/other.gmi");
	check_resolve("/dir/page.gmi", "../up.gmi", "/up.gmi");
	check_resolve("/dir/page.gmi", "../../../up.gmi", "/up.gmi");
	check_resolve("/dir/page.gmi", "/abs.gmi", "/abs.gmi");
	check_resolve("/dir/page.gmi", "sub/", "/dir/sub/");
	check_resolve("/dir/page.gmi", "", "/dir/page.gmi");
	check_resolve("/dir/page.gmi", ".", "/dir/");
	check_resolve("/dir/page.gmi", "./", "/dir/");
	check_resolve("/dir/page.gmi", "..", "/");
	check_resolve("/dir/", "x", "/dir/x");
	check_resolve("/", "x", "/x");
	check_resolve("", "x", "/x");
	CHECK_INT(uri_resolve_path("/dir/", 5, "longname", 8, small,
	    sizeof(small)), -1);
}

int
main(void)
{
	test_split();
	test_decode();
	test_encode();
	test_dot_segments();
	test_resolve();
	return unit_done("uri");
}
