/* A search query, from what a client sent to the words to find (pure). */
#include <string.h>

#include "search_query.h"
#include "uri.h"
#include "utf8.h"
#include "words.h"

/* Decodes once into q->text; a stray '%' is kept. */
static size_t
decode(const char *raw, size_t len, int percent_encoded, char *out)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (percent_encoded && raw[i] == '%' && i + 2 < len &&
		    (hi = uri_hexval(raw[i + 1])) != -1 &&
		    (lo = uri_hexval(raw[i + 2])) != -1) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = raw[i];
	}
	return o;
}

/* A quotation mark at s, by its code point: 1 when it is one. */
static int
is_quote(uint32_t cp)
{
	return cp == '"' || cp == 0x201c || cp == 0x201d || cp == 0xab ||
	    cp == 0xbb;
}

/* Controls as spaces, so that the text can go in a heading or a menu. */
static void
blank_controls(char *s, size_t len)
{
	uint32_t cp;
	size_t i = 0, n, k;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0)
			n = 1;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			for (k = 0; k < n; k++)
				s[i + k] = ' ';
		i += n;
	}
}

static void
add_term(struct query *q, const struct word *w, unsigned phrase)
{
	struct query_term *t;

	if (q->nterms == QUERY_TERMS_MAX)
		return;
	t = &q->terms[q->nterms++];
	memcpy(t->word, w->text, w->len + 1);
	t->len = w->len;
	t->prefix = 0;
	t->phrase = phrase;
}

/*
 * The words between two quotation marks (or the ends): alone, or as a
 * phrase when quoted and there are two or more.  Returns how many.
 */
static size_t
add_span(struct query *q, const char *s, size_t len, int quoted)
{
	struct words_iter it;
	struct word w;
	size_t first = q->nterms, n;
	unsigned phrase = quoted ? q->nphrases + 1 : 0;

	words_init(&it, s, len);
	while (words_next(&it, &w))
		add_term(q, &w, phrase);
	n = q->nterms - first;
	if (n == 1)
		q->terms[first].phrase = 0;
	else if (n > 1 && quoted)
		q->nphrases++;
	return n;
}

enum query_result
query_parse(const char *raw, size_t len, int percent_encoded,
    struct query *q)
{
	uint32_t cp;
	size_t i, n, start;
	int quoted = 0, last_quoted = 0;

	memset(q, 0, sizeof(*q));
	if (len > QUERY_MAX)
		return QUERY_TOO_LONG;
	q->textlen = decode(raw, len, percent_encoded, q->text);
	q->text[q->textlen] = '\0';
	if (!utf8_valid(q->text, q->textlen))
		return QUERY_NOT_UTF8;
	blank_controls(q->text, q->textlen);
	for (i = start = 0; i < q->textlen; i += n) {
		n = utf8_decode(q->text + i, q->textlen - i, &cp);
		if (!is_quote(cp))
			continue;
		if (add_span(q, q->text + start, i - start, quoted) > 0)
			last_quoted = quoted;
		quoted = !quoted;
		start = i + n;
	}
	if (add_span(q, q->text + start, q->textlen - start, quoted) > 0)
		last_quoted = quoted;
	if (q->nterms == 0)
		return QUERY_EMPTY;
	/* Typed last, maybe not to its end: the last word, unquoted. */
	if (!last_quoted && q->terms[q->nterms - 1].len >= QUERY_PREFIX_MIN)
		q->terms[q->nterms - 1].prefix = 1;
	return QUERY_OK;
}
