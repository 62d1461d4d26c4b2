/* Running a query on the index: matching and BM25 ranking (pure). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search_rank.h"

#define PREFIX_MERGE_MAX 8	/* a prefix's words merged list by list, at
				 * most; more add up in an array */
#define LOCATE_SPAN	16	/* words apart, at most, said to be together */
#define LOCATE_POS_MAX	64	/* positions of a word looked at, at most */

/* One file holding a query word, in one segment. */
struct match {
	uint32_t		 doc;
	uint32_t		 tf;
	uint32_t		 tf_title;
	uint32_t		 poslen;
	const unsigned char	*pos;		/* NULL for a prefix's words */
	uint32_t		 first;		/* without pos: the first word */
};

/* A word of the query (term) at a position of a file. */
struct spot {
	uint32_t	 pos;
	uint32_t	 term;
};

struct list {
	struct match	*m;
	size_t		 n;
	size_t		 cap;
	size_t		 at;		/* cursor of the intersection */
};

/* The best k hits so far: a heap whose root is the worst of them. */
struct hits {
	struct search_hit	*h;
	size_t			 n;
	size_t			 k;
	size_t			 total;		/* every hit, kept or not */
};

int
search_dead(const unsigned char *dead, uint32_t doc)
{
	return dead != NULL && (dead[doc / 8] >> (doc % 8) & 1);
}

