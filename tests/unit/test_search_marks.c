/*
 * A file's marks (where its words are in its text), the windows read from
 * them for extracts, and where search_run says to cut each extract.
 */
#include <stdlib.h>

#include "gemtext.h"
#include "search_index.h"
#include "search_rank.h"
#include "unit.h"

#define WORDS	700	/* "t0000" to "t0699": word n at position n */

/*
 * A page whose word n is "tNNNN": a title, short lines, a link, a
 * preformatted block, then a line too long for a mark to go back to its
 * start, then short lines again.  Plain text the same without markup.
 */
static char *
page(int gemtext)
{
	size_t cap = WORDS * 8 + 512, o = 0;
	char *t = malloc(cap);
	unsigned n = 0, k;

	if (t == NULL)
		return NULL;
	if (gemtext)
		o += (size_t)snprintf(t + o, cap - o,
		    "# t0000 t0001 t0002\n\n");
	else
		o += (size_t)snprintf(t + o, cap - o, "t0000 t0001 t0002\n");
	n = 3;
	while (n < WORDS) {
		if (gemtext && n == 100)
			o += (size_t)snprintf(t + o, cap - o, "=> /x.gmi");
		if (gemtext && n == 200)
			o += (size_t)snprintf(t + o, cap - o, "```\n");
		/* Words 400 to 599 are one line of 1,200 bytes. */
		k = n >= 400 && n < 600 ? 600 - n : 10 - n % 10;
		for (; k > 0 && n < WORDS; k--)
			o += (size_t)snprintf(t + o, cap - o, " t%04u", n++);
		o += (size_t)snprintf(t + o, cap - o, "\n");
		if (gemtext && n == 300)
			o += (size_t)snprintf(t + o, cap - o, "```\n");
	}
	return t;
}

/* Inside a preformatted block at byte off (a line's start)? */
static int
pre_at(const char *t, size_t off)
{
	struct gemtext_iter it;
	struct gemtext_line l;

	gemtext_iter_init(&it, t, strlen(t));
	while (it.pos < off && gemtext_iter_next(&it, &l))
		;
	return it.in_pre;
}

static void
check_windows(const char *path, int gemtext)
{
	char *t = page(gemtext), w5[8];
	struct index_builder *b = index_builder_new(1);
	struct index_segment *s;
	const struct index_doc *d;
	struct index_window w;
	const char *at;
	/* Plain text: "p", "txt" (its title) and a gap come first. */
	uint32_t p, first, n, base = gemtext ? 0 : 3;
	size_t off, bad = 0, long_windows = 0;

	CHECK(t != NULL && b != NULL);
	if (t == NULL || b == NULL)
		return;
	CHECK_INT(index_builder_add(b, path, 7, t, strlen(t)), 0);
	if ((s = index_builder_finish(b)) == NULL) {
		CHECK(0);
		free(t);
		return;
	}
	d = &s->docs[0];
	CHECK_INT(d->size, strlen(t));
	CHECK_INT(d->length, WORDS + (gemtext ? 0 : 2));
	CHECK(d->marks != NULL && d->markslen > 0);
	index_doc_title_words(d, &first, &n);
	CHECK_INT(first, 0);
	CHECK_INT(n, gemtext ? 3 : 2);
	for (p = 0; p < WORDS; p++) {
		snprintf(w5, sizeof(w5), "t%04u", (unsigned)p);
		at = strstr(t, w5);
		off = (size_t)(at - t);
		if (!index_doc_window(d, p + base, 2, &w)) {
			bad++;
			continue;
		}
		/* The window holds the word, from a line's start... */
		if (w.start > off || (w.end != UINT64_MAX && w.end < off + 5))
			bad++;
		else if (!w.midline && w.start > 0 && t[w.start - 1] != '\n')
			bad++;
		/* ... or, in the long line, from a word of it. */
		else if (w.midline && (t[w.start] != 't' ||
		    t[w.start - 1] != ' ' || p < 400 + INDEX_MARK_EVERY))
			bad++;
		else if (gemtext && !w.midline && w.pre != pre_at(t, w.start))
			bad++;
		if (w.end != UINT64_MAX && w.end - w.start >
		    INDEX_MARK_BACK_MAX + 3 * INDEX_MARK_EVERY * 6)
			long_windows++;
	}
	CHECK_INT(bad, 0);
	/* Small windows: a few marks of INDEX_MARK_EVERY words. */
	CHECK_INT(long_windows, 0);
	/* In the block's lines, and not after it. */
	if (gemtext) {
		CHECK(index_doc_window(d, 250, 2, &w) && w.pre == 1);
		CHECK(index_doc_window(d, 350, 2, &w) && w.pre == 0);
	}
	/* Past the last word: the last mark, to the end. */
	CHECK(index_doc_window(d, 5000, 2, &w) && w.end == UINT64_MAX &&
	    w.start < strlen(t));
	index_segment_unref(s);
	free(t);
}

