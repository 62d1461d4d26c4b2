/* Gemtext (Gemini specification 0.24) line classification (pure). */
#ifndef ATTACHE_GEMTEXT_H
#define ATTACHE_GEMTEXT_H

#include <stddef.h>

enum gemtext_kind {
	GT_TEXT,		/* anything else, blank lines included */
	GT_LINK,		/* "=>" URL [label] */
	GT_H1,			/* "#" */
	GT_H2,			/* "##" */
	GT_H3,			/* "###" */
	GT_LIST,		/* "* " */
	GT_QUOTE,		/* ">" */
	GT_PRE_TOGGLE,		/* "```" opens or closes a preformatted block */
	GT_PRE_TEXT		/* a line inside a preformatted block */
};

/*
 * One classified line.  Spans point into the caller's line; a span that is
 * absent has ptr NULL and length 0.
 *   GT_TEXT, GT_PRE_TEXT	text: the whole line (without a final CR)
 *   GT_LINK		url: the URL (never empty); text: the label, trimmed,
 *			or NULL when the line has none
 *   GT_H1..GT_H3	text: after the '#'s and the whitespace after them
 *   GT_LIST		text: after "* " and any further whitespace
 *   GT_QUOTE		text: after '>' and the whitespace after it
 *   GT_PRE_TOGGLE	text: the alt text after "```", trimmed, or NULL
 * Whitespace is space and TAB, as in the specification.
 */
struct gemtext_line {
	enum gemtext_kind	 kind;
	const char		*text;
	size_t			 textlen;
	const char		*url;
	size_t			 urllen;
};

/*
 * Classifies line[0..len), given without its LF (a final CR is ignored).
 * in_pre tells whether the line is inside a preformatted block: there,
 * only a "```" line is not GT_PRE_TEXT.  A "=>" line without a URL is
 * GT_TEXT.
 */
void	gemtext_classify(const char *line, size_t len, int in_pre,
	    struct gemtext_line *out);

/*
 * Splits buf[0..len) into lines: from *pos, stores the next line (without
 * its LF or CRLF) in *line and *linelen, advances *pos past it and returns
 * 1; returns 0 at the end.  A last line without LF counts; a final LF does
 * not start another line, so "a\n" is one line and "" is none.
 */
int	gemtext_next_line(const char *buf, size_t len, size_t *pos,
	    const char **line, size_t *linelen);

/*
 * Walks a whole page: classifies each line, following preformatted blocks.
 * After the last line, in_pre set means a block was never closed.
 */
struct gemtext_iter {
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	int		 in_pre;	/* inside a preformatted block */
	unsigned long	 lineno;	/* of the line last returned, from 1 */
};

void	gemtext_iter_init(struct gemtext_iter *it, const char *buf,
	    size_t len);

/* Stores the next line in *out and returns 1, or returns 0 at the end. */
int	gemtext_iter_next(struct gemtext_iter *it, struct gemtext_line *out);

#endif
