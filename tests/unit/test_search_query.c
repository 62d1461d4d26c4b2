/* The query parser: words, the last as a prefix, phrases, refusals. */
#include <stdio.h>

#include "search_query.h"
#include "unit.h"

/*
 * The terms of a query as text: words joined by ' ', a prefix with a
 * final '*', a phrase's words joined by '+' inside [].
 */
static const char *
terms_of(const struct query *q)
{
	static char out[2048];
	const struct query_term *t;
	size_t i, o = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < q->nterms; i++) {
		t = &q->terms[i];
		n = snprintf(out + o, sizeof(out) - o, "%s%s%s%s%s",
		    i == 0 ? "" : t->phrase != 0 &&
		    t->phrase == q->terms[i - 1].phrase ? "+" : " ",
		    t->phrase != 0 && (i == 0 ||
		    q->terms[i - 1].phrase != t->phrase) ? "[" : "", t->word,
		    t->prefix ? "*" : "",
		    t->phrase != 0 && (i + 1 == q->nterms ||
		    q->terms[i + 1].phrase != t->phrase) ? "]" : "");
		if (n < 0 || (size_t)n >= sizeof(out) - o)
			break;
		o += (size_t)n;
	}
	return out;
}

struct want {
	const char		*raw;
	int			 encoded;
	enum query_result	 result;
	const char		*terms;
	const char		*text;		/* NULL: the raw query */
	unsigned		 nphrases;
};

static const struct want table[] = {
	{ "extradition", 1, QUERY_OK, "extradition*", NULL, 0 },
	{ "Interp", 0, QUERY_OK, "interp*", NULL, 0 },
	{ "securite", 1, QUERY_OK, "securite*", NULL, 0 },
	{ "S%C3%A9curit%C3%A9", 1, QUERY_OK, "securite*", "Sécurité", 0 },
	{ "S%C3%A9curit%C3%A9", 0, QUERY_OK, "s c3 a9curit c3 a9*",
	    NULL, 0 },
	{ "Sécurité", 0, QUERY_OK, "securite*", NULL, 0 },
	{ "extradition%20interpol", 1, QUERY_OK, "extradition interpol*",
	    "extradition interpol", 0 },
	/* Decoded once: "%2541" is "%41", which stays text. */
	{ "%2541", 1, QUERY_OK, "41*", "%41", 0 },
	/* A stray '%' is kept. */
	{ "100%", 1, QUERY_OK, "100*", NULL, 0 },
	{ "100%2", 1, QUERY_OK, "100 2", NULL, 0 },
	{ "a%zzb", 1, QUERY_OK, "a zzb*", NULL, 0 },
	{ "+plus+", 1, QUERY_OK, "plus*", NULL, 0 },
	/* The last word, short: a word only. */
	{ "visa a", 0, QUERY_OK, "visa a", NULL, 0 },
	{ "a", 0, QUERY_OK, "a", NULL, 0 },
	{ "ab", 0, QUERY_OK, "ab*", NULL, 0 },
	/* Phrases. */
	{ "\"mutual legal assistance\"", 0, QUERY_OK,
	    "[mutual+legal+assistance]", NULL, 1 },
	{ "%22mutual%20legal%22%20treaty", 1, QUERY_OK,
	    "[mutual+legal] treaty*", "\"mutual legal\" treaty", 1 },
	{ "\"a b\" c \"d e\"", 0, QUERY_OK, "[a+b] c [d+e]", NULL, 2 },
	{ "\"one\"", 0, QUERY_OK, "one", NULL, 0 },
	{ "x \"one\"", 0, QUERY_OK, "x one", NULL, 0 },
	{ "\"open phrase", 0, QUERY_OK, "[open+phrase]", NULL, 1 },
	{ "« Sécurité intérieure »", 0, QUERY_OK,
	    "[securite+interieure]", NULL, 1 },
	{ "“droit d’asile”", 0, QUERY_OK, "[droit+d+asile]", NULL, 1 },
	{ "\"\" x", 0, QUERY_OK, "x", NULL, 0 },
	/* Punctuation is harmless; nothing but punctuation asks again. */
	{ "", 1, QUERY_EMPTY, "", NULL, 0 },
	{ "%20%20", 1, QUERY_EMPTY, "", "  ", 0 },
	{ "?!.,;:'\"()[]{}<>*&^%$#@~`|\\/", 0, QUERY_EMPTY, "", NULL, 0 },
	{ "'; DROP TABLE pages; --", 0, QUERY_OK, "drop table pages*",
	    NULL, 0 },
	{ "=> gemini://evil/ x", 0, QUERY_OK, "gemini evil x", NULL, 0 },
	/* Controls become spaces in the text, and separate words. */
	{ "a%0A%3D%3E%20b", 1, QUERY_OK, "a b", "a => b", 0 },
	{ "a%00b", 1, QUERY_OK, "a b", "a b", 0 },
	{ "a%C2%85b", 1, QUERY_OK, "a b", "a  b", 0 },
	/* Not UTF-8 once decoded. */
	{ "%FF", 1, QUERY_NOT_UTF8, "", NULL, 0 },
	{ "caf%C3", 1, QUERY_NOT_UTF8, "", NULL, 0 },
	{ "%ED%A0%80", 1, QUERY_NOT_UTF8, "", NULL, 0 },
	{ "caf\xc3", 0, QUERY_NOT_UTF8, "", NULL, 0 },
};

