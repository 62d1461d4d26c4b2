/* Gemtext line classification and the line iterator. */
#include <string.h>

#include "gemtext.h"
#include "unit.h"

struct classify_case {
	const char		*line;
	int			 in_pre;
	enum gemtext_kind	 kind;
	const char		*text;	/* NULL: absent */
	const char		*url;	/* NULL: absent */
};

static const struct classify_case cases[] = {
	{ "", 0, GT_TEXT, "", NULL },
	{ "\r", 0, GT_TEXT, "", NULL },
	{ "plain text", 0, GT_TEXT, "plain text", NULL },
	{ "plain text\r", 0, GT_TEXT, "plain text", NULL },
	{ "  indented  ", 0, GT_TEXT, "  indented  ", NULL },
	{ "a\rb", 0, GT_TEXT, "a\rb", NULL },

	{ "=> gemini://x/ Label", 0, GT_LINK, "Label", "gemini://x/" },
	{ "=>gemini://x/", 0, GT_LINK, NULL, "gemini://x/" },
	{ "=>\tpage.gmi\t  A  label \t", 0, GT_LINK, "A  label", "page.gmi" },
	{ "=> page.gmi   ", 0, GT_LINK, NULL, "page.gmi" },
	{ "=> page.gmi\r", 0, GT_LINK, NULL, "page.gmi" },
	{ "=> page.gmi Label\r", 0, GT_LINK, "Label", "page.gmi" },
	{ "=>", 0, GT_TEXT, "=>", NULL },
	{ "=>  \t ", 0, GT_TEXT, "=>  \t ", NULL },
	{ " => x", 0, GT_TEXT, " => x", NULL },
	{ "= > x", 0, GT_TEXT, "= > x", NULL },

	{ "# Heading", 0, GT_H1, "Heading", NULL },
	{ "#Heading", 0, GT_H1, "Heading", NULL },
	{ "#", 0, GT_H1, "", NULL },
	{ "#  \tSpaced", 0, GT_H1, "Spaced", NULL },
	{ "## Two", 0, GT_H2, "Two", NULL },
	{ "### Three", 0, GT_H3, "Three", NULL },
	{ "####Four", 0, GT_H3, "#Four", NULL },
	{ " # not", 0, GT_TEXT, " # not", NULL },

	{ "* item", 0, GT_LIST, "item", NULL },
	{ "*  item", 0, GT_LIST, "item", NULL },
	{ "* ", 0, GT_LIST, "", NULL },
	{ "*item", 0, GT_TEXT, "*item", NULL },
	{ "*\titem", 0, GT_TEXT, "*\titem", NULL },
	{ "** bold?", 0, GT_TEXT, "** bold?", NULL },

	{ "> quote", 0, GT_QUOTE, "quote", NULL },
	{ ">quote", 0, GT_QUOTE, "quote", NULL },
	{ ">", 0, GT_QUOTE, "", NULL },
	{ ">> nested", 0, GT_QUOTE, "> nested", NULL },

	{ "```", 0, GT_PRE_TOGGLE, NULL, NULL },
	{ "```ascii art ", 0, GT_PRE_TOGGLE, "ascii art", NULL },
	{ "``` alt", 0, GT_PRE_TOGGLE, "alt", NULL },
	{ "````", 0, GT_PRE_TOGGLE, "`", NULL },
	{ "```\r", 1, GT_PRE_TOGGLE, NULL, NULL },
	{ "``", 0, GT_TEXT, "``", NULL },

	/* Inside a block only a fence is special. */
	{ "# no", 1, GT_PRE_TEXT, "# no", NULL },
	{ "=> x y", 1, GT_PRE_TEXT, "=> x y", NULL },
	{ "\tindent\t", 1, GT_PRE_TEXT, "\tindent\t", NULL },
	{ "", 1, GT_PRE_TEXT, "", NULL },
	{ "x\r", 1, GT_PRE_TEXT, "x", NULL },
	{ "``` closing", 1, GT_PRE_TOGGLE, "closing", NULL },
};

