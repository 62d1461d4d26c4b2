/* What a gemtext page's readers trip on (shared by --check and Titan),
 * UTF-8 error offsets, and the names of kept versions. */
#include <stdio.h>
#include <string.h>

#include "gemtext_lint.h"
#include "titan_history.h"
#include "unit.h"
#include "utf8.h"

struct found {
	char	out[1024];
	size_t	len;
	int	links;
};

static void
problem_seen(void *arg, int is_error, unsigned long line, const char *msg)
{
	struct found *f = arg;

	f->len += (size_t)snprintf(f->out + f->len, sizeof(f->out) - f->len,
	    "%lu: %s%s\n", line, is_error ? "" : "warning: ", msg);
}

static void
link_seen(void *arg, unsigned long line, const struct gemtext_line *l)
{
	struct found *f = arg;

	(void)l;
	f->links++;
	f->len += (size_t)snprintf(f->out + f->len, sizeof(f->out) - f->len,
	    "%lu: link\n", line);
}

static const struct {
	const char	*src;
	unsigned	 width;
	const char	*want;
} cases[] = {
	{ "# Fine\n\nText.\n", 67, "" },
	{ "", 67, "1: warning: no level-1 heading (# ...)\n" },
	{ "## Only two\n", 67, "1: warning: no level-1 heading (# ...)\n" },
	{ "# A\r\n\r\nCRLF is fine\r\n", 67, "" },
	{ "# A\rB\r", 67, "1: CR-only line ends: use LF or CRLF\n" },
	{ "# A\nb\nc\rd\n", 67, "3: CR-only line ends: use LF or CRLF\n" },
	{ "# A\n```\nopen\n", 67, "2: preformatted block never closed\n" },
	{ "# A\n```\n12345678901\n```\n", 10,
	    "3: warning: preformatted line of 11 columns, wider than 10: "
	    "Gopher clients will cut it\n" },
	{ "# A\n```\n1234567890\n```\n", 10, "" },
	{ "# A\n```\n\tx\n```\n", 8,
	    "3: warning: preformatted line of 9 columns, wider than 8: "
	    "Gopher clients will cut it\n" },
	{ "x\n=> a.gmi\n# A\n=> b.gmi B\n", 67, "2: link\n4: link\n" },
	{ "```\n=> not a link\n", 67,
	    "1: preformatted block never closed\n"
	    "1: warning: no level-1 heading (# ...)\n" },
};

static void
test_lint(void)
{
	struct found f;
	struct gemtext_lint_sink sink = { problem_seen, link_seen, &f };
	struct gemtext_lint_sink nolinks = { problem_seen, NULL, &f };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&f, 0, sizeof(f));
		gemtext_lint(cases[i].src, strlen(cases[i].src),
		    cases[i].width, &sink);
		CHECK_STR(f.out, cases[i].want);
		if (strcmp(f.out, cases[i].want) != 0)
			fprintf(stderr, "  (case %zu)\n", i);
	}
	/* Without a link hook, links are no concern. */
	memset(&f, 0, sizeof(f));
	gemtext_lint("# A\n=> x\n", 9, 67, &nolinks);
	CHECK_STR(f.out, "");
	CHECK_INT(gemtext_line_at("a\nb\nc", 0), 1);
	CHECK_INT(gemtext_line_at("a\nb\nc", 2), 2);
	CHECK_INT(gemtext_line_at("a\nb\nc", 5), 3);
}

static void
test_utf8_error_at(void)
{
	CHECK_INT(utf8_error_at("", 0), 0);
	CHECK_INT(utf8_error_at("abc", 3), 3);
	CHECK_INT(utf8_error_at("caf\xc3\xa9", 5), 5);
	CHECK_INT(utf8_error_at("caf\xe9", 4), 3);
	CHECK_INT(utf8_error_at("ab\xc3", 3), 2);	/* cut short */
	CHECK_INT(utf8_error_at("a\xed\xa0\x80", 4), 1);	/* surrogate */
	CHECK_INT(utf8_error_at("a\xc0\xaf", 3), 1);	/* overlong */
}

static void
test_versions(void)
{
	static const struct {
		const char	*version;
		const char	*name;
		int		 is;
	} versions[] = {
		{ "page.gmi.20261126T180441.500000Z", "page.gmi", 1 },
		{ "page.gmi.20261126T180441.500000Z-1", "page.gmi", 1 },
		{ "page.gmi.20261126T180441.500000Z-9", "page.gmi", 1 },
		{ "page.gmi.20261126T180441.500000Z-0", "page.gmi", 0 },
		{ "page.gmi.20261126T180441.500000Z-10", "page.gmi", 0 },
		{ "page.gmi.20261126T180441.500000Zx", "page.gmi", 0 },
		{ "page.gmi.20261126T180441.50000Z", "page.gmi", 0 },
		{ "page.gmi.20261126-180441.500000Z", "page.gmi", 0 },
		{ "page.gmi.2026", "page.gmi", 0 },
		{ "page.gmi.", "page.gmi", 0 },
		{ "page.gmi", "page.gmi", 0 },
		{ "page.gmiX20261126T180441.500000Z", "page.gmi", 0 },
		/* Another file's versions are not this one's. */
		{ "page.gmi.20261126T180441.500000Z.20261127T000000.000000Z",
		    "page.gmi", 0 },
		{ "page.gmi.20261126T180441.500000Z.20261127T000000.000000Z",
		    "page.gmi.20261126T180441.500000Z", 1 },
		{ "a.gmi.20261126T180441.500000Z", "page.gmi", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		CHECK_INT(titan_history_is_version(versions[i].version,
		    versions[i].name), versions[i].is);
}

int
main(void)
{
	test_lint();
	test_utf8_error_at();
	test_versions();
	return unit_done("gemtext_lint");
}
