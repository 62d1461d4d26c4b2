/*
 * Gemini's response headers, for the dispatcher (gemini.c), the made-up
 * pages (gemini_generated.c) and Titan: below all three.
 */
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "gemini_reply.h"
#include "generation.h"
#include "log.h"

void
gemini_header_only(struct conn *c, int status, const char *meta,
    const char *why)
{
	char code[4];

	snprintf(code, sizeof(code), "%02d", status);
	conn_set_status(c, code, why);
	if (conn_printf(c, "%02d %s\r\n", status, meta) == -1)
		log_warn("%s: cannot queue a response", conn_peer(c));
}

int
gemini_success(struct conn *c, const char *mime, const char *lang)
{
	conn_set_status(c, "20", NULL);
	if (lang != NULL && strcmp(mime, "text/gemini") == 0)
		return conn_printf(c, "20 %s; lang=%s\r\n", mime, lang);
	return conn_printf(c, "20 %s\r\n", mime);
}
