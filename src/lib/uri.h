/* URI references (RFC 3986): splitting, percent-coding, dot segments,
 * resolution against a base path.  Pure: no I/O, no allocation. */
#ifndef ATTACHE_URI_H
#define ATTACHE_URI_H

#include <stddef.h>

/* A span of the input; ptr is NULL when the component is absent. */
struct uri_span {
	const char	*ptr;
	size_t		 len;
};

/*
 * The components of a URI reference, as spans into the caller's bytes.
 * A component that is absent has ptr == NULL; one that is present but
 * empty ("gemini://h:/", "?") has ptr != NULL and len == 0.
 */
struct uri_ref {
	struct uri_span	scheme;		/* without ':' */
	struct uri_span	authority;	/* without "//" */
	struct uri_span	userinfo;	/* without '@' */
	struct uri_span	host;		/* IPv6 literals without brackets */
	int		host_is_ip_literal;	/* was in brackets */
	struct uri_span	port;		/* digits, without ':' */
	struct uri_span	path;		/* always present, maybe empty */
	struct uri_span	query;		/* without '?' */
	struct uri_span	fragment;	/* without '#' */
};

/*
 * Splits s[0..len) into components (RFC 3986 appendix B, plus authority
 * parsing).  Returns 0, or -1 when the authority is malformed (unclosed
 * IPv6 bracket, non-digit port).  Does not check characters otherwise.
 */
int	uri_split(const char *s, size_t len, struct uri_ref *out);

/*
 * The port of u as a number: dflt when u has none (or an empty one), 0 when
 * it is out of range.  uri_split has checked that it is all digits.
 */
unsigned uri_port(const struct uri_ref *u, unsigned dflt);

/* The value of a hex digit (either case), or -1. */
int	uri_hexval(int c);

/* Results of uri_percent_decode. */
enum uri_decode_result {
	URI_DECODE_OK = 0,
	URI_DECODE_MALFORMED = -1,	/* '%' not followed by two hex digits */
	URI_DECODE_NUL = -2,		/* decodes to a NUL byte */
	URI_DECODE_TOO_LONG = -3	/* does not fit in out */
};

/*
 * Decodes %XX escapes of in[0..len) into out (outsz bytes, NUL-terminated
 * on success; *outlen gets the length without the NUL).  Decodes exactly
 * once: "%252e" becomes "%2e".
 */
enum uri_decode_result uri_percent_decode(const char *in, size_t len,
	    char *out, size_t outsz, size_t *outlen);

/*
 * Percent-encodes a decoded path for use in a URI: keeps unreserved
 * characters, sub-delims, ':', '@' and '/', and bytes >= 0x80 when keep_utf8
 * is set (gemtext links may carry IRIs); encodes the rest.  Returns the
 * length written (NUL-terminated), or -1 when out is too small.
 */
int	uri_percent_encode_path(const char *in, size_t len, char *out,
	    size_t outsz, int keep_utf8);

/*
 * Removes "." and ".." segments from a path in place (RFC 3986 5.2.4),
 * never climbing above the root: "/a/../../b" becomes "/b".  path needs
 * room for len + 1 bytes: it is NUL-terminated on return.  Returns the new
 * length.  An absolute path stays absolute ("/.." becomes "/").
 */
size_t	uri_remove_dot_segments(char *path, size_t len);

/*
 * Resolves a reference path against an absolute base path (RFC 3986
 * 5.2.2-5.2.4, path part only): an absolute ref replaces the base, an empty
 * ref keeps it, a relative ref is merged with the base's directory.  Dot
 * segments are removed.  Writes a NUL-terminated absolute path to out and
 * returns its length, or -1 when out is too small.
 */
int	uri_resolve_path(const char *base, size_t baselen, const char *ref,
	    size_t reflen, char *out, size_t outsz);

#endif
