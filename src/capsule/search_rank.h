/*
 * Running a query on the index (pure): the files that hold every word
 * (the last also as a prefix) and every phrase in order, ranked by BM25
 * with the title's words counting three times; and the one-line extract
 * shown under each result.
 */
#ifndef ATTACHE_SEARCH_RANK_H
#define ATTACHE_SEARCH_RANK_H

#include <stddef.h>
#include <stdint.h>

#include "search_index.h"
#include "search_query.h"

#define SEARCH_PREFIX_TERMS_MAX	256	/* words a prefix stands for, at most
					 * (the most frequent) */
#define SEARCH_TITLE_WEIGHT	3	/* a title word counts this often */
#define SEARCH_K1		1.2	/* BM25 */
#define SEARCH_B		0.75
#define EXTRACT_MAX		160	/* bytes of text in an extract */

/*
 * What a search runs on: the index as built (seg[0]), the files changed
 * since (seg[1]), and the bits of seg[0]'s files that the changes replace
 * or removed.  Either segment may be NULL.
 */
struct search_view {
	const struct index_segment	*seg[2];
	const unsigned char		*dead;	/* one bit per seg[0] doc */
	size_t				 ndocs;	/* files alive in both */
	double				 avgdl;	/* their mean length */
};

struct search_hit {
	const struct index_doc	*doc;
	double			 score;
	uint32_t		 at;	/* the word of doc where the query's
					 * words are closest together, for its
					 * extract (index_doc_window) */
	int			 exact;	/* at is from every word's positions
					 * (a prefix of several words has only
					 * its first) */
};

/* 1 when a result at path may be shown (see site_pages.c). */
typedef int	(*search_admit_fn)(void *arg, const char *path);

/*
 * Runs q on v.  Every matching file that admit lets through is counted in
 * *total; those ranked offset to offset + nhits - 1 (best first, equal
 * scores by path) go to hits, each with where to cut its extract.
 * Returns how many went, or -1 when out of memory.
 */
long	search_run(const struct search_view *v, const struct query *q,
	    search_admit_fn admit, void *arg, size_t offset,
	    struct search_hit *hits, size_t nhits, size_t *total);

/* BM25 of one word: its idf given df of n files, its tf in a file of dl. */
double	search_bm25(double tf, double df, double n, double dl, double avgdl);

/* 1 when bit doc of dead is set. */
int	search_dead(const unsigned char *dead, uint32_t doc);

/*
 * The line of text[0..len) (a gemtext page when gemtext is set, as its
 * lines show) that holds most of the query's words, headings last, cut to
 * EXTRACT_MAX bytes around the first of them with "…" where it was cut;
 * controls and runs of spaces become one space, bytes that are not UTF-8
 * '?'.  Without any of the words, the first line of text.  Writes it to
 * out (NUL-terminated) and returns its length.  outsz must hold
 * EXTRACT_MAX + 8 bytes.
 */
size_t	search_extract(const char *text, size_t len, int gemtext,
	    const struct query *q, char *out, size_t outsz);

/* What the line of an extract holds. */
enum extract_shown {
	EXTRACT_WEAK,		/* no word, or words only in a heading */
	EXTRACT_SOME,		/* some of the words */
	EXTRACT_ALL		/* every word, not in a heading */
};

/*
 * The same from a window of a file (index_doc_window): the text from
 * start, pre when that is inside a preformatted block, midline when it is
 * inside a line (whose start is then cut, with a "…").  *shown (unless
 * NULL) says what the line shown holds.
 */
size_t	search_extract_window(const char *text, size_t len, int gemtext,
	    int pre, int midline, const struct query *q, char *out,
	    size_t outsz, enum extract_shown *shown);

#endif
