/*
 * libFuzzer target for a program's response header (cgi_header.c): no
 * input may crash it; an accepted header has a status of 10 to 69, a meta
 * inside the input of at most 1024 bytes without control bytes, and a
 * line that ends in CRLF within the input; a prefix of an accepted header
 * never fails.  Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgi_header.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgi_header h, p;
	char *buf;
	size_t i;

	/* A copy of exactly size bytes: reads past it are caught. */
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	switch (cgi_header_parse(buf, size, &h)) {
	case CGI_HEADER_OK:
		if (h.status < 10 || h.status > 69 || h.len > size ||
		    h.len < 4 || h.metalen > CGI_META_MAX ||
		    memcmp(buf + h.len - 2, "\r\n", 2) != 0 ||
		    h.meta < buf || h.meta + h.metalen > buf + h.len)
			abort();
		for (i = 0; i < h.metalen; i++)
			if ((unsigned char)h.meta[i] < 0x20 ||
			    (unsigned char)h.meta[i] == 0x7f)
				abort();
		for (i = 0; i < h.len; i++)
			if (cgi_header_parse(buf, i, &p) != CGI_HEADER_MORE)
				abort();
		break;
	case CGI_HEADER_BAD:
		if (h.why == NULL)
			abort();
		break;
	case CGI_HEADER_MORE:
		if (size >= CGI_HEADER_MAX || memchr(buf, '\n', size) != NULL)
			abort();
		break;
	}
	free(buf);
	return 0;
}
