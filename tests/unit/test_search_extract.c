/* The one-line extract under each search result. */
#include "search_rank.h"
#include "unit.h"

static const char *
extract(const char *text, int gemtext, const char *query)
{
	static char out[EXTRACT_MAX + 8];
	struct query q;

	if (query_parse(query, strlen(query), 0, &q) != QUERY_OK)
		return "(bad query)";
	search_extract(text, strlen(text), gemtext, &q, out, sizeof(out));
	return out;
}

struct want {
	const char	*text;
	int		 gemtext;
	const char	*query;
	const char	*extract;
};

#define LONG_LINE \
	"The office handles many requests every week, from visas to " \
	"residence permits, and once in a while a request for extradition " \
	"that goes through Interpol and the ministry of justice before any " \
	"court hears it, which takes months."

static const struct want table[] = {
	/* The line with the words; headings last. */
	{ "# Extradition\n\nIntro.\nAn extradition request.\n", 1,
	    "extradition", "An extradition request." },
	{ "# Extradition\n\nIntro.\n", 1, "extradition", "Extradition" },
	/* The line with most of the words. */
	{ "visa here\nvisa and interpol here\ninterpol\n", 0,
	    "interpol visa", "visa and interpol here" },
	/* Accents, case, prefix. */
	{ "# T\nLa Sécurité intérieure.\n", 1, "securite",
	    "La Sécurité intérieure." },
	{ "# T\nCall INTERPOL now.\n", 1, "interp", "Call INTERPOL now." },
	/* As the line shows: a link's label, a list item's text. */
	{ "=> /x.gmi About extradition\n", 1, "extradition",
	    "About extradition" },
	{ "=> gemini://extradition.example/\n", 1, "extradition",
	    "gemini://extradition.example/" },
	{ "* extradition item\n", 1, "extradition", "extradition item" },
	{ "> quoted extradition\n", 1, "extradition", "quoted extradition" },
	/* Nothing matches: the first line of text. */
	{ "# Title\n\n   \nFirst text.\nSecond.\n", 1, "zzz", "First text." },
	{ "# Title only\n", 1, "zzz", "" },
	{ "", 1, "zzz", "" },
	/* Whitespace and controls as one space; bad UTF-8 as '?'. */
	{ "a\tvisa\x01\x02  b\xff" "c\n", 0, "visa", "a visa b?c" },
	/* Long lines: cut around the first match, at spaces. */
	{ LONG_LINE "\n", 0, "interpol",
	    "\xe2\x80\xa6" "for extradition that goes "
	    "through Interpol and the ministry of justice before any court "
	    "hears it, which takes months." },
	{ LONG_LINE "\n", 0, "office",
	    "The office handles many requests every week, from visas to "
	    "residence permits, and once in a while a request for "
	    "extradition that goes through Interpol and the\xe2\x80\xa6" },
};

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		CHECK_STR(extract(table[i].text, table[i].gemtext,
		    table[i].query), table[i].extract);
}

/* Never longer than EXTRACT_MAX bytes of text, never a cut character. */
static void
test_bounds(void)
{
	char text[4000], *out;
	size_t i;

	for (i = 0; i + 2 < sizeof(text); i += 2)
		memcpy(text + i, "\xc3\xa9", 2);
	text[i] = '\0';
	out = (char *)extract(text, 0, "eee");
	CHECK(strlen(out) <= EXTRACT_MAX + 6);
	CHECK(strlen(out) > EXTRACT_MAX - 4);
	for (i = 0; out[i] != '\0'; i++)
		CHECK(out[i] != ' ');
	memset(text, 'x', sizeof(text) - 1);
	memcpy(text + 2000, " needle ", 8);
	text[sizeof(text) - 1] = '\0';
	out = (char *)extract(text, 0, "needle");
	CHECK(strstr(out, "needle") != NULL);
	CHECK(strlen(out) <= EXTRACT_MAX + 6);
}

/* A window of a file (its marks): inside a block, inside a line. */
static const struct {
	const char	*text;
	int		 pre;
	int		 midline;
	const char	*query;
	const char	*extract;
	enum extract_shown shown;
} windows[] = {
	/* In a preformatted block, "=>" is not a link, "```" closes it. */
	{ "=> not a link\n", 1, 0, "not", "=> not a link", EXTRACT_ALL },
	{ "=> not a link\n", 0, 0, "not", "a link", EXTRACT_WEAK },
	{ "# no heading\n```\n# heading\nheading text\n", 1, 0, "heading",
	    "# no heading", EXTRACT_ALL },
	/* From a word inside a line: its start is cut. */
	{ "visa here\nvisa\n", 0, 1, "visa", "\xe2\x80\xa6" "visa here",
	    EXTRACT_ALL },
	{ "first\nvisa here\n", 0, 1, "visa", "visa here", EXTRACT_ALL },
	{ "first\nsecond\n", 0, 1, "zzz", "\xe2\x80\xa6" "first",
	    EXTRACT_WEAK },
	{ "", 0, 1, "visa", "", EXTRACT_WEAK },
	/* Not every word, or only in a heading. */
	{ "# visa\nnothing\n", 0, 0, "visa", "visa", EXTRACT_WEAK },
	{ "visa only\n", 0, 0, "visa interpol", "visa only", EXTRACT_SOME },
};

static void
test_windows(void)
{
	char out[EXTRACT_MAX + 8];
	struct query q;
	size_t i;
	enum extract_shown shown;

	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		CHECK(query_parse(windows[i].query, strlen(windows[i].query),
		    0, &q) == QUERY_OK);
		search_extract_window(windows[i].text, strlen(windows[i].text),
		    1, windows[i].pre, windows[i].midline, &q, out,
		    sizeof(out), &shown);
		CHECK_STR(out, windows[i].extract);
		CHECK_INT(shown, windows[i].shown);
	}
}

int
main(void)
{
	test_table();
	test_bounds();
	test_windows();
	return unit_done("search_extract");
}
