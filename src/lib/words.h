/*
 * The words of a text, folded for search (pure): the index and the query
 * cut text the same way, so that what a reader types finds what a page
 * says whatever its case and accents ("securite" finds "Sécurité").
 */
#ifndef ATTACHE_WORDS_H
#define ATTACHE_WORDS_H

#include <stddef.h>
#include <stdint.h>

#define WORD_MAX	64	/* bytes of a folded word; longer ones are cut */

/*
 * 1 when cp is part of a word: letters and digits of any script, combining
 * marks; not spaces, controls, punctuation, symbols, '_', nor the
 * apostrophes ("l'extradition" is "l" and "extradition").
 */
int	words_is_word_cp(uint32_t cp);

/*
 * The folded form of a word character, as UTF-8 in out (at most 4 bytes):
 * lower case, Latin accents removed (é è ê ë → e, ç → c, ÿ → y), the
 * ligatures spelt out (œ → oe, æ → ae, ß → ss), combining marks dropped
 * (length 0).  Greek and Cyrillic capitals become small letters; other
 * characters stay as they are.  Returns the length written.
 */
size_t	words_fold_cp(uint32_t cp, char out[4]);

/* One word of a text, folded. */
struct word {
	char	 text[WORD_MAX + 1];	/* NUL-terminated */
	size_t	 len;
	size_t	 start;			/* its bytes in the text */
	size_t	 end;
};

struct words_iter {
	const char	*s;
	size_t		 len;
	size_t		 pos;
};

void	words_init(struct words_iter *it, const char *s, size_t len);

/*
 * The next word of the text into *w: 1, or 0 at the end.  Bytes that are
 * not well-formed UTF-8 separate words; a word that folds to nothing (only
 * combining marks) is passed over.
 */
int	words_next(struct words_iter *it, struct word *w);

#endif
