/* A snapshot of what the capsule service derives from a capsule (pure). */
#include <stdlib.h>
#include <string.h>

#include "capsule_snapshot.h"

/* Newest first; the same second, by path (as the segments sort them). */
static int
newer(const struct index_doc *a, const struct index_doc *b)
{
	if (a->mtime != b->mtime)
		return a->mtime > b->mtime;
	return strcmp(a->path, b->path) < 0;
}

/* The pages of both segments merged, the replaced ones left out. */
static int
merge_pages(struct capsule_snapshot *s)
{
	const struct index_segment *b = s->base, *c = s->changes;
	size_t nb = b != NULL ? b->npages : 0, nc = c != NULL ? c->npages : 0;
	size_t i = 0, j = 0;
	const struct index_doc *x, *y;

	if ((s->pages = calloc(nb + nc + 1, sizeof(*s->pages))) == NULL)
		return -1;
	for (;;) {
		while (i < nb && search_dead(s->dead, b->by_mtime[i]))
			i++;
		x = i < nb ? &b->docs[b->by_mtime[i]] : NULL;
		y = j < nc ? &c->docs[c->by_mtime[j]] : NULL;
		if (x == NULL && y == NULL)
			return 0;
		if (y == NULL || (x != NULL && newer(x, y))) {
			s->pages[s->npages++] = x;
			i++;
		} else {
			s->pages[s->npages++] = y;
			j++;
		}
	}
}

struct capsule_snapshot *
capsule_snapshot_new(struct index_segment *base,
    struct index_segment *changes, unsigned char *dead, int words)
{
	struct capsule_snapshot *s;
	uint64_t length = 0;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		index_segment_unref(base);
		index_segment_unref(changes);
		free(dead);
		return NULL;
	}
	s->base = base;
	s->changes = changes;
	s->dead = dead;
	s->words = words;
	s->view.seg[0] = base;
	s->view.seg[1] = changes;
	s->view.dead = dead;
	for (i = 0; base != NULL && i < base->ndocs; i++)
		if (!search_dead(dead, (uint32_t)i)) {
			s->view.ndocs++;
			length += base->docs[i].length;
		}
	if (changes != NULL) {
		s->view.ndocs += changes->ndocs;
		length += changes->total_length;
	}
	if (s->view.ndocs > 0)
		s->view.avgdl = (double)length / (double)s->view.ndocs;
	if (merge_pages(s) == -1) {
		capsule_snapshot_free(s);
		return NULL;
	}
	return s;
}

void
capsule_snapshot_free(struct capsule_snapshot *s)
{
	if (s == NULL)
		return;
	index_segment_unref(s->base);
	index_segment_unref(s->changes);
	free(s->dead);
	free(s->pages);
	free(s);
}
