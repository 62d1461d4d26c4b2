/* Gemtext (Gemini specification 0.24) line classification (pure). */
#include <string.h>

#include "gemtext.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Span helpers: skip leading, drop trailing whitespace. */
static size_t
skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && is_ws(s[i]))
		i++;
	return i;
}

static size_t
trim_end(const char *s, size_t start, size_t end)
{
	while (end > start && is_ws(s[end - 1]))
		end--;
	return end;
}

static void
set_text(struct gemtext_line *out, const char *line, size_t start,
    size_t end)
{
	out->text = line + start;
	out->textlen = end - start;
}

static void
classify_link(const char *line, size_t len, struct gemtext_line *out)
{
	size_t u, ue, l, le;

	u = skip_ws(line, len, 2);
	for (ue = u; ue < len && !is_ws(line[ue]); ue++)
		;
	if (ue == u) {
		/* "=>" alone: nothing to follow, so it reads as text. */
		out->kind = GT_TEXT;
		set_text(out, line, 0, len);
		return;
	}
	out->kind = GT_LINK;
	out->url = line + u;
	out->urllen = ue - u;
	l = skip_ws(line, len, ue);
	le = trim_end(line, l, len);
	if (le > l)
		set_text(out, line, l, le);
}

void
gemtext_classify(const char *line, size_t len, int in_pre,
    struct gemtext_line *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	if (len > 0 && line[len - 1] == '\r')
		len--;

	if (len >= 3 && memcmp(line, "```", 3) == 0) {
		size_t s = skip_ws(line, len, 3), e = trim_end(line, s, len);

		out->kind = GT_PRE_TOGGLE;
		if (e > s)
			set_text(out, line, s, e);
		return;
	}
	if (in_pre) {
		out->kind = GT_PRE_TEXT;
		set_text(out, line, 0, len);
		return;
	}
	if (len >= 2 && line[0] == '=' && line[1] == '>') {
		classify_link(line, len, out);
		return;
	}
	if (len >= 1 && line[0] == '#') {
		for (n = 1; n < 3 && n < len && line[n] == '#'; n++)
			;
		out->kind = n == 1 ? GT_H1 : n == 2 ? GT_H2 : GT_H3;
		set_text(out, line, skip_ws(line, len, n), len);
		return;
	}
	if (len >= 2 && line[0] == '*' && line[1] == ' ') {
		out->kind = GT_LIST;
		set_text(out, line, skip_ws(line, len, 2), len);
		return;
	}
	if (len >= 1 && line[0] == '>') {
		out->kind = GT_QUOTE;
		set_text(out, line, skip_ws(line, len, 1), len);
		return;
	}
	out->kind = GT_TEXT;
	set_text(out, line, 0, len);
}

int
gemtext_next_line(const char *buf, size_t len, size_t *pos,
    const char **line, size_t *linelen)
{
	const char *p, *nl;
	size_t n;

	if (*pos >= len)
		return 0;
	p = buf + *pos;
	nl = memchr(p, '\n', len - *pos);
	n = nl != NULL ? (size_t)(nl - p) : len - *pos;
	*pos += nl != NULL ? n + 1 : n;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	*line = p;
	*linelen = n;
	return 1;
}

void
gemtext_iter_init(struct gemtext_iter *it, const char *buf, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->buf = buf;
	it->len = len;
}

int
gemtext_iter_next(struct gemtext_iter *it, struct gemtext_line *out)
{
	const char *line;
	size_t linelen;

	if (!gemtext_next_line(it->buf, it->len, &it->pos, &line, &linelen))
		return 0;
	it->lineno++;
	gemtext_classify(line, linelen, it->in_pre, out);
	if (out->kind == GT_PRE_TOGGLE)
		it->in_pre = !it->in_pre;
	return 1;
}
