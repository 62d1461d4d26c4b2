/*
 * libFuzzer target for Gemini request validation and the URI module: no
 * input may crash them, and an accepted request's path must be one the
 * capsule can resolve safely (absolute, no NUL, no dot segments).  Built and
 * run by `make fuzz` (FUZZ_SECONDS=N to run longer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemini_request.h"
#include "link.h"
#include "uri.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_path(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || p[0] != '/' || strlen(p) != len)
		abort();
	for (i = 0; i < len; i++) {
		if (p[i] != '/')
			continue;
		if ((i + 2 == len && p[i + 1] == '.') ||
		    (i + 2 < len && p[i + 1] == '.' && p[i + 2] == '/') ||
		    (i + 3 == len && p[i + 1] == '.' && p[i + 2] == '.') ||
		    (i + 3 < len && p[i + 1] == '.' && p[i + 2] == '.' &&
		    p[i + 3] == '/'))
			abort();	/* a dot segment survived */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const aliases[] = { "www.example.org" };
	static const struct gemini_target t = { .hostname = "example.org",
	    .port = 1965, .local_addr = "127.0.0.1", .aliases = aliases,
	    .naliases = 1 };
	struct gemini_request req;
	struct link_target lt;
	char buf[2048];
	size_t n;
	int status;

	status = gemini_request_parse((const char *)data, size, &t, &req);
	if (status == 20)
		check_path(req.path, req.pathlen);
	else if (status != 53 && status != 59)
		abort();

	link_classify((const char *)data, size, "/dir/page.gmi", &t, &lt);
	if (lt.kind == LINK_LOCAL) {
		check_path(lt.path, lt.pathlen);
		if (link_breaks_line(lt.path, lt.pathlen))
			abort();
	}

	if (size < sizeof(buf)) {
		memcpy(buf, data, size);
		buf[size] = '\0';
		n = uri_remove_dot_segments(buf, size);
		if (n > size)
			abort();
		if (size > 0 && buf[0] == '/' && memchr(buf, '\0', size) == NULL)
			check_path(buf, n);
	}
	return 0;
}
