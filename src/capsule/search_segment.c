/* A segment of the search index: reading it (pure). */
#include <stdlib.h>
#include <string.h>

#include "search_segment.h"

struct index_segment *
index_segment_ref(struct index_segment *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
index_segment_unref(struct index_segment *s)
{
	if (s == NULL ||
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(s->docs);
	free(s->by_path);
	free(s->by_mtime);
	free(s->terms);
	free(s->words);
	free(s->postings);
	free(s->strings);
	free(s->marks);
	free(s);
}

/* The word of term i against w[0..len), on at most n bytes of both. */
static int
word_cmp(const struct index_segment *s, size_t i, const char *w, size_t len,
    size_t n)
{
	const struct index_term *t = &s->terms[i];
	size_t tl = t->len < n ? t->len : n, wl = len < n ? len : n;
	int c;

	if ((c = memcmp(s->words + t->word, w, tl < wl ? tl : wl)) != 0)
		return c;
	return tl < wl ? -1 : tl > wl;
}

/* The first term not below w[0..len) compared on n bytes. */
static size_t
lower_bound(const struct index_segment *s, const char *w, size_t len,
    size_t n)
{
	size_t lo = 0, hi = s->nterms, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (word_cmp(s, mid, w, len, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct index_term *
index_term_find(const struct index_segment *s, const char *word, size_t len)
{
	size_t i = lower_bound(s, word, len, SIZE_MAX);

	if (i < s->nterms && word_cmp(s, i, word, len, SIZE_MAX) == 0)
		return &s->terms[i];
	return NULL;
}

void
index_term_prefix(const struct index_segment *s, const char *prefix,
    size_t len, size_t *first, size_t *last)
{
	size_t lo, hi, mid;

	*first = lo = lower_bound(s, prefix, len, len);
	hi = s->nterms;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (word_cmp(s, mid, prefix, len, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*last = lo;
}

void
index_postings_init(struct index_postings *it, const struct index_segment *s,
    const struct index_term *t)
{
	it->p = s->postings + t->off;
	it->end = it->p + t->size;
	it->doc = 0;
	it->first = 1;
}

void
index_doc_title_words(const struct index_doc *d, uint32_t *first,
    uint32_t *n)
{
	const unsigned char *p = d->marks, *end = p + d->markslen;

	*first = *n = 0;
	if (p == NULL || !index_varint(&p, end, first) ||
	    !index_varint(&p, end, n))
		*first = *n = 0;
}

int
index_doc_window(const struct index_doc *d, uint32_t at, unsigned ahead,
    struct index_window *w)
{
	const unsigned char *p = d->marks, *end = p + d->markslen;
	uint32_t delta, how;
	uint64_t off = 0, k, mark = at / INDEX_MARK_EVERY;

	if (p == NULL || !index_varint(&p, end, &how) ||
	    !index_varint(&p, end, &how))
		return 0;
	w->end = UINT64_MAX;
	/* Mark k is the first word from k * INDEX_MARK_EVERY on. */
	for (k = 0; p < end; k++) {
		if (!index_varint(&p, end, &delta) ||
		    !index_varint(&p, end, &how))
			return 0;
		off += delta;
		if (k <= mark) {
			w->pre = how & 1;
			w->midline = how >> 1 & 1;
			w->start = off - (how >> 2 <= off ? how >> 2 : off);
		} else if (k >= mark + ahead) {
			w->end = off;
			break;
		}
	}
	return k > 0;
}

long
index_doc_by_path(const struct index_segment *s, const char *path)
{
	size_t lo = 0, hi = s->ndocs, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(s->docs[s->by_path[mid]].path, path);
		if (c == 0)
			return (long)s->by_path[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void
index_docs_under(const struct index_segment *s, const char *dir,
    size_t *first, size_t *last)
{
	size_t lo = 0, hi = s->ndocs, mid, n = strlen(dir);

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(s->docs[s->by_path[mid]].path, dir) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo < s->ndocs &&
	    strncmp(s->docs[s->by_path[lo]].path, dir, n) == 0)
		lo++;
	*last = lo;
}
