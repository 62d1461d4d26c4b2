/*
 * libFuzzer target for the pure Gopher code: the gemtext-to-menu renderer
 * (checking that every menu line keeps its three TABs, numeric port and
 * CRLF, and that info rows fit the width), request parsing and the URL:
 * page.  Built and run by `make fuzz` (FUZZ_SECONDS=N to run longer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gopher_pages.h"
#include "gopher_request.h"
#include "gophermap.h"
#include "width.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless m[0..len) is a well-formed menu. */
static void
check_menu(const char *m, size_t len, size_t width, int has_pre)
{
	const char *line = m, *end, *nl, *p, *tab[3];
	size_t tabs;

	if (len < 3 || memcmp(m + len - 3, ".\r\n", 3) != 0)
		abort();
	end = m + len - 3;
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL || nl == line || nl[-1] != '\r')
			abort();
		tabs = 0;
		for (p = line; p < nl - 1; p++) {
			if (*p == '\r' || (*p == '\t' && tabs == 3))
				abort();
			if (*p == '\t')
				tab[tabs++] = p;
		}
		if (tabs != 3 || tab[0] == line || tab[2] + 1 == nl - 1)
			abort();
		for (p = tab[2] + 1; p < nl - 1; p++)
			if (*p < '0' || *p > '9')
				abort();
		if (!has_pre && line[0] == 'i' &&
		    width_of(line + 1, (size_t)(tab[0] - line - 1)) > width)
			abort();
		line = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct gophermap_opts o = {
		.host = "example.org",
		.port = 70,
		.page_path = "/dir/page.gmi",
		.gemini_host = "example.org",
		.gemini_port = 1965,
	};
	struct gopher_request r;
	struct evbuffer *b;
	size_t len;
	char *m;

	if ((b = evbuffer_new()) == NULL)
		abort();
	o.width = size > 0 ? data[0] % 80 : 0;
	if (gophermap_render(b, s, size, &o) == -1)
		abort();
	len = evbuffer_get_length(b);
	if ((m = (char *)evbuffer_pullup(b, -1)) == NULL)
		abort();
	check_menu(m, len, o.width < GOPHERMAP_WIDTH_MIN ?
	    (o.width == 0 ? GOPHERMAP_WIDTH : GOPHERMAP_WIDTH_MIN) : o.width,
	    memchr(s, '`', size) != NULL || memmem(s, size, "gopher:", 7) != NULL);
	evbuffer_drain(b, len);

	if (gopher_request_parse(s, size, &r) == 0) {
		if (r.sellen == 0 || (r.has_search && r.search == NULL))
			abort();
		if (r.target == GOPHER_TARGET_URL &&
		    gopher_url_page(b, r.url, r.urllen) == GOPHER_PAGE_NOMEM)
			abort();
	}
	evbuffer_free(b);
	return 0;
}
