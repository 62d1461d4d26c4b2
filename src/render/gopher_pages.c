/* Virtual Gopher documents: the URL: redirect page and caps.txt (pure). */
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "gopher_pages.h"
#include "bounds.h"
#include "utf8.h"

/* Schemes a browser can be sent to; never javascript:, data: or file:. */
static const char *const allowed_schemes[] = {
	"http", "https", "gemini", "gopher", "mailto", "ftp", "irc",
};

int
gopher_url_allowed(const char *url, size_t len)
{
	const char *colon;
	size_t i, slen;
	unsigned char c;

	if (len == 0 || len > REQUEST_MAX - 4)
		return 0;
	if ((colon = memchr(url, ':', len)) == NULL || colon + 1 == url + len)
		return 0;
	slen = (size_t)(colon - url);
	for (i = 0; i < sizeof(allowed_schemes) / sizeof(allowed_schemes[0]);
	    i++)
		if (strlen(allowed_schemes[i]) == slen &&
		    strncasecmp(allowed_schemes[i], url, slen) == 0)
			break;
	if (i == sizeof(allowed_schemes) / sizeof(allowed_schemes[0]))
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)url[i];
		if (c <= 0x20 || c == 0x7f)
			return 0;
		/* C1 controls, U+0080 to U+009F, are 0xc2 0x80..0x9f. */
		if (c == 0xc2 && i + 1 < len &&
		    (unsigned char)url[i + 1] < 0xa0)
			return 0;
	}
	return utf8_valid(url, len);
}

/* Adds s[0..len) with & < > " ' as character references. */
static int
add_escaped(struct evbuffer *out, const char *s, size_t len)
{
	size_t i, start = 0;
	const char *ref;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			ref = "&amp;";
			break;
		case '<':
			ref = "&lt;";
			break;
		case '>':
			ref = "&gt;";
			break;
		case '"':
			ref = "&quot;";
			break;
		case '\'':
			ref = "&#39;";
			break;
		default:
			continue;
		}
		if (evbuffer_add(out, s + start, i - start) == -1 ||
		    evbuffer_add(out, ref, strlen(ref)) == -1)
			return -1;
		start = i + 1;
	}
	return evbuffer_add(out, s + start, len - start);
}

int
gopher_url_page(struct evbuffer *out, const char *url, size_t len)
{
	static const char *const parts[] = {
		"<!DOCTYPE html>\n"
		"<html>\n"
		"<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"refresh\" content=\"0;url=",
		"\">\n"
		"<title>Redirect</title>\n"
		"</head>\n"
		"<body>\n"
		"<p>This link leaves Gopher. If your browser does not go on"
		" by itself, follow it: <a href=\"",
		"\">",
		"</a></p>\n"
		"</body>\n"
		"</html>\n",
	};
	size_t i;

	if (!gopher_url_allowed(url, len))
		return GOPHER_PAGE_REFUSED;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (evbuffer_add(out, parts[i], strlen(parts[i])) == -1)
			return GOPHER_PAGE_NOMEM;
		if (i + 1 < sizeof(parts) / sizeof(parts[0]) &&
		    add_escaped(out, url, len) == -1)
			return GOPHER_PAGE_NOMEM;
	}
	return 0;
}

int
gopher_caps(struct evbuffer *out, const char *version)
{
	static const char head[] =
	    "CAPS\n"
	    "CapsVersion=1\n"
	    "ExpireCapsAfter=3600\n"
	    "PathDelimeter=/\n"
	    "PathIdentity=.\n"
	    "PathParent=..\n"
	    "PathParentDouble=FALSE\n"
	    "PathKeepPreDelimeter=FALSE\n"
	    "ServerSoftware=attache\n"
	    "ServerSoftwareVersion=";
	static const char tail[] = "\nServerDefaultEncoding=UTF-8\n";
	size_t i;

	if (evbuffer_add(out, head, sizeof(head) - 1) == -1)
		return -1;
	/* One value on one line, whatever the build put in the string. */
	for (i = 0; version != NULL && version[i] != '\0'; i++)
		if (evbuffer_add(out, (unsigned char)version[i] < 0x20 ?
		    " " : &version[i], 1) == -1)
			return -1;
	if (evbuffer_add(out, tail, sizeof(tail) - 1) == -1)
		return -1;
	return 0;
}