static void
test_marks(void)
{
	struct index_builder *b = index_builder_new(1);
	struct index_segment *s;
	struct index_window w;
	uint32_t first, n;

	check_windows("/p.gmi", 1);
	check_windows("/p.txt", 0);

	/* A page titled by its name: its words are not in the text. */
	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK_INT(index_builder_add(b, "/two-words.gmi", 1, "body text\n",
	    10), 0);
	CHECK_INT(index_builder_add(b, "/late.gmi", 1,
	    "one two\n# late title\nthree\n", 27), 0);
	CHECK_INT(index_builder_add(b, "/photo.jpg", 1, NULL, 0), 0);
	if ((s = index_builder_finish(b)) == NULL) {
		CHECK(0);
		return;
	}
	index_doc_title_words(&s->docs[0], &first, &n);
	CHECK_INT(first, 0);
	CHECK_INT(n, 3);			/* two, words, gmi */
	CHECK(index_doc_window(&s->docs[0], 0, 2, &w) && w.start == 0 &&
	    !w.midline && !w.pre);
	index_doc_title_words(&s->docs[1], &first, &n);
	CHECK_INT(first, 2);			/* after "one two" */
	CHECK_INT(n, 2);
	CHECK_INT(s->docs[2].kind, INDEX_NAME);
	index_segment_unref(s);

	/* Without words, no marks: extracts read from the start. */
	if ((b = index_builder_new(0)) == NULL)
		return;
	CHECK_INT(index_builder_add(b, "/a.gmi", 1, "# A\nb\n", 6), 0);
	if ((s = index_builder_finish(b)) != NULL) {
		CHECK(s->docs[0].marks == NULL);
		CHECK(!index_doc_window(&s->docs[0], 0, 2, &w));
		index_segment_unref(s);
	}
}

/* Marks that do not parse: no window, and no read past them. */
static void
test_bad_marks(void)
{
	static const unsigned char cut[] = { 0, 1, 0x80 };
	static const unsigned char big[] = { 0, 0, 0x05, 0xff, 0x7f };
	struct index_doc d;
	struct index_window w;
	uint32_t first, n;

	memset(&d, 0, sizeof(d));
	d.marks = cut;
	d.markslen = sizeof(cut);
	CHECK(!index_doc_window(&d, 0, 2, &w));
	index_doc_title_words(&d, &first, &n);
	CHECK_INT(n, 1);
	d.markslen = 1;
	index_doc_title_words(&d, &first, &n);
	CHECK_INT(first, 0);
	CHECK_INT(n, 0);
	/* A line start said to be before the text: from its start. */
	d.marks = big;
	d.markslen = sizeof(big);
	CHECK(index_doc_window(&d, 0, 2, &w) && w.start == 0 &&
	    w.end == UINT64_MAX);
}

/* Where search_run says the extract is: the query's words together. */
static int exact;

static const char *
located(const struct index_segment *s, const char *query, uint32_t *at)
{
	struct search_view v;
	struct search_hit hits[4];
	struct query q;
	size_t total;

	memset(&v, 0, sizeof(v));
	v.seg[0] = s;
	v.ndocs = s->ndocs;
	v.avgdl = 10;
	*at = UINT32_MAX - 1;
	if (query_parse(query, strlen(query), 0, &q) != QUERY_OK ||
	    search_run(&v, &q, NULL, NULL, 0, hits, 1, &total) != 1)
		return "(none)";
	*at = hits[0].at;
	exact = hits[0].exact;
	return hits[0].doc->path;
}

