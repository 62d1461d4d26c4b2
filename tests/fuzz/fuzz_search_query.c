/*
 * libFuzzer target for the search query parser and the tokenizer: no
 * input may crash them; every term is a folded word that fits, a phrase's
 * terms follow each other, and the text shown back holds no control
 * character and is UTF-8.  Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search_query.h"
#include "utf8.h"
#include "words.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_query(const struct query *q, enum query_result r)
{
	const struct query_term *t;
	unsigned phrase = 0;
	size_t i;

	if (r != QUERY_OK && r != QUERY_EMPTY)
		return;
	if (q->textlen > QUERY_MAX || strlen(q->text) != q->textlen ||
	    !utf8_valid(q->text, q->textlen))
		abort();
	for (i = 0; i < q->textlen; i++)
		if ((unsigned char)q->text[i] < 0x20 || q->text[i] == 0x7f)
			abort();
	if ((r == QUERY_EMPTY) != (q->nterms == 0) ||
	    q->nterms > QUERY_TERMS_MAX || q->nphrases > q->nterms)
		abort();
	for (i = 0; i < q->nterms; i++) {
		t = &q->terms[i];
		if (t->len == 0 || t->len > WORD_MAX ||
		    strlen(t->word) != t->len || !utf8_valid(t->word, t->len))
			abort();
		if (t->prefix && (i + 1 != q->nterms || t->phrase != 0 ||
		    t->len < QUERY_PREFIX_MIN))
			abort();
		/* A phrase goes on, or the next one starts. */
		if (t->phrase != 0 && !(i > 0 &&
		    q->terms[i - 1].phrase == t->phrase)) {
			if (t->phrase != phrase + 1)
				abort();
			phrase = t->phrase;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct words_iter it;
	struct query q;
	struct word w;
	size_t end = 0;

	check_query(&q, query_parse(s, size, 1, &q));
	check_query(&q, query_parse(s, size, 0, &q));
	words_init(&it, s, size);
	while (words_next(&it, &w)) {
		if (w.len == 0 || w.len > WORD_MAX || w.start < end ||
		    w.end <= w.start || w.end > size ||
		    !utf8_valid(w.text, w.len) || strlen(w.text) != w.len)
			abort();
		end = w.end;
	}
	return 0;
}
