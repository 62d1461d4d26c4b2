/* A program's response header line (pure). */
#include <string.h>

#include "cgi_header.h"

static enum cgi_header_result
bad(struct cgi_header *h, const char *why)
{
	h->why = why;
	return CGI_HEADER_BAD;
}

enum cgi_header_result
cgi_header_parse(const char *buf, size_t len, struct cgi_header *h)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t i, end;

	memset(h, 0, sizeof(*h));
	/* What is there so far must already be a header's beginning. */
	for (i = 0; i < len && i < 2; i++)
		if (b[i] < '0' || b[i] > '9')
			return bad(h, "the output does not start with a "
			    "two-digit status");
	if (len >= 1 && (b[0] < '1' || b[0] > '6'))
		return bad(h, "status out of 10-69");
	if (len >= 3 && b[2] != ' ' && b[2] != '\r')
		return bad(h, "no space after the status");
	/* The line's end: the first LF, which must follow a CR. */
	for (end = 0; end < len && end < CGI_HEADER_MAX; end++)
		if (b[end] == '\n')
			break;
	if (end == len || end == CGI_HEADER_MAX) {
		if (len >= CGI_HEADER_MAX)
			return bad(h, "header line longer than 1024 bytes of "
			    "meta");
		/* A control byte already there needs no more bytes to fail. */
		for (i = 3; i < len; i++)
			if ((b[i] < 0x20 || b[i] == 0x7f) &&
			    !(b[i] == '\r' && i == len - 1))
				return bad(h, "control character in the meta");
		return CGI_HEADER_MORE;
	}
	if (end < 3 || b[end - 1] != '\r')
		return bad(h, "header line does not end with CRLF");
	h->status = (b[0] - '0') * 10 + (b[1] - '0');
	if (end == 3) {
		/* "DD\r\n": no meta. */
		h->meta = buf + 2;
		h->metalen = 0;
	} else {
		if (b[2] != ' ')
			return bad(h, "no space after the status");
		h->meta = buf + 3;
		h->metalen = end - 1 - 3;
	}
	if (h->metalen > CGI_META_MAX)
		return bad(h, "header line longer than 1024 bytes of meta");
	for (i = 0; i < h->metalen; i++)
		if ((unsigned char)h->meta[i] < 0x20 ||
		    (unsigned char)h->meta[i] == 0x7f)
			return bad(h, "control character in the meta");
	h->len = end + 1;
	return CGI_HEADER_OK;
}
