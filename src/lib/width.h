/* Display width of text in terminal columns (pure). */
#ifndef ATTACHE_WIDTH_H
#define ATTACHE_WIDTH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Columns a code point takes: 0 for combining marks, format characters
 * (U+200B, ZWJ, ...) and C0/C1 controls; 2 for East Asian Wide and
 * Fullwidth characters (CJK, Hangul syllables, fullwidth forms, most
 * emoji); 1 otherwise.
 */
unsigned	width_cp(uint32_t cp);

/*
 * Columns of s[0..len) as UTF-8: the sum of width_cp() over its code
 * points, each byte that is not part of well-formed UTF-8 counting 1.
 */
size_t		width_of(const char *s, size_t len);

#endif
