/*
 * libFuzzer target for Titan request lines and fingerprint lists: no input
 * may crash them; an accepted request's path is one an upload can write
 * (absolute, no NUL, no dot or empty segment but a final '/'), its size is
 * not negative, and a listed fingerprint prints back as 64 hex digits.
 * Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "titan_request.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_path(const char *p, size_t len)
{
	size_t i, start = 1;

	if (len == 0 || p[0] != '/' || strlen(p) != len)
		abort();
	for (i = 1; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if ((i == start && i < len) ||
		    (i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			abort();
		start = i + 1;
	}
}

static int
add(void *arg, const unsigned char fp[FINGERPRINT_LEN])
{
	char hex[FINGERPRINT_HEX_SIZE];

	(void)arg;
	fingerprint_hex(fp, hex);
	if (strlen(hex) != 64)
		abort();
	return 0;
}

static void
bad(void *arg, unsigned line, const char *msg)
{
	(void)arg;
	if (line == 0 || msg == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const aliases[] = { "www.example.org" };
	static const struct gemini_target t = { .hostname = "example.org",
	    .port = 1965, .local_addr = "192.0.2.7", .aliases = aliases,
	    .naliases = 1 };
	struct fingerprint_sink sink = { add, bad, NULL };
	unsigned char fp[FINGERPRINT_LEN];
	struct titan_request req;
	const char *s = (const char *)data;
	char *line;

	/* A copy of exactly size bytes: reads past it are caught. */
	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, s, size);
	if (titan_request_parse(line, size, &t, &req) == 20) {
		check_path(req.path, req.pathlen);
		if (req.size < 0 || strlen(req.mime) > TITAN_MIME_MAX ||
		    strlen(req.token) > TITAN_TOKEN_MAX)
			abort();
	} else if (req.reason == NULL)
		abort();
	if (fingerprint_parse(line, size, fp) == 0 && size < 64)
		abort();
	(void)fingerprint_list_parse(line, size, &sink);
	free(line);
	return 0;
}
