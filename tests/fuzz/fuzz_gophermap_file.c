/*
 * libFuzzer target for hand-written gophermap files: no input may crash
 * the parser or the renderer, every line parsed is within the text, and
 * the menu rendered from it is well formed (three TABs and a numeric port
 * on every line, CRLF, ending in ".").  Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "bounds.h"
#include "gophermap.h"
#include "gophermap_file.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_menu(const char *m, size_t len)
{
	const char *line = m, *end, *nl, *p, *last_tab = NULL;
	size_t tabs;

	if (len < 3 || memcmp(m + len - 3, ".\r\n", 3) != 0)
		abort();
	end = m + len - 3;
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL || nl == line || nl[-1] != '\r')
			abort();
		for (tabs = 0, p = line; p < nl - 1; p++) {
			if (*p == '\r')
				abort();
			if (*p == '\t') {
				tabs++;
				last_tab = p;
			}
		}
		if (tabs != 3 || last_tab + 1 == nl - 1)
			abort();
		for (p = last_tab + 1; p < nl - 1; p++)
			if (*p < '0' || *p > '9')
				abort();
		line = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct gophermap_opts o;
	struct gmf_iter it;
	struct gmf_line l;
	struct evbuffer *b;
	char *m;

	gmf_init(&it, s, size);
	while (gmf_next(&it, &l)) {
		if (l.text < s || l.text + l.textlen > s + size)
			abort();
		if (l.kind == GMF_BAD && l.why == NULL)
			abort();
		if (l.kind == GMF_ITEM && (l.sellen > REQUEST_MAX ||
		    l.port > 65535 || l.selector < l.text ||
		    l.selector + l.sellen > l.text + l.textlen))
			abort();
	}
	if ((b = evbuffer_new()) == NULL)
		abort();
	memset(&o, 0, sizeof(o));
	o.host = "example.org";
	o.port = 70;
	if (gophermap_file_render(b, s, size, "/dir/", &o, 1) == -1)
		abort();
	if ((m = (char *)evbuffer_pullup(b, -1)) == NULL)
		abort();
	check_menu(m, evbuffer_get_length(b));
	evbuffer_free(b);
	return 0;
}