static void
test_locate(void)
{
	struct index_builder *b = index_builder_new(1);
	struct index_segment *s;
	uint32_t at;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	/*
	 * Words: 0 alpha 1 news | 2 beta 3 one | 4 alpha 5 two 6 three |
	 * 7 to 26 x | 27 gamma 28 beta 29 alpha 30 four | 31 alphabet
	 * 32 delta
	 */
	static const char text[] = "# Alpha news\nbeta one\n"
	    "alpha two three\nx x x x x x x x x x x x x x x x x x x x\n"
	    "gamma beta alpha four\nalphabet delta\n";

	CHECK_INT(index_builder_add(b, "/a.gmi", 1, text, strlen(text)), 0);
	if ((s = index_builder_finish(b)) == NULL) {
		CHECK(0);
		return;
	}
	/* Not in the title, when the text has it. */
	CHECK_STR(located(s, "\"alpha\"", &at), "/a.gmi");
	CHECK_INT(at, 4);
	CHECK_INT(exact, 1);
	CHECK_STR(located(s, "news", &at), "/a.gmi");
	CHECK_INT(at, 1);
	/* Where most of the words are, within a few words. */
	CHECK_STR(located(s, "gamma \"alpha\" beta", &at), "/a.gmi");
	CHECK_INT(at, 27);
	CHECK_STR(located(s, "\"beta\" \"one\"", &at), "/a.gmi");
	CHECK_INT(at, 2);
	CHECK_STR(located(s, "four", &at), "/a.gmi");
	CHECK_INT(at, 30);
	/* A prefix standing for several words: their first, title aside. */
	CHECK_STR(located(s, "delta alph", &at), "/a.gmi");
	CHECK_INT(at, 32);
	CHECK_INT(exact, 0);
	CHECK_STR(located(s, "alph", &at), "/a.gmi");
	CHECK_INT(at, 0);
	index_segment_unref(s);
}

/*
 * A prefix of a few words (merged list by list) and one of many (added up
 * over the files) count and rank alike: four pages as long as each other,
 * the prefix's words 3, 1, 6 and 2 times in them.
 */
static void
test_prefixes(void)
{
	static const char *const pages[][2] = {
		{ "/a1.gmi", "zaa zaa zab" },
		{ "/a2.gmi", "zac" },
		{ "/a3.gmi", "zab zac zaa zaa zaa zaa" },
		{ "/a4.gmi", "zac zac" },
		{ "/b1.gmi", "zba zba zbb" },
		{ "/b2.gmi", "zbc" },
		{ "/b3.gmi", "zbb zbc zbd zbe zbf zbg" },
		{ "/b4.gmi", "zbh zbi" },
	};
	struct index_builder *b = index_builder_new(1);
	struct index_segment *s;
	struct search_view v;
	struct search_hit hits[4];
	struct query q;
	char text[128], got[128];
	size_t i, total, o;
	long n, k;
	int w;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	for (i = 0; i < 8; i++) {
		/* Ten words each after the title. */
		o = (size_t)snprintf(text, sizeof(text), "# T\n%s",
		    pages[i][1]);
		for (w = 0; w < 10 - (int)(strlen(pages[i][1]) + 1) / 4; w++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, " x");
		CHECK_INT(index_builder_add(b, pages[i][0], 1, text, o), 0);
	}
	if ((s = index_builder_finish(b)) == NULL) {
		CHECK(0);
		return;
	}
	memset(&v, 0, sizeof(v));
	v.seg[0] = s;
	v.ndocs = s->ndocs;
	v.avgdl = 11;
	for (i = 0; i < 2; i++) {
		CHECK(query_parse(i == 0 ? "za" : "zb", 2, 0, &q) == QUERY_OK);
		n = search_run(&v, &q, NULL, NULL, 0, hits, 4, &total);
		CHECK_INT(n, 4);
		CHECK_INT(total, 4);
		for (k = 0, o = 0, got[0] = '\0'; k < n; k++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s ",
			    hits[k].doc->path);
		CHECK_STR(got, i == 0 ? "/a3.gmi /a1.gmi /a4.gmi /a2.gmi " :
		    "/b3.gmi /b1.gmi /b4.gmi /b2.gmi ");
		/* Only the first of a prefix's words is known: not exact. */
		CHECK_INT(hits[0].at, 1);
		CHECK_INT(hits[0].exact, 0);
	}
	index_segment_unref(s);
}

int
main(void)
{
	test_marks();
	test_bad_marks();
	test_locate();
	test_prefixes();
	return unit_done("search_marks");
}
