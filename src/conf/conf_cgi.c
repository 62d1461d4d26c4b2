/* The CGI directives and a site's CGI values (pure). */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_cgi.h"
#include "conf_state.h"

void
conf_d_cgi(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	int on;

	if ((on = conf_on_off(p, d, v, line)) != -1)
		conf_cur_loc(p)->cgi = on;
}

void
conf_d_cgi_number(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	int timeout = d->slot == SLOT_CGI_TIMEOUT, n;
	int *slot;

	if (conf_int_from(v, 1, timeout ? CONF_CGI_TIMEOUT_MAX :
	    CONF_CGI_MAX_MAX, &n) == -1) {
		conf_invalid(p, d, v, line);
		return;
	}
	if (p->scope == SC_TOP)
		slot = timeout ? &p->c->cgi_timeout : &p->c->cgi_max;
	else
		slot = timeout ? &conf_cur_site(p)->cgi_timeout :
		    &conf_cur_site(p)->cgi_max;
	*slot = n;
}

void
conf_d_cgi_user(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	char **slot, *name;

	if (!conf_user_valid(v)) {
		conf_invalid(p, d, v, line);
		return;
	}
	if ((name = strdup(v)) == NULL) {
		conf_nomem(p);
		return;
	}
	slot = p->scope == SC_TOP ? &p->c->cgi_user :
	    &conf_cur_site(p)->cgi_user;
	free(*slot);
	*slot = name;
}

void
conf_d_titan_hook(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf_site *s = conf_cur_site(p);
	char *path;

	if ((path = conf_path(p, d->name, v, line)) == NULL)
		return;
	free(s->titan_hook);
	s->titan_hook = path;
}

int
conf_cgi_timeout(const struct conf *c, const struct conf_site *s)
{
	return s->cgi_timeout > 0 ? s->cgi_timeout : c->cgi_timeout > 0 ?
	    c->cgi_timeout : CONF_CGI_TIMEOUT;
}

int
conf_cgi_max(const struct conf *c, const struct conf_site *s)
{
	return s->cgi_max > 0 ? s->cgi_max : c->cgi_max > 0 ? c->cgi_max :
	    CONF_CGI_MAX;
}

const char *
conf_cgi_user(const struct conf *c, const struct conf_site *s)
{
	return s->cgi_user != NULL ? s->cgi_user : c->cgi_user != NULL ?
	    c->cgi_user : c->user;
}

int
conf_site_runs(const struct conf_site *s)
{
	size_t i;

	if (s->titan_hook != NULL)
		return 1;
	for (i = 0; i < s->nlocations; i++)
		if (s->locations[i].cgi)
			return 1;
	return 0;
}

static int
same_user(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* 1 when no site before i runs programs as i's user. */
static int
first_of_user(const struct conf *c, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (conf_site_runs(&c->sites[j]) &&
		    same_user(conf_cgi_user(c, &c->sites[j]),
		    conf_cgi_user(c, &c->sites[i])))
			return 0;
	return 1;
}

int
conf_cgi_runner(const struct conf *c, size_t site)
{
	const char *user;
	size_t i;
	int n = 0;

	if (site >= c->nsites || !conf_site_runs(&c->sites[site]))
		return -1;
	user = conf_cgi_user(c, &c->sites[site]);
	for (i = 0; i < site; i++) {
		if (!conf_site_runs(&c->sites[i]) || !first_of_user(c, i))
			continue;
		if (same_user(conf_cgi_user(c, &c->sites[i]), user))
			return n;
		n++;
	}
	return n;
}

size_t
conf_cgi_runners(const struct conf *c)
{
	size_t i;
	int n = 0, r;

	for (i = 0; i < c->nsites; i++)
		if ((r = conf_cgi_runner(c, i)) >= n)
			n = r + 1;
	return (size_t)n;
}

int
conf_cgi_dir(const char *pattern, char *out, size_t outsz)
{
	size_t glob, end;

	glob = strcspn(pattern, "*?[\\");
	end = glob;
	while (end > 0 && pattern[end - 1] != '/')
		end--;
	/* From after the leading '/' to before the last '/' kept. */
	if (end <= 1)
		end = 1;
	if (end - 1 >= outsz)
		return -1;
	memcpy(out, pattern + 1, end - 1);
	out[end - 1] = '\0';
	while (end - 1 > 0 && out[end - 2] == '/')
		out[--end - 1] = '\0';
	return 0;
}
