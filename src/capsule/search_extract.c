/* The one-line extract shown under a search result (pure). */
#include <string.h>

#include "gemtext.h"
#include "search_rank.h"
#include "utf8.h"
#include "words.h"

#define EXTRACT_BEFORE	40	/* bytes kept before the first match */

/* A line of the text as it shows, and what it holds of the query. */
struct line {
	const char	*s;
	size_t		 len;
	int		 heading;
	unsigned	 found;		/* query words in it */
	size_t		 first;		/* where the first one starts */
};

static int
term_matches(const struct query_term *t, const struct word *w)
{
	if (t->prefix)
		return w->len >= t->len && memcmp(w->text, t->word, t->len) == 0;
	return w->len == t->len && memcmp(w->text, t->word, t->len) == 0;
}

static void
look(struct line *l, const struct query *q)
{
	struct words_iter it;
	struct word w;
	uint32_t seen = 0;
	size_t i;

	l->found = 0;
	words_init(&it, l->s, l->len);
	while (words_next(&it, &w))
		for (i = 0; i < q->nterms; i++) {
			if (!term_matches(&q->terms[i], &w))
				continue;
			if (seen == 0)
				l->first = w.start;
			if (!(seen & (1u << i)))
				l->found++;
			seen |= 1u << i;
		}
}

/* Is l better than best: more words, then not a heading, then first. */
static int
better(const struct line *l, const struct line *best)
{
	if (best->s == NULL)
		return 1;
	if (l->found != best->found)
		return l->found > best->found;
	return !l->heading && best->heading;
}

/* The line to show, or best.s NULL when the text shows nothing. */
static void
pick(const char *text, size_t len, int gemtext, int pre, const struct query *q,
    struct line *best)
{
	struct gemtext_iter it;
	struct gemtext_line gl;
	struct line l;
	size_t pos = 0;
	int more;

	memset(best, 0, sizeof(*best));
	gemtext_iter_init(&it, text, len);
	it.in_pre = pre;
	for (;;) {
		memset(&l, 0, sizeof(l));
		if (gemtext) {
			if ((more = gemtext_iter_next(&it, &gl)) != 0) {
				index_line_text(&gl, &l.s, &l.len);
				l.heading = gl.kind == GT_H1 ||
				    gl.kind == GT_H2 || gl.kind == GT_H3;
			}
		} else
			more = gemtext_next_line(text, len, &pos, &l.s, &l.len);
		if (!more)
			return;
		look(&l, q);
		/* A line without a word of the query shows only first. */
		if (l.found == 0 && (best->s != NULL || l.heading))
			continue;
		if (l.found == 0) {
			struct words_iter wi;
			struct word w;

			words_init(&wi, l.s, l.len);
			if (!words_next(&wi, &w))
				continue;
			l.first = 0;
		}
		if (better(&l, best))
			*best = l;
		/* Every word, not in a heading: nothing can do better. */
		if (best->found == q->nterms && !best->heading)
			return;
	}
}

/* Back to the start of a character. */
static size_t
char_start(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

size_t
search_extract(const char *text, size_t len, int gemtext,
    const struct query *q, char *out, size_t outsz)
{
	return search_extract_window(text, len, gemtext, 0, 0, q, out, outsz,
	    NULL);
}

size_t
search_extract_window(const char *text, size_t len, int gemtext, int pre,
    int midline, const struct query *q, char *out, size_t outsz,
    enum extract_shown *shown)
{
	static const char dots[] = "\xe2\x80\xa6";	/* … */
	struct line l;
	size_t start = 0, end, o = 0, sp;

	if (outsz < EXTRACT_MAX + 8)
		return 0;
	pick(text, len, gemtext, pre, q, &l);
	if (shown != NULL)
		*shown = l.s == NULL || l.heading || l.found == 0 ?
		    EXTRACT_WEAK : l.found == q->nterms ? EXTRACT_ALL :
		    EXTRACT_SOME;
	if (l.s == NULL) {
		out[0] = '\0';
		return 0;
	}
	/* From a word start a little before the first match. */
	if (l.first > EXTRACT_BEFORE) {
		start = char_start(l.s, l.first - EXTRACT_BEFORE);
		for (sp = start; sp < l.first && l.s[sp] != ' '; sp++)
			;
		if (sp < l.first)
			start = sp + 1;
	}
	end = l.len;
	if (end - start > EXTRACT_MAX) {
		end = char_start(l.s, start + EXTRACT_MAX);
		for (sp = end; sp > l.first && l.s[sp] != ' '; sp--)
			;
		if (sp > l.first)
			end = sp;
	}
	/* A window that starts inside a line has cut its start. */
	if (start > 0 || (midline && l.s == text)) {
		memcpy(out, dots, 3);
		o = 3;
	}
	utf8_one_line(l.s + start, end - start, out, &o, o + EXTRACT_MAX);
	if (end < l.len) {
		memcpy(out + o, dots, 3);
		o += 3;
	}
	out[o] = '\0';
	return o;
}
