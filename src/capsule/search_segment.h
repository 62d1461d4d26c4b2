/*
 * A finished segment of the search index: immutable, shared by reference
 * between snapshots (capsule_snapshot.h), read by the ranking and the
 * extracts.  Its types, and the reads of them (search_segment.c); the
 * builder that makes one is search_index.h.
 */
#ifndef ATTACHE_SEARCH_SEGMENT_H
#define ATTACHE_SEARCH_SEGMENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define INDEX_TITLE_MAX		200	/* bytes of a title */
#define INDEX_DOC_WORDS_MAX	(1u << 20)	/* words of a file indexed */
#define INDEX_MARK_EVERY	16	/* a file's words sampled for marks */
#define INDEX_MARK_BACK_MAX	1024	/* bytes back to a mark's line start */

enum index_kind {
	INDEX_GEMTEXT,		/* a page: its text, title from its heading */
	INDEX_TEXT,		/* text/plain: its text, titled by its name */
	INDEX_NAME		/* anything else: its name only */
};

/*
 * One file of the segment.  Its marks say where in its text its words are,
 * so that an extract reads a small window of the file rather than all of
 * it from the start: varints, first the title's words (the first and how
 * many), then for every INDEX_MARK_EVERY-th word from the first, its byte
 * offset (from the previous mark's) and how it starts (back << 2 | midline
 * << 1 | pre): back bytes before it is the start of its line, or, when
 * that is over INDEX_MARK_BACK_MAX (midline), the window starts at the word
 * itself; pre says the line is inside a preformatted block.  Words of a
 * file's name (titled by it) are not in its text: their marks are 0.
 */
struct index_doc {
	const char		*path;	/* "/dir/page.gmi" */
	const char		*title;	/* UTF-8, no controls, not empty */
	int64_t			 mtime;	/* seconds since the epoch */
	uint64_t		 size;	/* bytes indexed (the file's) */
	uint64_t		 dev;	/* the file indexed, when known: */
	uint64_t		 ino;	/* 0 when not */
	const unsigned char	*marks;
	uint32_t		 markslen;
	uint32_t		 length;	/* words, for the ranking */
	uint8_t			 kind;	/* enum index_kind */
};

/* Where to read a file to show one of its words (index_doc_window). */
struct index_window {
	uint64_t	 start;		/* the byte to read from */
	uint64_t	 end;		/* not past it (UINT64_MAX: the end) */
	int		 pre;		/* start is in a preformatted block */
	int		 midline;	/* start is inside a long line */
};

/* One word and where its postings are. */
struct index_term {
	uint32_t	 word;		/* offset in words */
	uint32_t	 len;
	uint32_t	 df;		/* files that hold it */
	size_t		 off;		/* its postings in postings */
	size_t		 size;
};

struct index_segment {
	atomic_uint		 refs;
	struct index_doc	*docs;		/* in the order added */
	size_t			 ndocs;
	uint32_t		*by_path;	/* doc numbers, paths sorted */
	uint32_t		*by_mtime;	/* pages, newest first (then by
						 * path) */
	size_t			 npages;
	struct index_term	*terms;		/* sorted by word, bytewise */
	size_t			 nterms;
	char			*words;
	unsigned char		*postings;
	char			*strings;	/* paths and titles */
	unsigned char		*marks;		/* the docs' marks */
	uint64_t		 total_length;	/* words of all files */
	size_t			 bytes;		/* memory it holds */
};

/*
 * One file holding a word: doc, the word's count in it (tf), in its title
 * (tf_title), and its positions (delta-coded varints, see
 * index_positions_next).
 */
struct index_posting {
	uint32_t		 doc;
	uint32_t		 tf;
	uint32_t		 tf_title;
	const unsigned char	*pos;
	size_t			 poslen;
};

struct index_postings {
	const unsigned char	*p;
	const unsigned char	*end;
	uint32_t		 doc;
	int			 first;
};

struct index_segment *index_segment_ref(struct index_segment *s);
void	index_segment_unref(struct index_segment *s);

/* The term of word[0..len), or NULL. */
const struct index_term *index_term_find(const struct index_segment *s,
	    const char *word, size_t len);

/* The terms that start with prefix[0..len): [*first, *last). */
void	index_term_prefix(const struct index_segment *s, const char *prefix,
	    size_t len, size_t *first, size_t *last);

void	index_postings_init(struct index_postings *it,
	    const struct index_segment *s, const struct index_term *t);

/*
 * Inline, as the two below: a search of a frequent word reads thousands of
 * postings, and the calls were a fifth of its time.
 * A varint at *p, not past end: 1, or 0 when it does not parse.
 */
static inline int
index_varint(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
	uint32_t r = 0;
	unsigned shift;

	if (*p < end && **p < 0x80) {	/* most are one byte */
		*v = *(*p)++;
		return 1;
	}
	for (shift = 0; shift < 35 && *p < end; shift += 7) {
		r |= (uint32_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80)) {
			*v = r;
			return 1;
		}
	}
	return 0;
}

/* The next posting: 1, or 0 at the end (or on bytes that do not parse). */
static inline int
index_postings_next(struct index_postings *it, struct index_posting *p)
{
	uint32_t delta, len;

	if (it->p >= it->end || !index_varint(&it->p, it->end, &delta) ||
	    !index_varint(&it->p, it->end, &p->tf) ||
	    !index_varint(&it->p, it->end, &p->tf_title) ||
	    !index_varint(&it->p, it->end, &len) ||
	    len > (size_t)(it->end - it->p)) {
		it->p = it->end;
		return 0;
	}
	it->doc = it->first ? delta : it->doc + delta;
	it->first = 0;
	p->doc = it->doc;
	p->pos = it->p;
	p->poslen = len;
	it->p += len;
	return 1;
}

/*
 * The next position of a posting into *pos, starting from *pos = 0 and
 * *first = 1: 1, or 0 at the end.
 */
static inline int
index_positions_next(const unsigned char **p, const unsigned char *end,
    uint32_t *pos, int *first)
{
	uint32_t delta;

	if (*p >= end || !index_varint(p, end, &delta))
		return 0;
	*pos = *first ? delta : *pos + delta;
	*first = 0;
	return 1;
}

/* The words of d's title: [*first, *first + *n). */
void	index_doc_title_words(const struct index_doc *d, uint32_t *first,
	    uint32_t *n);

/*
 * The window of d's text that holds its word number at and the words up
 * to ahead marks after it (its line from its start, unless the line is
 * long): 1, or 0 when d has no marks (or they do not parse).
 */
int	index_doc_window(const struct index_doc *d, uint32_t at,
	    unsigned ahead, struct index_window *w);

/* The doc with this path, or -1; the docs under a directory "/d/". */
long	index_doc_by_path(const struct index_segment *s, const char *path);
void	index_docs_under(const struct index_segment *s, const char *dir,
	    size_t *first, size_t *last);	/* indexes into by_path */

#endif
