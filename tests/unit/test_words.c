/* The tokenizer and the folding of case and accents. */
#include <stdlib.h>

#include "unit.h"
#include "utf8.h"
#include "words.h"

/* The folded words of a text, joined by '|'. */
static const char *
words_of(const char *s)
{
	static char out[4096];
	struct words_iter it;
	struct word w;
	size_t o = 0;

	words_init(&it, s, strlen(s));
	out[0] = '\0';
	while (words_next(&it, &w)) {
		if (o + w.len + 2 > sizeof(out))
			break;
		if (o > 0)
			out[o++] = '|';
		memcpy(out + o, w.text, w.len);
		o += w.len;
		out[o] = '\0';
	}
	return out;
}

struct want {
	const char	*text;
	const char	*words;
};

static const struct want table[] = {
	{ "", "" },
	{ "   \t\n", "" },
	{ "Hello, World!", "hello|world" },
	{ "Interpol", "interpol" },
	{ "extradition-request", "extradition|request" },
	{ "snake_case", "snake|case" },
	{ "l'extradition", "l|extradition" },
	{ "l\xe2\x80\x99" "extradition", "l|extradition" },	/* ’ */
	{ "«\xc2\xa0" "citation\xc2\xa0" "»", "citation" },
	{ "2026-12-01 v2", "2026|12|01|v2" },
	/* The accents the office's French needs, and their capitals. */
	{ "Sécurité", "securite" },
	{ "SÉCURITÉ", "securite" },
	{ "é è ê ë à â ç î ï ô û ù ü ÿ", "e|e|e|e|a|a|c|i|i|o|u|u|u|y" },
	{ "É È Ê Ë À Â Ç Î Ï Ô Û Ù Ü Ÿ", "e|e|e|e|a|a|c|i|i|o|u|u|u|y" },
	{ "œuvre ŒUVRE Lætitia CÆSAR", "oeuvre|oeuvre|laetitia|caesar" },
	{ "Straße", "strasse" },
	{ "Łódź Dvořák Şişli Ĳssel", "lodz|dvorak|sisli|ijssel" },
	{ "ñandú Ångström Øresund", "nandu|angstrom|oresund" },
	/* Decomposed accents (NFD) fold the same. */
	{ "Se\xcc\x81" "curite\xcc\x81", "securite" },
	{ "\xcc\x81", "" },
	/* Other scripts: small letters for capitals, the rest as is. */
	{ "ΑΘΗΝΑ Москва", "αθηνα|москва" },
	{ "東京 タワー", "東京|タワー" },
	{ "a×b÷c", "a|b|c" },
	{ "one—two…three", "one|two|three" },
	{ "smile \xf0\x9f\x98\x80 ok", "smile|ok" },
	/* Bytes that are not UTF-8 separate words. */
	{ "ab\xff" "cd", "ab|cd" },
	{ "ab\xc3", "ab" },
	{ "\xed\xa0\x80x", "x" },
	/* Markup is punctuation. */
	{ "=> /page.gmi A *page*", "page|gmi|a|page" },
	{ "# Heading", "heading" },
};

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		CHECK_STR(words_of(table[i].text), table[i].words);
}

static void
test_spans(void)
{
	const char *s = "  Été, l'hiver";
	struct words_iter it;
	struct word w;

	words_init(&it, s, strlen(s));
	CHECK_INT(words_next(&it, &w), 1);
	CHECK_STR(w.text, "ete");
	CHECK_INT(w.start, 2);
	CHECK_INT(w.end, 7);
	CHECK_INT(words_next(&it, &w), 1);
	CHECK_STR(w.text, "l");
	CHECK_INT(words_next(&it, &w), 1);
	CHECK_STR(w.text, "hiver");
	CHECK_INT(w.start, 11);
	CHECK_INT(w.end, 16);
	CHECK_INT(words_next(&it, &w), 0);
	CHECK_INT(words_next(&it, &w), 0);
}

/* A long word is cut at WORD_MAX bytes, never inside a character. */
static void
test_long(void)
{
	char s[400], want[WORD_MAX + 1];
	struct words_iter it;
	struct word w;
	size_t i;

	memset(s, 'A', 200);
	s[200] = '\0';
	memset(want, 'a', WORD_MAX);
	want[WORD_MAX] = '\0';
	CHECK_STR(words_of(s), want);
	/* "é" is two bytes: 63 of 'a' then "é" does not fit; the rest is cut. */
	memset(s, 'a', WORD_MAX - 1);
	memcpy(s + WORD_MAX - 1, "\xc3\xa9zz", 5);
	words_init(&it, s, strlen(s));
	CHECK_INT(words_next(&it, &w), 1);
	CHECK_INT(w.len, WORD_MAX);
	for (i = 0; i < WORD_MAX - 1; i++)
		CHECK(w.text[i] == 'a');
	CHECK(w.text[WORD_MAX - 1] == 'e');
	CHECK_INT(w.end, strlen(s));
	memset(s, 'a', WORD_MAX - 1);
	memcpy(s + WORD_MAX - 1, "\xc5\x93zz", 5);	/* œ: "oe" */
	words_init(&it, s, strlen(s));
	CHECK_INT(words_next(&it, &w), 1);
	CHECK_INT(w.len, WORD_MAX - 1);
	CHECK_INT(words_next(&it, &w), 0);
}

static void
test_is_word(void)
{
	CHECK_INT(words_is_word_cp('a'), 1);
	CHECK_INT(words_is_word_cp('9'), 1);
	CHECK_INT(words_is_word_cp('_'), 0);
	CHECK_INT(words_is_word_cp('\''), 0);
	CHECK_INT(words_is_word_cp(0xa0), 0);
	CHECK_INT(words_is_word_cp(0xe9), 1);
	CHECK_INT(words_is_word_cp(0x2019), 0);
	CHECK_INT(words_is_word_cp(0x300), 1);
	CHECK_INT(words_is_word_cp(0x4e00), 1);
	CHECK_INT(words_is_word_cp(0x3002), 0);
	CHECK_INT(words_is_word_cp(0x1f600), 0);
	CHECK_INT(words_is_word_cp(0x10ffff), 0);
}

/* Text made one line, for titles and extracts. */
static void
test_one_line(void)
{
	char out[16];
	size_t o = 0;

	CHECK_INT(utf8_one_line("  a\t\x01" "b \r\n c  ", 14, out, &o, 15), 5);
	out[o] = '\0';
	CHECK_STR(out, "a b c");
	o = 2;
	memcpy(out, "..", 2);
	utf8_one_line("x\xffy", 3, out, &o, 15);
	out[o] = '\0';
	CHECK_STR(out, "..x?y");
	/* Never a character cut: "é" does not fit in the last byte. */
	o = 0;
	utf8_one_line("abcdefgh\xc3\xa9", 10, out, &o, 9);
	CHECK_INT(o, 8);
	o = 0;
	CHECK_INT(utf8_one_line(" \x7f\xc2\x85 ", 5, out, &o, 15), 0);
}

int
main(void)
{
	test_table();
	test_spans();
	test_long();
	test_is_word();
	test_one_line();
	return unit_done("words");
}
