/* Shared by the configuration tests: the parser's messages collected. */
#ifndef UNIT_CONF_H
#define UNIT_CONF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "unit.h"

/* Every message as "LINE: msg\n", in the order reported. */
struct msgs {
	char	buf[8192];
	size_t	len;
	int	overflow;
};

static inline void
collect(void *arg, unsigned line, const char *msg)
{
	struct msgs *m = arg;
	int n;

	n = snprintf(m->buf + m->len, sizeof(m->buf) - m->len, "%u: %s\n",
	    line, msg);
	if (n < 0 || (size_t)n >= sizeof(m->buf) - m->len)
		m->overflow = 1;
	else
		m->len += (size_t)n;
}

static inline struct conf *
parse_len(const char *file, const char *text, size_t len, struct msgs *m,
    unsigned *errors)
{
	struct conf_diag diag = { collect, m, 0 };
	struct conf *c;

	memset(m, 0, sizeof(*m));
	c = conf_parse(file, text, len, &diag);
	*errors = diag.errors;
	return c;
}

static inline struct conf *
parse(const char *file, const char *text, struct msgs *m, unsigned *errors)
{
	return parse_len(file, text, strlen(text), m, errors);
}

/* A valid file, parsed: no message. */
static inline struct conf *
parse_ok(const char *file, const char *text)
{
	struct msgs m;
	struct conf *c;
	unsigned errors;

	c = parse(file, text, &m, &errors);
	CHECK(c != NULL);
	CHECK_INT(errors, 0);
	CHECK_STR(m.buf, "");
	return c;
}

static inline unsigned
count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

#define OK_SITE	"site \"ok.example\" { capsule \"c\" }\n"

#endif
