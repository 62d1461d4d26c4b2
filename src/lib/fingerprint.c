/* Client certificate fingerprints and their list files (pure). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fingerprint.h"
#include "uri.h"

int
fingerprint_parse(const char *s, size_t len, unsigned char out[FINGERPRINT_LEN])
{
	size_t i = 0, n = 0;
	int hi, lo, colons = -1;

	if (len >= 7 && strncasecmp(s, "sha256:", 7) == 0)
		i = 7;
	while (n < FINGERPRINT_LEN) {
		if (n > 0 && i < len && s[i] == ':') {
			/* Colons between every pair or none at all. */
			if (colons == 0)
				return -1;
			colons = 1;
			i++;
		} else if (n > 0) {
			if (colons == 1)
				return -1;
			colons = 0;
		}
		if (i + 2 > len || (hi = uri_hexval(s[i])) == -1 ||
		    (lo = uri_hexval(s[i + 1])) == -1)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return i == len ? 0 : -1;
}

void
fingerprint_hex(const unsigned char fp[FINGERPRINT_LEN],
    char out[FINGERPRINT_HEX_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < FINGERPRINT_LEN; i++) {
		out[2 * i] = hex[fp[i] >> 4];
		out[2 * i + 1] = hex[fp[i] & 15];
	}
	out[2 * FINGERPRINT_LEN] = '\0';
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
fingerprint_list_parse(const char *text, size_t len,
    const struct fingerprint_sink *sink)
{
	unsigned char fp[FINGERPRINT_LEN];
	const char *line, *nl;
	size_t pos = 0, n, word;
	unsigned lineno = 0;
	int bad = 0;

	while (pos < len) {
		line = text + pos;
		nl = memchr(line, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		lineno++;
		while (n > 0 && is_blank(*line)) {
			line++;
			n--;
		}
		if (n == 0 || line[0] == '#')
			continue;
		for (word = 0; word < n && !is_blank(line[word]); word++)
			;
		if (memchr(line, '\0', n) != NULL) {
			sink->bad(sink->arg, lineno, "NUL byte");
			bad++;
		} else if (fingerprint_parse(line, word, fp) == -1) {
			sink->bad(sink->arg, lineno, "not a SHA-256 "
			    "fingerprint (sha256: and 64 hex digits)");
			bad++;
		} else if (sink->add(sink->arg, fp) == -1)
			return -1;
	}
	return bad;
}
