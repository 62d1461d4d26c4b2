/* File names to MIME types and Gopher item types (pure). */
#ifndef ATTACHE_MIME_H
#define ATTACHE_MIME_H

#include <stddef.h>

/* 1 when name ends in .gmi or .gemini (case-insensitive). */
int		 mime_is_gemtext(const char *name, size_t len);

/*
 * MIME type for a file name, from its extension (case-insensitive):
 * "text/gemini" for gemtext, "text/plain; charset=utf-8" and the like for
 * text, "application/octet-stream" when unknown.  Never NULL.
 */
const char	*mime_type(const char *name, size_t len);

/*
 * Gopher item type for a name: '1' for gemtext pages (served as menus) and
 * for names ending in '/', '0' text, 'h' HTML, 'g' GIF, 'I' other images,
 * '9' anything else.
 */
char		 mime_gopher_type(const char *name, size_t len);

#endif
