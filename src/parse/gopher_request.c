/* Gopher request lines (RFC 1436, Gopher+ suffixes) and the Gopher+
 * kludge reply (pure). */
#include <string.h>


#include "gopher_request.h"

static const char root[] = "/";

/* MIME type characters (RFC 2045 token, as Gopher+ views use them). */
static int
is_mime_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$&^_.+-", c) != NULL;
}

/* "type/subtype" then optionally " language", e.g. "text/plain En_US". */
static int
is_view(const char *s, size_t len)
{
	size_t i = 0, slashes = 0;

	while (i < len && (is_mime_char(s[i]) || s[i] == '/')) {
		if (s[i] == '/')
			slashes++;
		i++;
	}
	if (slashes != 1 || s[0] == '/' || s[i - 1] == '/')
		return 0;
	if (i == len)
		return 1;
	if (s[i++] != ' ' || i == len)
		return 0;
	for (; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
			return 0;
	return 1;
}

/* "+ATTR" or "+ATTR+ATTR": attribute names. */
static int
is_attrs(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || s[0] != '+')
		return 0;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') || s[i] == '+'))
			return 0;
	return 1;
}

/* The Gopher+ kind of field f[0..len), or GOPHER_PLUS_NONE. */
static enum gopher_plus
plus_kind(const char *f, size_t len)
{
	if (len == 0)
		return GOPHER_PLUS_NONE;
	switch (f[0]) {
	case '+':
		return len == 1 || is_view(f + 1, len - 1) ?
		    GOPHER_PLUS_ITEM : GOPHER_PLUS_NONE;
	case '!':
		return len == 1 || is_attrs(f + 1, len - 1) ?
		    GOPHER_PLUS_ATTR : GOPHER_PLUS_NONE;
	case '$':
		return len == 1 || is_attrs(f + 1, len - 1) ?
		    GOPHER_PLUS_DIR : GOPHER_PLUS_NONE;
	}
	return GOPHER_PLUS_NONE;
}

/* Length of the field starting at s: up to a TAB or the end. */
static size_t
field_len(const char *s, size_t len)
{
	const char *tab = memchr(s, '\t', len);

	return tab != NULL ? (size_t)(tab - s) : len;
}

/* A Gopher+ field f: its kind and what follows it go into out. */
static int
take_plus(struct gopher_request *out, const char *f, size_t flen,
    const char *end)
{
	if ((out->plus = plus_kind(f, flen)) == GOPHER_PLUS_NONE)
		return 0;
	out->plus_data = f + 1;
	out->plus_datalen = (size_t)(end - f) - 1;
	return 1;
}

int
gopher_request_parse(const char *line, size_t len, struct gopher_request *out)
{
	const char *f2, *f3, *end = line + len;
	size_t sellen, f2len;

	memset(out, 0, sizeof(*out));
	if (len > REQUEST_MAX || memchr(line, '\0', len) != NULL)
		return -1;

	sellen = field_len(line, len);
	out->selector = line;
	out->sellen = sellen;
	if (sellen == 0 || (sellen == 1 && line[0] == '/')) {
		out->selector = root;
		out->sellen = 1;
		out->is_root = 1;
	} else if (sellen > 4 && memcmp(line, "URL:", 4) == 0) {
		out->target = GOPHER_TARGET_URL;
		out->url = line + 4;
		out->urllen = sellen - 4;
	} else if (sellen > 5 && memcmp(line, "/URL:", 5) == 0) {
		out->target = GOPHER_TARGET_URL;
		out->url = line + 5;
		out->urllen = sellen - 5;
	} else if ((sellen == 8 && memcmp(line, "caps.txt", 8) == 0) ||
	    (sellen == 9 && memcmp(line, "/caps.txt", 9) == 0))
		out->target = GOPHER_TARGET_CAPS;

	if (sellen == len)
		return 0;
	f2 = line + sellen + 1;
	f2len = field_len(f2, (size_t)(end - f2));
	if (take_plus(out, f2, f2len, end))
		return 0;
	out->has_search = 1;
	out->search = f2;
	out->searchlen = f2len;
	if (f2 + f2len == end)
		return 0;
	f3 = f2 + f2len + 1;
	(void)take_plus(out, f3, field_len(f3, (size_t)(end - f3)), end);
	return 0;
}
