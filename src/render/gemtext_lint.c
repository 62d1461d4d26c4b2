/* What a reader of a gemtext page would trip on (pure). */
#include <stdio.h>
#include <string.h>

#include "gemtext_lint.h"
#include "gophermap.h"

unsigned long
gemtext_line_at(const char *buf, size_t off)
{
	unsigned long line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

void
gemtext_lint(const char *buf, size_t len, unsigned width,
    const struct gemtext_lint_sink *sink)
{
	struct gemtext_iter it;
	struct gemtext_line l;
	unsigned long pre_start = 0;
	const char *cr;
	char msg[128];
	size_t cols;
	int has_h1 = 0;

	/* A CR not followed by LF: classic Mac line ends, one long line. */
	for (cr = memchr(buf, '\r', len); cr != NULL;
	    cr = memchr(cr + 1, '\r', len - (size_t)(cr + 1 - buf))) {
		if ((size_t)(cr + 1 - buf) == len || cr[1] != '\n') {
			sink->report(sink->arg, 1, gemtext_line_at(buf,
			    (size_t)(cr - buf)), "CR-only line ends: use LF or "
			    "CRLF");
			break;
		}
	}
	gemtext_iter_init(&it, buf, len);
	while (gemtext_iter_next(&it, &l)) {
		switch (l.kind) {
		case GT_H1:
			has_h1 = 1;
			break;
		case GT_PRE_TOGGLE:
			pre_start = it.in_pre ? it.lineno : 0;
			break;
		case GT_PRE_TEXT:
			cols = gophermap_pre_columns(l.text, l.textlen);
			if (cols <= width)
				break;
			snprintf(msg, sizeof(msg), "preformatted line of %zu "
			    "columns, wider than %u: Gopher clients will cut "
			    "it", cols, width);
			sink->report(sink->arg, 0, it.lineno, msg);
			break;
		case GT_LINK:
			if (sink->link != NULL)
				sink->link(sink->arg, it.lineno, &l);
			break;
		default:
			break;
		}
	}
	if (it.in_pre)
		sink->report(sink->arg, 1, pre_start,
		    "preformatted block never closed");
	if (!has_h1)
		sink->report(sink->arg, 0, 1, "no level-1 heading (# ...)");
}
