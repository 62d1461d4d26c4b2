/*
 * libFuzzer target for the configuration file's parser: no input may crash
 * it, every message must be one printable line with a line number inside
 * the text, and a file it accepts without error must be a complete, valid
 * structure.  Built and run by `make fuzz` (FUZZ_SECONDS=N to run longer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	unsigned	 lines;		/* of the input, counted from 1 */
	unsigned	 reports;
	int		 oom;
};

static void
report(void *arg, unsigned line, const char *msg)
{
	struct seen *s = arg;
	size_t i, len = strlen(msg);

	if (len == 0 || len >= 1024 || line > s->lines)
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			abort();	/* a message is one line */
	if (strcmp(msg, "out of memory") == 0)
		s->oom = 1;
	s->reports++;
}

static void
check_port(int port, int min)
{
	if (port < min || port > 65535)
		abort();
}

/* What a file without errors must give. */
static void
check_complete(const struct conf *c)
{
	const struct conf_location *l;
	const struct conf_site *s;
	size_t i, j;
	int k;

	if (c->nsites == 0 || c->workers < 0 ||
	    c->workers > CONF_WORKERS_MAX)
		abort();
	check_port(c->gemini_port, 0);
	for (k = 0; k < c->nlisten; k++)
		if (!conf_address_valid(c->listen[k].addr) ||
		    c->listen[k].line == 0 ||
		    (c->listen[k].proxy != 0 && c->listen[k].proxy != 1))
			abort();
	/* The limits: in range, and a rate always has a burst. */
	if (c->max_connections < 0 || c->max_connections > CONF_LIMIT_MAX ||
	    c->max_per_address < 0 || c->max_per_address > CONF_LIMIT_MAX ||
	    c->rate < 0 || c->rate > CONF_LIMIT_MAX || c->burst < 0 ||
	    c->burst > CONF_LIMIT_MAX || (c->rate > 0 && c->burst < 1))
		abort();
	for (i = 0; i < c->nsites; i++) {
		s = &c->sites[i];
		if (!conf_hostname_valid(s->name) || s->capsule == NULL ||
		    s->capsule[0] == '\0' || s->certs == NULL ||
		    s->certs[0] == '\0' || s->line == 0 ||
		    s->capsule_line == 0)
			abort();
		if (s->lang != NULL && !conf_lang_valid(s->lang))
			abort();
		for (j = 0; j < s->naliases; j++)
			if (!conf_hostname_valid(s->aliases[j]))
				abort();
		check_port(s->gopher_port, 0);
		if (s->gopher_public_port != 0)
			check_port(s->gopher_public_port, 1);
		if (s->gopher_port != 0 && s->gopher_port == c->gemini_port)
			abort();
		if (s->gopher_width < CONF_GOPHER_WIDTH_MIN ||
		    s->gopher_width > CONF_GOPHER_WIDTH_MAX ||
		    (s->listing != 0 && s->listing != 1))
			abort();
		for (j = 0; j < s->nlocations; j++) {
			l = &s->locations[j];
			if (l->pattern[0] != '/' || l->line == 0)
				abort();
			if ((l->action == CONF_ACTION_REDIRECT ||
			    l->action == CONF_ACTION_REDIRECT_TEMPORARY) !=
			    (l->target != NULL))
				abort();
			if (l->target != NULL && !conf_target_valid(l->target))
				abort();
			if (l->has_lang && l->lang != NULL &&
			    !conf_lang_valid(l->lang))
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen seen = { 1, 0, 0 };
	struct conf_diag diag = { report, &seen, 0 };
	const struct conf_location *l;
	const struct conf_site *s;
	struct conf *c;
	size_t i;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			seen.lines++;
	c = conf_parse("dir/fuzz.conf", (const char *)data, size, &diag);
	if (diag.errors != seen.reports || (c == NULL) != seen.oom)
		abort();
	if (c == NULL)
		return 0;
	if (c->nlisten < 0 || c->nlisten > CONF_MAX_LISTEN)
		abort();
	if (diag.errors == 0)
		check_complete(c);
	/* Even a partial structure is safe to use. */
	for (i = 0; i < c->nsites; i++) {
		s = &c->sites[i];
		if (s->name == NULL)
			abort();
		l = conf_location_match(s, "/dir/page.gmi");
		if (l != NULL && (l < s->locations ||
		    l >= s->locations + s->nlocations))
			abort();
		(void)conf_lang(s, l);
		(void)conf_gopher_public_port(s);
	}
	conf_free(c);
	return 0;
}
