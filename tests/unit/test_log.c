/* Unit tests: access lines in each style, and what a client cannot forge. */
#include <string.h>

#include "log.h"
#include "unit.h"

/* 2026-12-02T04:32:30Z */
static const struct timespec when = { 1796185950, 0 };

static void
check_line(enum conf_log_style style, const struct log_access_entry *e,
    const char *want)
{
	char out[LOG_LINE_MAX];
	size_t n;

	n = log_format_access(out, sizeof(out), style, e, &when);
	CHECK_INT(n, strlen(want));
	CHECK_STR(out, want);
}

static void
test_styles(void)
{
	struct log_access_entry g = { "192.0.2.1", "gemini", "example.org",
	    1965, "gemini://example.org/page.gmi", 29, "20", 37, 3, NULL, NULL };
	struct log_access_entry f = { "2001:db8::1", "gemini", "example.org",
	    1965, "gemini://example.org/nope", 25, "51", 14, 2,
	    "6ba7ec6cc2b0bac8", "no such file" };
	struct log_access_entry o = { "192.0.2.1", "gopher", "example.org",
	    70, "/hello.txt", 10, "0", 13, 1, NULL, NULL };
	struct log_access_entry oe = { "192.0.2.1", "gopher", "example.org",
	    7070, "/nope", 5, "3", 60, 1, NULL,
	    "no such file" };

	check_line(CONF_LOG_STYLE_ATTACHE, &g, "2026-12-02T04:32:30Z 192.0.2.1 "
	    "gemini example.org \"gemini://example.org/page.gmi\" 20 37 3ms\n");
	check_line(CONF_LOG_STYLE_ATTACHE, &f, "2026-12-02T04:32:30Z "
	    "2001:db8::1 gemini example.org \"gemini://example.org/nope\" 51 "
	    "14 2ms cert=6ba7ec6cc2b0bac8 (no such file)\n");
	check_line(CONF_LOG_STYLE_COMMON, &g, "192.0.2.1 - - "
	    "[02/Dec/2026:04:32:30 +0000] \"gemini://example.org/page.gmi\" "
	    "20 37\n");
	check_line(CONF_LOG_STYLE_COMBINED, &f, "2001:db8::1 - "
	    "6ba7ec6cc2b0bac8 [02/Dec/2026:04:32:30 +0000] "
	    "\"gemini://example.org/nope\" 51 14 \"-\" \"-\"\n");
	check_line(CONF_LOG_STYLE_ATTACHE, &o, "2026-12-02T04:32:30Z 192.0.2.1 "
	    "gopher example.org \"/hello.txt\" 0 13 1ms\n");
	check_line(CONF_LOG_STYLE_COMMON, &o, "192.0.2.1 - - "
	    "[02/Dec/2026:04:32:30 +0000] \"gopher://example.org:70/0/hello.txt\" "
	    "20 13\n");
	check_line(CONF_LOG_STYLE_COMBINED, &oe, "192.0.2.1 - - "
	    "[02/Dec/2026:04:32:30 +0000] \"gopher://example.org:7070/1/nope\" "
	    "50 60 \"-\" \"-\"\n");
}

/* Newlines, quotes, backslashes and controls never leave their field. */
static void
test_injection(void)
{
	static const char evil[] = "gemini://h/\r\n2026-01-01T00:00:00Z 1.2.3.4 "
	    "gemini h \"/x\" 20 1 1ms\n\"\\\x1b[31m\x7f";
	struct log_access_entry e = { "192.0.2.1", "gemini", "h", 1965, evil,
	    sizeof(evil) - 1, "59", 16, 1, NULL,
	    "control character" };
	struct log_access_entry o = { "192.0.2.1", "gopher", "h", 70,
	    "/a\"b\tc\nd", 8, "3", 9, 1, "ab\"\n", "why \"\n" };
	enum conf_log_style styles[] = { CONF_LOG_STYLE_ATTACHE,
	    CONF_LOG_STYLE_COMMON, CONF_LOG_STYLE_COMBINED };
	char out[LOG_LINE_MAX];
	size_t i, n, quotes, k;

	for (i = 0; i < 3; i++) {
		n = log_format_access(out, sizeof(out), styles[i], &e, &when);
		/* One line: the only newline is the last byte. */
		CHECK(n > 0 && out[n - 1] == '\n');
		CHECK(memchr(out, '\n', n - 1) == NULL);
		CHECK(memchr(out, '\r', n) == NULL);
		CHECK(memchr(out, '\x1b', n) == NULL);
		CHECK(memchr(out, '\x7f', n) == NULL);
		CHECK(strstr(out, "\\x0d\\x0a2026-01-01T00:00:00Z") != NULL);
		CHECK(strstr(out, "\\x22\\x5c\\x1b[31m\\x7f") != NULL);
		/* The request is one quoted field: two quotes (four combined). */
		for (k = 0, quotes = 0; k < n; k++)
			quotes += out[k] == '"';
		CHECK_INT(quotes, styles[i] == CONF_LOG_STYLE_COMBINED ? 6 : 2);

		n = log_format_access(out, sizeof(out), styles[i], &o, &when);
		CHECK(memchr(out, '\n', n - 1) == NULL);
		CHECK(memchr(out, '\t', n) == NULL);
		CHECK(strstr(out, "a\\x22b\\x09c\\x0ad") != NULL);
	}
	n = log_format_access(out, sizeof(out), CONF_LOG_STYLE_ATTACHE, &o,
	    &when);
	CHECK_STR(out, "2026-12-02T04:32:30Z 192.0.2.1 gopher h "
	    "\"/a\\x22b\\x09c\\x0ad\" 3 9 1ms cert=ab\\x22\\x0a "
	    "(why \\x22\\x0a)\n");
}

/* A line that does not fit is cut, and still one line. */
static void
test_cut(void)
{
	char big[1024], out[64];
	struct log_access_entry e = { "192.0.2.1", "gemini", "h", 1965, big,
	    sizeof(big), "20", 1, 1, NULL, NULL };
	size_t n;

	memset(big, '\n', sizeof(big));
	n = log_format_access(out, sizeof(out), CONF_LOG_STYLE_ATTACHE, &e,
	    &when);
	CHECK_INT(n, sizeof(out) - 1);
	CHECK(out[n - 1] == '\n' && out[n] == '\0');
	CHECK(memchr(out, '\n', n - 1) == NULL);
	CHECK_INT(log_format_access(out, 1, CONF_LOG_STYLE_ATTACHE, &e, &when),
	    0);
}

int
main(void)
{
	test_styles();
	test_injection();
	test_cut();
	return unit_done("log");
}
