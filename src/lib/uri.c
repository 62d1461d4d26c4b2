/* URI references (RFC 3986): splitting, percent-coding, dot segments,
 * resolution against a base path.  Pure: no I/O, no allocation. */
#include <ctype.h>
#include <string.h>

#include "uri.h"

static struct uri_span
span(const char *p, size_t len)
{
	struct uri_span s = { p, len };

	return s;
}

static int
is_scheme_char(unsigned char c)
{
	return isalnum(c) || c == '+' || c == '-' || c == '.';
}

static int
split_authority(struct uri_ref *u)
{
	const char *a = u->authority.ptr, *end = a + u->authority.len;
	const char *p, *at = NULL, *hostend;

	for (p = a; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		u->userinfo = span(a, (size_t)(at - a));
		a = at + 1;
	}
	if (a < end && *a == '[') {
		for (p = a + 1; p < end && *p != ']'; p++)
			;
		if (p == end)
			return -1;
		u->host = span(a + 1, (size_t)(p - a - 1));
		u->host_is_ip_literal = 1;
		hostend = p + 1;
		if (hostend < end && *hostend != ':')
			return -1;
	} else {
		for (p = a; p < end && *p != ':'; p++)
			;
		u->host = span(a, (size_t)(p - a));
		hostend = p;
	}
	if (hostend < end) {		/* ':' port */
		u->port = span(hostend + 1, (size_t)(end - hostend - 1));
		for (p = u->port.ptr; p < end; p++)
			if (!isdigit((unsigned char)*p))
				return -1;
	}
	return 0;
}

int
uri_split(const char *s, size_t len, struct uri_ref *u)
{
	const char *p = s, *end = s + len, *q;

	memset(u, 0, sizeof(*u));

	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (p < end && isalpha((unsigned char)*p)) {
		for (q = p + 1; q < end && is_scheme_char((unsigned char)*q);
		    q++)
			;
		if (q < end && *q == ':') {
			u->scheme = span(p, (size_t)(q - p));
			p = q + 1;
		}
	}
	if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
		p += 2;
		for (q = p; q < end && *q != '/' && *q != '?' && *q != '#';
		    q++)
			;
		u->authority = span(p, (size_t)(q - p));
		p = q;
		if (split_authority(u) == -1)
			return -1;
	}
	for (q = p; q < end && *q != '?' && *q != '#'; q++)
		;
	u->path = span(p, (size_t)(q - p));
	p = q;
	if (p < end && *p == '?') {
		for (q = ++p; q < end && *q != '#'; q++)
			;
		u->query = span(p, (size_t)(q - p));
		p = q;
	}
	if (p < end && *p == '#') {
		p++;
		u->fragment = span(p, (size_t)(end - p));
	}
	return 0;
}

unsigned
uri_port(const struct uri_ref *u, unsigned dflt)
{
	unsigned long v = 0;
	size_t i;

	if (u->port.ptr == NULL || u->port.len == 0)
		return dflt;
	for (i = 0; i < u->port.len; i++) {
		v = v * 10 + (unsigned)(u->port.ptr[i] - '0');
		if (v > 65535)
			return 0;
	}
	return (unsigned)v;
}

int
uri_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum uri_decode_result
uri_percent_decode(const char *in, size_t len, char *out, size_t outsz,
    size_t *outlen)
{
	size_t i, n = 0;
	int hi, lo;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == '%') {
			if (len - i < 3 ||
			    (hi = uri_hexval((unsigned char)in[i + 1])) == -1 ||
			    (lo = uri_hexval((unsigned char)in[i + 2])) == -1)
				return URI_DECODE_MALFORMED;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return URI_DECODE_NUL;
		if (n + 1 >= outsz)
			return URI_DECODE_TOO_LONG;
		out[n++] = c;
	}
	if (outsz == 0)
		return URI_DECODE_TOO_LONG;
	out[n] = '\0';
	*outlen = n;
	return URI_DECODE_OK;
}

/* Characters a path keeps as they are: unreserved, sub-delims, ':' '@' '/'. */
static int
path_keeps(unsigned char c)
{
	return isalnum(c) || strchr("-._~!$&'()*+,;=:@/", c) != NULL;
}

int
uri_percent_encode_path(const char *in, size_t len, char *out, size_t outsz,
    int keep_utf8)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if ((c != '\0' && path_keeps(c)) || (keep_utf8 && c >= 0x80)) {
			if (n + 1 >= outsz)
				return -1;
			out[n++] = (char)c;
		} else {
			if (n + 3 >= outsz)
				return -1;
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (outsz == 0)
		return -1;
	out[n] = '\0';
	return (int)n;
}

/* Drops the last segment of out[0..*n) and the '/' before it. */
static void
drop_last_segment(char *out, size_t *n)
{
	while (*n > 0 && out[*n - 1] != '/')
		(*n)--;
	if (*n > 0)
		(*n)--;
}

size_t
uri_remove_dot_segments(char *path, size_t len)
{
	size_t r = 0, w = 0, seglen;
	const char *seg;

	/*
	 * RFC 3986 5.2.4 working on the input buffer: the output never grows
	 * past the read position, so one buffer serves both.
	 */
	while (r < len) {
		seg = path + r;
		if (len - r >= 3 && memcmp(seg, "../", 3) == 0) {
			r += 3;
		} else if (len - r >= 2 && memcmp(seg, "./", 2) == 0) {
			r += 2;
		} else if (len - r >= 3 && memcmp(seg, "/./", 3) == 0) {
			r += 2;
		} else if (len - r == 2 && memcmp(seg, "/.", 2) == 0) {
			len = r + 1;		/* "/." at the end -> "/" */
		} else if (len - r >= 4 && memcmp(seg, "/../", 4) == 0) {
			r += 3;
			drop_last_segment(path, &w);
		} else if (len - r == 3 && memcmp(seg, "/..", 3) == 0) {
			len = r + 1;		/* "/.." at the end -> "/" */
			drop_last_segment(path, &w);
		} else if ((len - r == 1 && seg[0] == '.') ||
		    (len - r == 2 && memcmp(seg, "..", 2) == 0)) {
			r = len;
		} else {
			/* Move the first segment, with its leading '/'. */
			seglen = seg[0] == '/' ? 1 : 0;
			while (r + seglen < len && path[r + seglen] != '/')
				seglen++;
			memmove(path + w, seg, seglen);
			w += seglen;
			r += seglen;
		}
	}
	path[w] = '\0';
	return w;
}

int
uri_resolve_path(const char *base, size_t baselen, const char *ref,
    size_t reflen, char *out, size_t outsz)
{
	size_t n = 0, dirlen;

	if (reflen > 0 && ref[0] == '/') {
		if (reflen >= outsz)
			return -1;
		memcpy(out, ref, reflen);
		n = reflen;
	} else {
		/* Merge: the base up to its last '/', then the reference. */
		dirlen = baselen;
		while (dirlen > 0 && base[dirlen - 1] != '/')
			dirlen--;
		if (reflen == 0)
			dirlen = baselen;
		if (dirlen == 0) {
			if (outsz < 2)
				return -1;
			out[n++] = '/';
		}
		if (n + dirlen + reflen >= outsz)
			return -1;
		memcpy(out + n, base, dirlen);
		n += dirlen;
		memcpy(out + n, ref, reflen);
		n += reflen;
	}
	out[n] = '\0';
	if (out[0] != '/')
		return -1;
	return (int)uri_remove_dot_segments(out, n);
}
