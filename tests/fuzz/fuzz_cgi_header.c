/*
 * libFuzzer target for a program's response header (cgi_header.c): no
 * input may crash it; an accepted header has a status of 10 to 69, a meta
 * inside the input of at most 1024 bytes without control bytes, and a
 * line that ends in CRLF within the input; a prefix of an accepted header
 * never fails.  The same bytes go to what the CGI runner reads of a
 * worker's request (cgi_wire.c, program_env_from_wire): an environment
 * accepted has only NAME=value entries without control bytes.  Built and
 * run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgi_header.h"
#include "cgi_wire.h"
#include "program_env.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_wire(const char *buf, size_t size)
{
	static struct program_env env;
	struct cgi_run run;
	size_t i, j;

	if (cgi_wire_parse((const unsigned char *)buf, size, &run) == 0 &&
	    (run.env < buf || run.env + run.envlen > buf + size ||
	    strlen(run.site) >= size || strlen(run.script) >= size))
		abort();
	if (program_env_from_wire(&env, buf, size) == -1)
		return;
	for (i = 0; i < env.n; i++) {
		if (env.var[i].namelen == 0 ||
		    env.var[i].name[env.var[i].namelen] != '=' ||
		    strlen(env.var[i].value) != env.var[i].valuelen)
			abort();
		for (j = 0; j < env.var[i].valuelen; j++)
			if ((unsigned char)env.var[i].value[j] < 0x20 ||
			    (unsigned char)env.var[i].value[j] == 0x7f)
				abort();
	}
	if (env.envp[env.n] != NULL)
		abort();
}

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
	check_wire(buf, size);
	free(buf);
	return 0;
}