static void
check_span(const char *got, size_t gotlen, const char *want, const char *what,
    const char *line)
{
	unit_checks++;
	if (want == NULL ? got != NULL || gotlen != 0 :
	    got == NULL || gotlen != strlen(want) ||
	    memcmp(got, want, gotlen) != 0) {
		unit_failures++;
		fprintf(stderr, "line \"%s\": %s is \"%.*s\"%s, want \"%s\"\n",
		    line, what, got ? (int)gotlen : 0, got ? got : "",
		    got ? "" : " (absent)", want ? want : "(absent)");
	}
}

static void
test_classify(void)
{
	struct gemtext_line l;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gemtext_classify(cases[i].line, strlen(cases[i].line),
		    cases[i].in_pre, &l);
		CHECK_INT(l.kind, cases[i].kind);
		if (l.kind != cases[i].kind)
			fprintf(stderr, "  line \"%s\"\n", cases[i].line);
		check_span(l.text, l.textlen, cases[i].text, "text",
		    cases[i].line);
		check_span(l.url, l.urllen, cases[i].url, "url",
		    cases[i].line);
	}
}

/* Collects the lines of buf, joined by '|'. */
static void
lines_of(const char *buf, size_t len, char *out, size_t outsz)
{
	const char *line;
	size_t pos = 0, linelen, n = 0;

	out[0] = '\0';
	while (gemtext_next_line(buf, len, &pos, &line, &linelen)) {
		if (n + linelen + 2 > outsz)
			break;
		memcpy(out + n, line, linelen);
		n += linelen;
		out[n++] = '|';
		out[n] = '\0';
	}
}

static void
test_lines(void)
{
	char got[256];

	lines_of("", 0, got, sizeof(got));
	CHECK_STR(got, "");
	lines_of("a", 1, got, sizeof(got));
	CHECK_STR(got, "a|");
	lines_of("a\n", 2, got, sizeof(got));
	CHECK_STR(got, "a|");
	lines_of("\n", 1, got, sizeof(got));
	CHECK_STR(got, "|");
	lines_of("a\n\nb", 4, got, sizeof(got));
	CHECK_STR(got, "a||b|");
	lines_of("a\r\nb\r\n", 6, got, sizeof(got));
	CHECK_STR(got, "a|b|");
	lines_of("a\r\n\r\nb", 6, got, sizeof(got));
	CHECK_STR(got, "a||b|");
	lines_of("a\rb\n", 4, got, sizeof(got));
	CHECK_STR(got, "a\rb|");
	lines_of("a\n\n", 3, got, sizeof(got));
	CHECK_STR(got, "a||");
	lines_of("x\r", 2, got, sizeof(got));
	CHECK_STR(got, "x|");
	/* A NUL is a byte like any other. */
	lines_of("a\0b\nc", 5, got, sizeof(got));
	CHECK_MEM(got, 6, "a\0b|c|", 6);
}

static void
test_iter(void)
{
	static const char page[] =
	    "# Title\n"
	    "```alt\n"
	    "# in pre\n"
	    "```\n"
	    "=> x.gmi X\r\n"
	    "```\n"
	    "open";
	struct gemtext_iter it;
	struct gemtext_line l;
	static const enum gemtext_kind want[] = {
		GT_H1, GT_PRE_TOGGLE, GT_PRE_TEXT, GT_PRE_TOGGLE, GT_LINK,
		GT_PRE_TOGGLE, GT_PRE_TEXT,
	};
	size_t i = 0;

	gemtext_iter_init(&it, page, sizeof(page) - 1);
	while (gemtext_iter_next(&it, &l)) {
		CHECK(i < sizeof(want) / sizeof(want[0]));
		if (i >= sizeof(want) / sizeof(want[0]))
			break;
		CHECK_INT(l.kind, want[i]);
		CHECK_INT(it.lineno, i + 1);
		i++;
	}
	CHECK_INT(i, 7);
	CHECK_INT(it.in_pre, 1);	/* the last block is never closed */
	CHECK_INT(gemtext_iter_next(&it, &l), 0);

	gemtext_iter_init(&it, "", 0);
	CHECK_INT(gemtext_iter_next(&it, &l), 0);
	CHECK_INT(it.lineno, 0);
	CHECK_INT(it.in_pre, 0);
}

int
main(void)
{
	test_classify();
	test_lines();
	test_iter();
	return unit_done("gemtext");
}
