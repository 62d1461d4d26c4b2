/* A program's response header: accepted lines, more wanted, and every
 * refusal, at every cut of the bytes. */
#include <stdlib.h>
#include <string.h>

#include "cgi_header.h"
#include "unit.h"

struct ok_case {
	const char	*in;
	int		 status;
	const char	*meta;
	size_t		 len;		/* of the header line */
};

static const struct ok_case oks[] = {
	{ "20 text/gemini\r\nbody", 20, "text/gemini", 16 },
	{ "20 text/gemini; lang=en\r\n", 20, "text/gemini; lang=en", 25 },
	{ "10 Your name?\r\n", 10, "Your name?", 15 },
	{ "51\r\n", 51, "", 4 },
	{ "59 \r\n", 59, "", 5 },
	{ "69 x\r\n", 69, "x", 6 },
	{ "31 gemini://h/é\r\n", 31, "gemini://h/é", 18 },
};

struct bad_case {
	const char	*in;
	const char	*why;
};

static const struct bad_case bads[] = {
	{ "HTTP/1.0 200 OK\r\n", "the output does not start with a "
	    "two-digit status" },
	{ "2", NULL },				/* MORE, not bad */
	{ "09 x\r\n", "status out of 10-69" },
	{ "70 x\r\n", "status out of 10-69" },
	{ "99 x\r\n", "status out of 10-69" },
	{ "2x x\r\n", "the output does not start with a two-digit status" },
	{ "200 x\r\n", "no space after the status" },
	{ "20\tx\r\n", "no space after the status" },
	{ "20 text/gemini\n", "header line does not end with CRLF" },
	{ "20\n", "no space after the status" },
	{ "20 a\rb\r\n", "control character in the meta" },
	{ "20 a\x01" "b\r\n", "control character in the meta" },
	{ "20 a\x7f\r\n", "control character in the meta" },
	{ "\r\n", "the output does not start with a two-digit status" },
};

static void
test_ok(void)
{
	struct cgi_header h;
	size_t i, n, cut;

	for (i = 0; i < sizeof(oks) / sizeof(oks[0]); i++) {
		n = strlen(oks[i].in);
		CHECK_INT(cgi_header_parse(oks[i].in, n, &h), CGI_HEADER_OK);
		CHECK_INT(h.status, oks[i].status);
		CHECK_MEM(h.meta, h.metalen, oks[i].meta, strlen(oks[i].meta));
		CHECK_INT(h.len, oks[i].len);
		/* Any cut before the line's end wants more. */
		for (cut = 0; cut < oks[i].len; cut++)
			CHECK_INT(cgi_header_parse(oks[i].in, cut, &h),
			    CGI_HEADER_MORE);
	}
}

static void
test_bad(void)
{
	struct cgi_header h;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		if (bads[i].why == NULL) {
			CHECK_INT(cgi_header_parse(bads[i].in,
			    strlen(bads[i].in), &h), CGI_HEADER_MORE);
			continue;
		}
		CHECK_INT(cgi_header_parse(bads[i].in, strlen(bads[i].in), &h),
		    CGI_HEADER_BAD);
		CHECK_STR(h.why, bads[i].why);
	}
}

/* The meta's bound: 1024 bytes pass, 1025 fail, without a line end too. */
static void
test_long(void)
{
	struct cgi_header h;
	char *b;

	if ((b = malloc(CGI_HEADER_MAX + 16)) == NULL)
		abort();
	memcpy(b, "20 ", 3);
	memset(b + 3, 'a', CGI_META_MAX);
	memcpy(b + 3 + CGI_META_MAX, "\r\n", 2);
	CHECK_INT(cgi_header_parse(b, CGI_HEADER_MAX, &h), CGI_HEADER_OK);
	CHECK_INT(h.metalen, CGI_META_MAX);
	CHECK_INT(cgi_header_parse(b, CGI_HEADER_MAX - 1, &h),
	    CGI_HEADER_MORE);
	memset(b + 3, 'a', CGI_META_MAX + 1);
	memcpy(b + 3 + CGI_META_MAX + 1, "\r\n", 2);
	CHECK_INT(cgi_header_parse(b, CGI_HEADER_MAX + 1, &h), CGI_HEADER_BAD);
	CHECK_INT(cgi_header_parse(b, CGI_HEADER_MAX, &h), CGI_HEADER_BAD);
	CHECK_STR(h.why, "header line longer than 1024 bytes of meta");
	free(b);
}

int
main(void)
{
	test_ok();
	test_bad();
	test_long();
	return unit_done("cgi_header");
}
