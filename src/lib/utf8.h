/* UTF-8 decoding and validation (pure). */
#ifndef ATTACHE_UTF8_H
#define ATTACHE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one code point from s (len > 0).  Returns the number of bytes it
 * takes (1 to 4) and stores it in *cp, or returns 0 when the bytes are not
 * well-formed UTF-8 (truncated, overlong, surrogate, above U+10FFFF).
 */
size_t	utf8_decode(const char *s, size_t len, uint32_t *cp);

/* 1 when all of s is well-formed UTF-8, else 0. */
int	utf8_valid(const char *s, size_t len);

/* The offset of the first byte of s that is not well-formed UTF-8, or len. */
size_t	utf8_error_at(const char *s, size_t len);

/*
 * s[0..len) as one line of text, appended to out from *o: controls and
 * runs of spaces become one space (none first, none last), bytes that are
 * not UTF-8 '?'.  It stops before a character that would take out past
 * max bytes (out holds max).  Returns the bytes appended.
 */
size_t	utf8_one_line(const char *s, size_t len, char *out, size_t *o,
	    size_t max);

#endif
