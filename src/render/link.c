/* Where a gemtext link leads, seen from a page of the capsule (pure). */
#include <string.h>
#include <strings.h>

#include "gemini_request.h"
#include "link.h"


int
link_breaks_line(const char *s, size_t len)
{
	return memchr(s, '\t', len) != NULL || memchr(s, '\r', len) != NULL ||
	    memchr(s, '\n', len) != NULL;
}

/* The decoded, resolved path of a local reference, or -1. */
static int
local_path(const char *base, const char *ref, size_t reflen, char *out,
    size_t outsz)
{
	char dec[REQUEST_MAX + 1];
	size_t declen;

	switch (uri_percent_decode(ref, reflen, dec, sizeof(dec), &declen)) {
	case URI_DECODE_OK:
		break;
	case URI_DECODE_MALFORMED:
		/* "100%.gmi": a name with a '%' in it, as the author wrote. */
		if (reflen >= sizeof(dec))
			return -1;
		memcpy(dec, ref, reflen);
		declen = reflen;
		break;
	default:
		return -1;
	}
	if (link_breaks_line(dec, declen))
		return -1;
	return uri_resolve_path(base, strlen(base), dec, declen, out, outsz);
}

static int
is_local_gemini(const struct uri_ref *u, const struct gemini_target *site)
{
	if (site == NULL || site->hostname == NULL || u->host.ptr == NULL ||
	    u->userinfo.ptr != NULL)
		return 0;
	return gemini_host_matches(u->host.ptr, u->host.len, site) &&
	    uri_port(u, GEMINI_DEFAULT_PORT) ==
	    (site->port != 0 ? site->port : GEMINI_DEFAULT_PORT);
}

void
link_classify(const char *url, size_t len, const char *base,
    const struct gemini_target *site, struct link_target *t)
{
	struct uri_ref *u = &t->u;
	size_t i;
	int n;

	t->kind = LINK_BAD;
	t->prefix = "";
	t->path[0] = '\0';
	t->pathlen = 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f)
			return;
	if (uri_split(url, len, u) == -1)
		return;

	if (u->scheme.ptr == NULL && u->authority.ptr == NULL)
		n = local_path(base, u->path.ptr, u->path.len, t->path,
		    sizeof(t->path));
	else if (u->scheme.ptr == NULL || (u->scheme.len == 6 &&
	    strncasecmp(u->scheme.ptr, "gemini", 6) == 0)) {
		if (!is_local_gemini(u, site)) {
			/* "//host/x" keeps the page's scheme: gemini. */
			t->prefix = u->scheme.ptr == NULL ? "gemini:" : "";
			t->kind = LINK_REMOTE;
			return;
		}
		n = local_path("/", u->path.ptr, u->path.len, t->path,
		    sizeof(t->path));
	} else {
		t->kind = u->scheme.len == 6 &&
		    strncasecmp(u->scheme.ptr, "gopher", 6) == 0 ?
		    LINK_GOPHER : LINK_REMOTE;
		return;
	}
	if (n < 0)
		return;
	t->pathlen = (size_t)n;
	t->kind = LINK_LOCAL;
}
