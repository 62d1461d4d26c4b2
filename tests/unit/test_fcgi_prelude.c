/* Unit tests: the CGI header block before a FastCGI responder's output. */
#include <string.h>

#include "fcgi_prelude.h"
#include "unit.h"

struct prelude_case {
	const char	*name;
	const char	*in;
	const char	*out;		/* what is output after the block */
	int		 too_long;
};

static const struct prelude_case cases[] = {
	{ "Gemini header", "20 text/gemini\r\n# x\n", "20 text/gemini\r\n# x\n",
	    0 },
	{ "php-fpm", "Content-type: text/html; charset=UTF-8\r\n\r\n"
	    "20 text/gemini\r\n# x\n", "20 text/gemini\r\n# x\n", 0 },
	{ "php-fpm, no header", "\r\n20 text/gemini\r\n", "20 text/gemini\r\n",
	    0 },
	{ "LF only", "Status: 200\nX-A: b\n\n20 ok\r\n", "20 ok\r\n", 0 },
	{ "empty LF", "\n20 ok\r\n", "20 ok\r\n", 0 },
	{ "a CR in a line", "X: a\rb\r\n\r\n20 ok\r\n", "20 ok\r\n", 0 },
	{ "block never ends", "Status: 200\r\nX: y\r\n", "", 0 },
	{ "other first byte", " 20 ok\r\n", " 20 ok\r\n", 0 },
	{ "empty", "", "", 0 },
	{ "blank lines after the block are output", "\r\n\r\n20 x\r\n",
	    "\r\n20 x\r\n", 0 },
};

static void
run(const struct prelude_case *c, size_t step)
{
	struct fcgi_prelude p;
	char out[256];
	size_t at = 0, n, len = strlen(c->in), outlen = 0, piece;

	memset(&p, 0, sizeof(p));
	while (at < len) {
		piece = step == 0 || len - at < step ? len - at : step;
		n = fcgi_prelude_skip(&p, (const unsigned char *)c->in + at,
		    piece);
		CHECK(n <= piece);
		if (p.state == FCGI_PRELUDE_TOO_LONG)
			break;
		if (p.state == FCGI_PRELUDE_DONE) {
			memcpy(out + outlen, c->in + at + n, piece - n);
			outlen += piece - n;
		} else
			CHECK_INT(n, piece);
		at += piece;
	}
	if (outlen != strlen(c->out))
		fprintf(stderr, "case %s, step %zu\n", c->name, step);
	CHECK_MEM(out, outlen, c->out, strlen(c->out));
	CHECK_INT(p.state == FCGI_PRELUDE_TOO_LONG, c->too_long);
}

static void
test_too_long(void)
{
	static unsigned char buf[FCGI_PRELUDE_MAX + 10];
	struct fcgi_prelude p;
	size_t n;

	memset(buf, 'a', sizeof(buf));
	memset(&p, 0, sizeof(p));
	n = fcgi_prelude_skip(&p, buf, FCGI_PRELUDE_MAX);
	CHECK_INT(n, FCGI_PRELUDE_MAX);
	CHECK_INT(p.state, FCGI_PRELUDE_LINE);
	n = fcgi_prelude_skip(&p, buf, 10);
	CHECK_INT(n, 0);
	CHECK_INT(p.state, FCGI_PRELUDE_TOO_LONG);
	CHECK_INT(fcgi_prelude_skip(&p, buf, 10), 0);
}

int
main(void)
{
	static const size_t steps[] = { 0, 1, 2, 5 };
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
			run(&cases[i], steps[k]);
	test_too_long();
	return unit_done("test_fcgi_prelude");
}
