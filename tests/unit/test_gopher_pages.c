/* The URL: redirect page and caps.txt. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gopher_pages.h"
#include "gopher_request.h"
#include "unit.h"
#include "unit_evbuffer.h"

#define ALLOWED(s)	gopher_url_allowed((s), strlen(s))

static void
test_allowed(void)
{
	char big[REQUEST_MAX + 8];

	CHECK_INT(ALLOWED("http://example.org/"), 1);
	CHECK_INT(ALLOWED("https://example.org/a?b=c&d=e#f"), 1);
	CHECK_INT(ALLOWED("HTTPS://EXAMPLE.ORG/"), 1);
	CHECK_INT(ALLOWED("gemini://example.org/"), 1);
	CHECK_INT(ALLOWED("gopher://example.org/1/"), 1);
	CHECK_INT(ALLOWED("mailto:me@example.org"), 1);
	CHECK_INT(ALLOWED("ftp://ftp.example.org/pub/"), 1);
	CHECK_INT(ALLOWED("irc://irc.example.org/#chan"), 1);
	CHECK_INT(ALLOWED("https://example.org/caf\xc3\xa9"), 1);
	CHECK_INT(ALLOWED("https://x/\"><script>alert(1)</script>"), 1);

	CHECK_INT(ALLOWED(""), 0);
	CHECK_INT(ALLOWED("http"), 0);
	CHECK_INT(ALLOWED("http:"), 0);
	CHECK_INT(ALLOWED("://x"), 0);
	CHECK_INT(ALLOWED("javascript:alert(1)"), 0);
	CHECK_INT(ALLOWED("JavaScript:alert(1)"), 0);
	CHECK_INT(ALLOWED("data:text/html,<script>x</script>"), 0);
	CHECK_INT(ALLOWED("file:///etc/passwd"), 0);
	CHECK_INT(ALLOWED("vbscript:x"), 0);
	CHECK_INT(ALLOWED("httpx://x/"), 0);
	CHECK_INT(ALLOWED(" http://x/"), 0);
	CHECK_INT(ALLOWED("http://x/ y"), 0);
	CHECK_INT(ALLOWED("http://x/\ty"), 0);
	CHECK_INT(ALLOWED("http://x/\r\nSet-Cookie: a"), 0);
	CHECK_INT(ALLOWED("http://x/\x7f"), 0);
	CHECK_INT(ALLOWED("http://x/\xc2\x85"), 0);	/* C1 NEL */
	CHECK_INT(ALLOWED("http://x/\xff"), 0);		/* not UTF-8 */
	CHECK_INT(gopher_url_allowed("http://x/\0y", 11), 0);

	memcpy(big, "http://", 7);
	memset(big + 7, 'a', sizeof(big) - 7);
	CHECK_INT(gopher_url_allowed(big, REQUEST_MAX - 4), 1);
	CHECK_INT(gopher_url_allowed(big, REQUEST_MAX - 3), 0);
}

static void
test_page(void)
{
	static const char want_simple[] =
	    "<!DOCTYPE html>\n"
	    "<html>\n"
	    "<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"refresh\" content=\"0;url="
	    "https://example.org/a?b=c&amp;d=e\">\n"
	    "<title>Redirect</title>\n"
	    "</head>\n"
	    "<body>\n"
	    "<p>This link leaves Gopher. If your browser does not go on by"
	    " itself, follow it: <a href=\"https://example.org/a?b=c&amp;d=e\">"
	    "https://example.org/a?b=c&amp;d=e</a></p>\n"
	    "</body>\n"
	    "</html>\n";
	static const char evil[] = "https://x/\"'><script>alert(1)</script>&";
	static const char evil_esc[] = "https://x/&quot;&#39;&gt;&lt;script"
	    "&gt;alert(1)&lt;/script&gt;&amp;";
	struct evbuffer *b;
	size_t len, n;
	const char *p;
	char *got;

	if ((b = evbuffer_new()) == NULL)
		abort();

	CHECK_INT(gopher_url_page(b, "https://example.org/a?b=c&d=e", 29), 0);
	got = drain(b, &len);
	CHECK_MEM(got, len, want_simple, sizeof(want_simple) - 1);
	free(got);

	/* Every occurrence escaped: three of them, nothing raw. */
	CHECK_INT(gopher_url_page(b, evil, strlen(evil)), 0);
	got = drain(b, &len);
	for (n = 0, p = got; (p = strstr(p, evil_esc)) != NULL; p++)
		n++;
	CHECK_INT(n, 3);
	CHECK(strstr(got, "<script") == NULL);
	CHECK(strstr(got, "'") == NULL);
	free(got);

	CHECK_INT(gopher_url_page(b, "javascript:alert(1)", 19),
	    GOPHER_PAGE_REFUSED);
	CHECK_INT(gopher_url_page(b, "http://a b/", 11), GOPHER_PAGE_REFUSED);
	CHECK_INT(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

static void
test_caps(void)
{
	static const char want[] =
	    "CAPS\n"
	    "CapsVersion=1\n"
	    "ExpireCapsAfter=3600\n"
	    "PathDelimeter=/\n"
	    "PathIdentity=.\n"
	    "PathParent=..\n"
	    "PathParentDouble=FALSE\n"
	    "PathKeepPreDelimeter=FALSE\n"
	    "ServerSoftware=attache\n"
	    "ServerSoftwareVersion=1.2.3\n"
	    "ServerDefaultEncoding=UTF-8\n";
	struct evbuffer *b;
	size_t len;
	char *got;

	if ((b = evbuffer_new()) == NULL)
		abort();
	CHECK_INT(gopher_caps(b, "1.2.3"), 0);
	got = drain(b, &len);
	CHECK_MEM(got, len, want, sizeof(want) - 1);
	free(got);

	CHECK_INT(gopher_caps(b, "1\n2"), 0);
	got = drain(b, &len);
	CHECK(strstr(got, "ServerSoftwareVersion=1 2\n") != NULL);
	free(got);
	evbuffer_free(b);
}

int
main(void)
{
	test_allowed();
	test_page();
	test_caps();
	return unit_done("gopher_pages");
}
