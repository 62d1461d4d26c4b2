/*
 * The search index's builder (pure: bytes in, a segment out): the files
 * given to it, and for every folded word the files that hold it, how
 * often, whether in the title, and at which positions (for phrases).
 * The segment it makes is search_segment.h.
 */
#ifndef ATTACHE_SEARCH_INDEX_H
#define ATTACHE_SEARCH_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "gemtext.h"
#include "search_segment.h"

struct index_builder;

/* A builder; without words, it keeps the files alone (no search). */
struct index_builder *index_builder_new(int words);
void	index_builder_free(struct index_builder *b);

/*
 * Adds the file at path (the kind follows its name: mime.c), modified at
 * mtime, whose bytes are text[0..len) (NULL for INDEX_NAME), with its
 * marks.  A gemtext
 * page's words are those its lines show (a link's label, or its URL when
 * it has none); its title is its first heading, else its file name.  The
 * title's words count as title words; the name of a file titled by it is
 * indexed as its first words.  Returns 0, or -1 when out of memory (the
 * builder is then of no further use).
 */
int	index_builder_add(struct index_builder *b, const char *path,
	    int64_t mtime, const char *text, size_t len);

/* Which file the doc index_builder_add just added was (its device and
 * inode), so that a request can tell whether one it holds open is it. */
void	index_builder_identify(struct index_builder *b, uint64_t dev,
	    uint64_t ino);

/* The finished segment (one reference), or NULL; frees b either way. */
struct index_segment *index_builder_finish(struct index_builder *b);

/* The kind a file is indexed as, by its name. */
enum index_kind index_kind_of(const char *name, size_t len);

/*
 * The text a gemtext line shows, for indexing and extracts: a link's
 * label (its URL without one), nothing for a preformatted block's fence.
 */
void	index_line_text(const struct gemtext_line *l, const char **s,
	    size_t *len);

#endif