static double
idf_of(double df, double n)
{
	return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

double
search_bm25(double tf, double df, double n, double dl, double avgdl)
{
	if (avgdl <= 0)
		avgdl = 1;
	return idf_of(df, n) * tf * (SEARCH_K1 + 1) /
	    (tf + SEARCH_K1 * (1 - SEARCH_B + SEARCH_B * dl / avgdl));
}

/* Room for more matches in l: once per word, not once per file. */
static int
reserve(struct list *l, size_t more)
{
	struct match *m;
	size_t cap;

	if (more <= l->cap - l->n)
		return 0;
	cap = l->n + more;
	if ((m = reallocarray(l->m, cap, sizeof(*m))) == NULL)
		return -1;
	l->m = m;
	l->cap = cap;
	return 0;
}

/* Adds a match, l having room for it (reserve). */
static void
push(struct list *l, const struct index_posting *p, int positions,
    uint32_t first)
{
	struct match *m = &l->m[l->n++];

	m->doc = p->doc;
	m->tf = p->tf;
	m->tf_title = p->tf_title;
	m->pos = positions ? p->pos : NULL;
	m->poslen = positions ? (uint32_t)p->poslen : 0;
	m->first = first;
}

/* The first position of a posting (0 without any). */
static uint32_t
first_pos(const struct index_posting *p)
{
	const unsigned char *pp = p->pos;
	uint32_t pos = 0;
	int f = 1;

	(void)index_positions_next(&pp, p->pos + p->poslen, &pos, &f);
	return pos;
}

/*
 * The files of one term, those replaced left out: with their positions,
 * or (positions 0) with only the first of them.
 */
static int
add_term(struct list *l, const struct index_segment *s,
    const struct index_term *t, const unsigned char *dead, int positions)
{
	struct index_postings it;
	struct index_posting p;

	if (reserve(l, t->df) == -1)
		return -1;
	index_postings_init(&it, s, t);
	while (l->n < l->cap && index_postings_next(&it, &p))
		if (p.doc < s->ndocs && !search_dead(dead, p.doc))
			push(l, &p, positions, positions ? 0 : first_pos(&p));
	return 0;
}

/*
 * Merges the sorted matches of add into those of l from start on, one
 * match per file (their counts added up, the first of their positions),
 * from the end backwards in l's room: no copy of l.
 */
static int
merge_into(struct list *l, size_t start, const struct list *add)
{
	struct match *m;
	size_t a, b, w, end;

	if (reserve(l, add->n) == -1)
		return -1;
	m = l->m;
	end = w = l->n + add->n;	/* one past the last written */
	a = l->n;			/* one past the next to read */
	b = add->n;
	while (b > 0) {
		if (a > start && m[a - 1].doc > add->m[b - 1].doc)
			m[--w] = m[--a];
		else if (a > start && m[a - 1].doc == add->m[b - 1].doc) {
			m[--w] = m[--a];
			m[w].tf += add->m[--b].tf;
			m[w].tf_title += add->m[b].tf_title;
			if (add->m[b].first < m[w].first)
				m[w].first = add->m[b].first;
		} else
			m[--w] = add->m[--b];
	}
	/* Files in both leave a gap of as many before the merged ones. */
	if (w > a)
		memmove(m + a, m + w, (end - w) * sizeof(*m));
	l->n = a + (end - w);
	return 0;
}

/*
 * The files of a prefix's few words, one match per file: the others'
 * merged together first (few files), then into the commonest's as its
 * postings are read.  No array over every file to clear and read, and no
 * list moved, for a prefix of two or three words ("visa": visa, visas).
 */
static int
merge_terms(struct list *l, const struct index_segment *s,
    const struct index_term *const *terms, size_t n, const unsigned char *dead)
{
	struct index_postings it;
	struct index_posting p;
	struct list add, one;
	size_t i, j, big = 0, more = 0;
	int r = 0;

	for (i = 0; i < n; i++) {
		more += terms[i]->df;
		if (terms[i]->df > terms[big]->df)
			big = i;
	}
	memset(&add, 0, sizeof(add));
	memset(&one, 0, sizeof(one));
	for (i = 0; i < n && r == 0; i++) {
		if (i == big)
			continue;
		one.n = 0;
		if ((r = add_term(&one, s, terms[i], dead, 0)) == 0)
			r = merge_into(&add, 0, &one);
	}
	free(one.m);
	if (r == 0 && (r = reserve(l, more)) == 0) {
		index_postings_init(&it, s, terms[big]);
		for (j = 0; l->n < l->cap && index_postings_next(&it, &p); ) {
			if (p.doc >= s->ndocs || search_dead(dead, p.doc))
				continue;
			while (j < add.n && add.m[j].doc < p.doc &&
			    l->n < l->cap)
				l->m[l->n++] = add.m[j++];
			push(l, &p, 0, first_pos(&p));
			if (j < add.n && add.m[j].doc == p.doc) {
				l->m[l->n - 1].tf += add.m[j].tf;
				l->m[l->n - 1].tf_title += add.m[j].tf_title;
				if (add.m[j].first < l->m[l->n - 1].first)
					l->m[l->n - 1].first = add.m[j].first;
				j++;
			}
		}
		while (j < add.n && l->n < l->cap)
			l->m[l->n++] = add.m[j++];
	}
	free(add.m);
	return r;
}

static int
by_df(const void *a, const void *b)
{
	const struct index_term *const *x = a, *const *y = b;

	return (*x)->df > (*y)->df ? -1 : (*x)->df < (*y)->df;
}

/* A prefix's words in one file: counts, and the first of their positions. */
struct acc {
	uint32_t	 tf;
	uint32_t	 tf_title;
	uint32_t	 first;
};

/*
 * The files of every word a prefix stands for, one match per file: their
 * counts add up in an array over the segment's files, read in order.
 */
static int
add_prefix(struct list *l, const struct index_segment *s,
    const struct query_term *q, const unsigned char *dead)
{
	const struct index_term **terms;
	struct index_postings it;
	struct index_posting p;
	struct acc *acc, *a;
	size_t first, last, n, i, touched = 0;
	uint32_t pos;
	int r = 0;

	index_term_prefix(s, q->word, q->len, &first, &last);
	if ((n = last - first) == 0)
		return 0;
	if (n == 1)		/* one word: its files, in order */
		return add_term(l, s, &s->terms[first], dead, 1);
	if ((terms = calloc(n, sizeof(*terms))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		terms[i] = &s->terms[first + i];
	if (n > SEARCH_PREFIX_TERMS_MAX) {
		qsort(terms, n, sizeof(*terms), by_df);
		n = SEARCH_PREFIX_TERMS_MAX;
	}
	if (n <= PREFIX_MERGE_MAX) {
		r = merge_terms(l, s, terms, n, dead);
		free(terms);
		return r;
	}
	if ((acc = calloc(s->ndocs + 1, sizeof(*acc))) == NULL) {
		free(terms);
		return -1;
	}
	for (i = 0; i < n; i++) {
		index_postings_init(&it, s, terms[i]);
		while (index_postings_next(&it, &p)) {
			if (p.doc >= s->ndocs || search_dead(dead, p.doc))
				continue;
			a = &acc[p.doc];
			pos = first_pos(&p);
			if (a->tf == 0) {
				touched++;
				a->first = pos;
			} else if (pos < a->first)
				a->first = pos;
			a->tf += p.tf;
			a->tf_title += p.tf_title;
		}
	}
	if ((r = reserve(l, touched)) == 0)
		for (i = 0; i < s->ndocs && l->n < l->cap; i++) {
			if (acc[i].tf == 0)
				continue;
			p.doc = (uint32_t)i;
			p.tf = acc[i].tf;
			p.tf_title = acc[i].tf_title;
			push(l, &p, 0, acc[i].first);
		}
	free(acc);
	free(terms);
	return r;
}

static int
term_list(struct list *l, const struct index_segment *s,
    const struct query_term *q, const unsigned char *dead)
{
	const struct index_term *t;

	if (q->prefix)
		return add_prefix(l, s, q, dead);
	if ((t = index_term_find(s, q->word, q->len)) == NULL)
		return 0;
	return add_term(l, s, t, dead, 1);
}

/* The match of doc in l, moving its cursor on; NULL if none. */
static const struct match *
seek(struct list *l, uint32_t doc)
{
	while (l->at < l->n && l->m[l->at].doc < doc)
		l->at++;
	return l->at < l->n && l->m[l->at].doc == doc ? &l->m[l->at] : NULL;
}

/* Positions of a match, decoded; -1 out of memory. */
static int
positions(const struct match *m, uint32_t **out, size_t *n)
{
	const unsigned char *p = m->pos, *end = m->pos + m->poslen;
	uint32_t pos = 0, *a;
	int first = 1;

	*n = 0;
	if ((a = calloc(m->tf + 1, sizeof(*a))) == NULL)
		return -1;
	while (*n < m->tf && index_positions_next(&p, end, &pos, &first))
		a[(*n)++] = pos;
	*out = a;
	return 0;
}

/*
 * 1 when the words of the phrase, terms[0..n) of the file's matches, come
 * one after the other somewhere; -1 out of memory.
 */
static int
phrase_holds(const struct match *const *m, size_t n)
{
	uint32_t *a, *b;
	size_t na, nb, i, j, k, o;

	if (positions(m[0], &a, &na) == -1)
		return -1;
	for (k = 1; k < n && na > 0; k++) {
		if (positions(m[k], &b, &nb) == -1) {
			free(a);
			return -1;
		}
		/* Starts x of the phrase with word k at x + k. */
		for (i = j = o = 0; i < na && j < nb; ) {
			if ((uint64_t)a[i] + k < b[j])
				i++;
			else if ((uint64_t)a[i] + k > b[j])
				j++;
			else {
				a[o++] = a[i++];
				j++;
			}
		}
		na = o;
		free(b);
	}
	free(a);
	return na > 0;
}

/* 1 when a ranks before b: a higher score, then the path. */
static int
before(const struct search_hit *a, const struct search_hit *b)
{
	if (a->score != b->score)
		return a->score > b->score;
	return strcmp(a->doc->path, b->doc->path) < 0;
}

static void
sift_down(struct hits *h, size_t i)
{
	struct search_hit t;
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			return;
		if (c + 1 < h->n && before(&h->h[c], &h->h[c + 1]))
			c++;
		if (!before(&h->h[i], &h->h[c]))
			return;
		t = h->h[i];
		h->h[i] = h->h[c];
		h->h[c] = t;
		i = c;
	}
}

/* Counts a hit; keeps it while it is among the best k. */
static void
add_hit(struct hits *h, const struct index_doc *doc, double score)
{
	struct search_hit hit = { doc, score, UINT32_MAX, 0 }, t;
	size_t i;

	h->total++;
	if (h->k == 0)
		return;
	if (h->n == h->k) {
		if (!before(&hit, &h->h[0]))
			return;
		h->h[0] = hit;
		sift_down(h, 0);
		return;
	}
	/* Up from the end: the worst rises to the root. */
	for (i = h->n++; i > 0 && before(&h->h[(i - 1) / 2], &hit); ) {
		t = h->h[(i - 1) / 2];
		h->h[i] = t;
		i = (i - 1) / 2;
	}
	h->h[i] = hit;
}

/*
 * The files of segment s in every list: phrases checked, scored, and
 * admitted.  df[i] counts the files of word i in both segments.
 */
static int
match_segment(const struct search_view *v, const struct index_segment *s,
    const struct query *q, struct list *lists, const double *idf,
    search_admit_fn admit, void *arg, struct hits *out)
{
	const struct match *m[QUERY_TERMS_MAX];
	const struct index_doc *doc;
	size_t i, j, k, drive = 0;
	double score, tf, norm, w[QUERY_TERMS_MAX], n0, n1;
	int r;

	/* BM25's parts that do not depend on the file, worked out once. */
	for (i = 0; i < q->nterms; i++)
		w[i] = idf[i] * (SEARCH_K1 + 1);
	n0 = SEARCH_K1 * (1 - SEARCH_B);
	n1 = SEARCH_K1 * SEARCH_B / (v->avgdl > 0 ? v->avgdl : 1);

	for (i = 0; i < q->nterms; i++) {
		lists[i].at = 0;
		if (lists[i].n < lists[drive].n)
			drive = i;
	}
	for (k = 0; k < lists[drive].n; k++) {
		for (i = 0; i < q->nterms; i++)
			if (i == drive)
				m[i] = &lists[drive].m[k];
			else if ((m[i] = seek(&lists[i],
			    lists[drive].m[k].doc)) == NULL)
				break;
		if (i < q->nterms)
			continue;
		for (i = 0, r = 1; q->nphrases > 0 && r == 1 && i < q->nterms;
		    i = j) {
			for (j = i + 1; j < q->nterms && q->terms[i].phrase !=
			    0 && q->terms[j].phrase == q->terms[i].phrase; j++)
				;
			if (j - i > 1 && (r = phrase_holds(&m[i], j - i)) ==
			    -1)
				return -1;
		}
		if (r == 0)
			continue;
		doc = &s->docs[m[0]->doc];
		if (admit != NULL && !admit(arg, doc->path))
			continue;
		norm = n0 + n1 * doc->length;
		for (i = 0, score = 0; i < q->nterms; i++) {
			tf = m[i]->tf + (SEARCH_TITLE_WEIGHT - 1) *
			    (double)m[i]->tf_title;
			score += w[i] * tf / (tf + norm);
		}
		/* Below the worst kept: only counted (most files). */
		if (out->n == out->k && out->k > 0 && score < out->h[0].score)
			out->total++;
		else
			add_hit(out, doc, score);
	}
	return 0;
}

static int
spot_cmp(const void *a, const void *b)
{
	const struct spot *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->term < y->term ? -1 : x->term > y->term;
}

/*
 * The positions of a match into s (LOCATE_POS_MAX at most), those of the
 * title's words [tfirst, tfirst + tn) left out unless title is set.
 */
static size_t
spots(const struct match *m, uint32_t term, uint32_t tfirst, uint32_t tn,
    int title, struct spot *s)
{
	const unsigned char *p = m->pos, *end = m->pos + m->poslen;
	uint32_t pos = m->first;
	size_t n = 0;
	int first = 1;

	if (m->pos == NULL) {
		if (!title && pos - tfirst < tn)
			return 0;
		s[0].pos = pos;
		s[0].term = term;
		return 1;
	}
	while (n < LOCATE_POS_MAX && index_positions_next(&p, end, &pos,
	    &first))
		if (title || pos - tfirst >= tn) {
			s[n].pos = pos;
			s[n++].term = term;
		}
	return n;
}

/*
 * Where most of the query's words are within LOCATE_SPAN words of each
 * other, in the text before the title: the closest together of those
 * places (most likely one line), then the first.  The word the extract
 * shows.
 */
static uint32_t
locate(const struct match *const *m, size_t nterms, const struct index_doc *d)
{
	struct spot s[QUERY_TERMS_MAX * LOCATE_POS_MAX];
	unsigned count[QUERY_TERMS_MAX];
	uint32_t tfirst, tn, at = UINT32_MAX, width = UINT32_MAX;
	size_t n = 0, i, lo, distinct = 0, best = 0;
	int title;

	index_doc_title_words(d, &tfirst, &tn);
	for (title = 0; title < 2 && n == 0; title++)
		for (i = 0; i < nterms; i++)
			n += spots(m[i], (uint32_t)i, tfirst, tn, title,
			    s + n);
	if (n > 1)
		qsort(s, n, sizeof(*s), spot_cmp);
	memset(count, 0, sizeof(count));
	for (i = lo = 0; i < n; i++) {
		if (count[s[i].term]++ == 0)
			distinct++;
		for (; s[i].pos - s[lo].pos > LOCATE_SPAN; lo++)
			if (--count[s[lo].term] == 0)
				distinct--;
		/* A word again later in the span: the span starts after it. */
		while (count[s[lo].term] > 1)
			count[s[lo++].term]--;
		if (distinct > best || (distinct == best &&
		    s[i].pos - s[lo].pos < width)) {
			best = distinct;
			at = s[lo].pos;
			width = s[i].pos - s[lo].pos;
		}
	}
	return at;
}

/* The match of doc in l (sorted by doc), or NULL. */
static const struct match *
find(const struct list *l, uint32_t doc)
{
	size_t lo = 0, hi = l->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->m[mid].doc < doc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && l->m[lo].doc == doc ? &l->m[lo] : NULL;
}

/* Where the extract of a hit is: locate() on its matches. */
static void
place(const struct search_view *v, struct list lists[][QUERY_TERMS_MAX],
    size_t nterms, struct search_hit *h)
{
	const struct match *m[QUERY_TERMS_MAX];
	const struct index_segment *s;
	size_t g, i;

	h->at = UINT32_MAX;
	h->exact = 0;
	for (g = 0; g < 2; g++) {
		if ((s = v->seg[g]) == NULL || h->doc < s->docs ||
		    h->doc >= s->docs + s->ndocs)
			continue;
		for (i = 0; i < nterms; i++)
			if ((m[i] = find(&lists[g][i],
			    (uint32_t)(h->doc - s->docs))) == NULL)
				return;
		h->at = locate(m, nterms, h->doc);
		for (i = 0, h->exact = 1; i < nterms; i++)
			if (m[i]->pos == NULL)
				h->exact = 0;
		return;
	}
}

static int
hit_cmp(const void *a, const void *b)
{
	return before(a, b) ? -1 : before(b, a);
}

long
search_run(const struct search_view *v, const struct query *q,
    search_admit_fn admit, void *arg, size_t offset, struct search_hit *hits,
    size_t nhits, size_t *total)
{
	struct list lists[2][QUERY_TERMS_MAX];
	double idf[QUERY_TERMS_MAX], df;
	struct hits found;
	size_t i, g, n = 0;
	long r = -1;

	*total = 0;
	memset(lists, 0, sizeof(lists));
	memset(&found, 0, sizeof(found));
	/* Only the best offset + nhits are kept, in a heap. */
	found.k = offset + nhits;
	if (found.k > 0 && (found.h = calloc(found.k, sizeof(*found.h))) ==
	    NULL)
		return -1;
	for (i = 0; i < q->nterms; i++) {
		df = 0;
		for (g = 0; g < 2; g++) {
			if (v->seg[g] == NULL)
				continue;
			if (term_list(&lists[g][i], v->seg[g], &q->terms[i],
			    g == 0 ? v->dead : NULL) == -1)
				goto out;
			df += (double)lists[g][i].n;
		}
		idf[i] = idf_of(df, (double)v->ndocs);
	}
	for (g = 0; g < 2; g++)
		if (v->seg[g] != NULL && q->nterms > 0 &&
		    match_segment(v, v->seg[g], q, lists[g], idf, admit, arg,
		    &found) == -1)
			goto out;
	if (found.n > 0)
		qsort(found.h, found.n, sizeof(*found.h), hit_cmp);
	*total = found.total;
	for (i = offset; i < found.n && n < nhits; i++) {
		hits[n] = found.h[i];
		place(v, lists, q->nterms, &hits[n++]);
	}
	r = (long)n;
out:
	for (g = 0; g < 2; g++)
		for (i = 0; i < QUERY_TERMS_MAX; i++)
			free(lists[g][i].m);
	free(found.h);
	return r;
}
