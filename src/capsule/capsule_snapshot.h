/*
 * What the capsule service derives from a capsule at one moment, for
 * requests to read (pure, immutable once made): the search index (a base
 * segment, the files changed since in a second, and the base's files those
 * replace) and the pages newest first, for the change list.  Segments are
 * shared between snapshots by reference.
 */
#ifndef ATTACHE_CAPSULE_SNAPSHOT_H
#define ATTACHE_CAPSULE_SNAPSHOT_H

#include <stddef.h>

#include "search_index.h"
#include "search_rank.h"

struct capsule_snapshot {
	struct search_view	 view;		/* what a search runs on */
	const struct index_doc	**pages;	/* gemtext pages, newest first
						 * (then by path) */
	size_t			 npages;
	int			 words;		/* the words are indexed */
	struct index_segment	*base;
	struct index_segment	*changes;	/* or NULL */
	unsigned char		*dead;		/* or NULL */
	struct capsule_snapshot	*retired;	/* the service's list */
};

/*
 * A snapshot of base and changes (NULL for none), taking the references
 * given; dead (one bit per base doc, or NULL) is taken too.  words says
 * whether the segments hold words (search on).  NULL when out of memory,
 * having dropped what it took.
 */
struct capsule_snapshot *capsule_snapshot_new(struct index_segment *base,
	    struct index_segment *changes, unsigned char *dead, int words);

void	capsule_snapshot_free(struct capsule_snapshot *s);

#endif
