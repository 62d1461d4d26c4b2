/* UTF-8 decoding, validation, and text made one line (pure). */
#include <string.h>

#include "utf8.h"

size_t
utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	size_t n, i;

	if (len == 0)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		n = 2; c = u[0] & 0x1f; min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		n = 3; c = u[0] & 0x0f; min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		n = 4; c = u[0] & 0x07; min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past Unicode. */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

int
utf8_valid(const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	while (len > 0) {
		if ((unsigned char)*s < 0x80) {
			s++;
			len--;
			continue;
		}
		if ((n = utf8_decode(s, len, &cp)) == 0)
			return 0;
		s += n;
		len -= n;
	}
	return 1;
}

size_t
utf8_error_at(const char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return i;
		i += n;
	}
	return len;
}

size_t
utf8_one_line(const char *s, size_t len, char *out, size_t *o, size_t max)
{
	size_t i = 0, n, start = *o;
	uint32_t cp;
	int space = 0;

	while (i < len) {
		/* Printable ASCII, most of any text: as it is. */
		if ((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f) {
			if (*o + (space ? 1 : 0) + 1 > max)
				break;
			if (space)
				out[(*o)++] = ' ';
			space = 0;
			out[(*o)++] = s[i++];
			continue;
		}
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			n = 1;			/* a byte of bad UTF-8 */
			cp = '?';
		}
		if (cp <= 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			space = *o > start;
			i += n;
			continue;
		}
		if (*o + (space ? 1 : 0) + (cp == '?' ? 1 : n) > max)
			break;
		if (space)
			out[(*o)++] = ' ';
		space = 0;
		if (cp == '?')
			out[(*o)++] = '?';
		else {
			memcpy(out + *o, s + i, n);
			*o += n;
		}
		i += n;
	}
	return *o - start;
}
