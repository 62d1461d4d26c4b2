/* Generated directory pages in gemtext (pure). */
#ifndef ATTACHE_LISTING_H
#define ATTACHE_LISTING_H

#include <stddef.h>

#include "capsule.h"

struct evbuffer;

/*
 * Writes a text/gemini page listing ents (already sorted and filtered) of
 * the directory at dirpath ("/" or "/a/b/"): a heading naming it, a link to
 * the parent, then one link per entry, names percent-encoded in the links.
 * Returns 0, or -1 when out of memory.
 */
int	listing_gemtext(struct evbuffer *out, const char *dirpath,
	    const struct capsule_dirent *ents, size_t n);

/* Copies name into out for display: control characters become '?'. */
void	listing_display_name(const char *name, char *out, size_t outsz);

#endif
