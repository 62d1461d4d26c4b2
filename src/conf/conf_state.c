/*
 * The configuration parser's helpers that every part of it uses: memory,
 * the open site and location, values reported invalid, paths relative to
 * the file (pure: no I/O).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_lex.h"
#include "conf_state.h"

void
conf_nomem(struct parser *p)
{
	if (!p->oom)
		conf_report(p->diag, 0, "out of memory");
	p->oom = 1;
}

/* The arrays grow when n is a power of two: no capacity to keep. */
void *
conf_room(struct parser *p, void *arr, size_t n, size_t size)
{
	void *grown;

	if (n != 0 && (n & (n - 1)) != 0)
		return arr;
	if (n > SIZE_MAX / 2 ||
	    (grown = reallocarray(arr, n == 0 ? 1 : n * 2, size)) == NULL) {
		conf_nomem(p);
		return NULL;
	}
	return grown;
}

struct conf_site *
conf_cur_site(struct parser *p)
{
	return &p->c->sites[p->site];
}

struct conf_location *
conf_cur_loc(struct parser *p)
{
	return &conf_cur_site(p)->locations[p->loc];
}

void
conf_invalid(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	char q[CONF_QUOTE_SIZE];

	conf_report(p->diag, line, "%s: invalid value %s", d->name,
	    conf_quote(q, v, strlen(v)));
}

int
conf_on_off(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	int on;

	if (conf_on_off_from(v, &on) == 0)
		return on;
	conf_invalid(p, d, v, line);
	return -1;
}

char *
conf_path(struct parser *p, const char *name, const char *v, unsigned line)
{
	char q[CONF_QUOTE_SIZE], *s;
	size_t pre, len = strlen(v);

	if (len == 0) {
		conf_report(p->diag, line, "%s: invalid value \"\"", name);
		return NULL;
	}
	pre = v[0] == '/' ? 0 : p->dirlen;
	if (pre >= PATH_MAX || len >= PATH_MAX - pre) {
		conf_report(p->diag, line, "%s: path too long %s", name,
		    conf_quote(q, v, len));
		return NULL;
	}
	if ((s = malloc(pre + len + 1)) == NULL) {
		conf_nomem(p);
		return NULL;
	}
	if (pre > 0)
		memcpy(s, p->file, pre);
	memcpy(s + pre, v, len + 1);
	return s;
}