static void
test_table(void)
{
	struct query q;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		CHECK_INT(query_parse(table[i].raw, strlen(table[i].raw),
		    table[i].encoded, &q), table[i].result);
		CHECK_STR(terms_of(&q), table[i].terms);
		CHECK_INT(q.nphrases, table[i].nphrases);
		if (table[i].result != QUERY_OK &&
		    table[i].result != QUERY_EMPTY)
			continue;
		CHECK_STR(q.text, table[i].text != NULL ? table[i].text :
		    table[i].raw);
		CHECK_INT(q.textlen, strlen(q.text));
	}
}

static void
test_limits(void)
{
	char raw[3 * QUERY_MAX + 1];
	struct query q;
	size_t i;

	/* 1024 bytes are a query; 1025 are not. */
	memset(raw, 'a', QUERY_MAX);
	CHECK_INT(query_parse(raw, QUERY_MAX, 1, &q), QUERY_OK);
	CHECK_INT(q.textlen, QUERY_MAX);
	CHECK_INT(q.terms[0].len, WORD_MAX);
	CHECK_INT(query_parse(raw, QUERY_MAX + 1, 1, &q), QUERY_TOO_LONG);
	CHECK_INT(query_parse(raw, sizeof(raw) - 1, 0, &q), QUERY_TOO_LONG);
	/* Escapes count as sent. */
	for (i = 0; i + 3 <= sizeof(raw) - 1; i += 3)
		memcpy(raw + i, "%41", 3);
	CHECK_INT(query_parse(raw, QUERY_MAX + 2, 1, &q), QUERY_TOO_LONG);
	CHECK_INT(query_parse(raw, 3 * 300, 1, &q), QUERY_OK);
	CHECK_INT(q.textlen, 300);
	/* Words beyond QUERY_TERMS_MAX are left. */
	for (i = 0; i < 40; i++) {
		raw[2 * i] = (char)('a' + i % 26);
		raw[2 * i + 1] = ' ';
	}
	CHECK_INT(query_parse(raw, 80, 0, &q), QUERY_OK);
	CHECK_INT(q.nterms, QUERY_TERMS_MAX);
	CHECK_STR(q.terms[QUERY_TERMS_MAX - 1].word, "p");
	CHECK_INT(q.terms[QUERY_TERMS_MAX - 1].prefix, 0);
}

int
main(void)
{
	test_table();
	test_limits();
	return unit_done("search_query");
}
