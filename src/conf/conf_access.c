/*
 * What the client certificate and Titan directives say (pure): the
 * certificates a location lets in, and who may upload to a site.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "conf_access.h"
#include "conf_lex.h"
#include "conf_state.h"
#include "fingerprint.h"

_Static_assert(FINGERPRINT_LEN == CONF_FINGERPRINT_LEN,
    "a fingerprint is the same size everywhere");

static void
invalid(struct parser *p, const struct directive *d, const char *v,
    unsigned line, const char *expected)
{
	char q[CONF_QUOTE_SIZE];

	conf_report(p->diag, line, "%s: invalid value %s (%s)", d->name,
	    conf_quote(q, v, strlen(v)), expected);
}

/* "on" 1, "off" 0, else -1 (reported). */
static int
on_off(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	int on;

	if (conf_on_off_from(v, &on) == 0)
		return on;
	invalid(p, d, v, line, "on or off");
	return -1;
}

static void
add_fingerprint(struct parser *p, struct conf_certs *set,
    const unsigned char fp[FINGERPRINT_LEN])
{
	if (conf_certs_add(set, fp) == -1)
		conf_nomem(p);
}

static void
add_file(struct parser *p, const struct directive *d, struct conf_certs *set,
    const char *v, unsigned line)
{
	struct conf_certfile *f;
	char *path;

	if ((path = conf_path(p, d->name, v, line)) == NULL)
		return;
	if ((f = conf_room(p, set->files, set->nfiles, sizeof(*f))) == NULL) {
		free(path);
		return;
	}
	set->files = f;
	set->files[set->nfiles].path = path;
	set->files[set->nfiles].line = line;
	set->nfiles++;
}

void
conf_d_require_cert(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	(void)d;
	(void)v;
	(void)line;
	conf_cur_loc(p)->require_cert = 1;
}

void
conf_d_allow_cert(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	unsigned char fp[FINGERPRINT_LEN];

	if (fingerprint_parse(v, strlen(v), fp) == -1) {
		invalid(p, d, v, line, "sha256: and 64 hex digits");
		return;
	}
	add_fingerprint(p, &conf_cur_loc(p)->allow, fp);
}

void
conf_d_allow_certs(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	add_file(p, d, &conf_cur_loc(p)->allow, v, line);
}

void
conf_d_titan(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf_site *s = conf_cur_site(p);
	int on;

	if ((on = on_off(p, d, v, line)) == -1)
		return;
	s->titan = on;
	s->titan_line = line;
}

/* A fingerprint, or else the name of a file of them. */
void
conf_d_titan_operator(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	struct conf_site *s = conf_cur_site(p);
	unsigned char fp[FINGERPRINT_LEN];

	if (fingerprint_parse(v, strlen(v), fp) == 0)
		add_fingerprint(p, &s->operators, fp);
	else if (strncasecmp(v, "sha256:", 7) == 0)
		invalid(p, d, v, line, "sha256: and 64 hex digits");
	else
		add_file(p, d, &s->operators, v, line);
}

void
conf_d_titan_max_size(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	long long n = 0, unit = 1;
	size_t i;

	/* Digits, then K, M or G (binary): "10M" is 10485760 bytes. */
	for (i = 0; v[i] >= '0' && v[i] <= '9'; i++) {
		n = n * 10 + (v[i] - '0');
		if (n > CONF_TITAN_SIZE_LIMIT)
			break;
	}
	if (v[i] != '\0' && v[i + 1] == '\0') {
		switch (v[i]) {
		case 'k': case 'K':
			unit = 1024;
			i++;
			break;
		case 'm': case 'M':
			unit = 1024 * 1024;
			i++;
			break;
		case 'g': case 'G':
			unit = 1024 * 1024 * 1024;
			i++;
			break;
		}
	}
	if (i == 0 || v[i] != '\0' || (v[0] < '0' || v[0] > '9') ||
	    n > CONF_TITAN_SIZE_LIMIT / unit) {
		invalid(p, d, v, line, "bytes, or a number and K, M or G, at "
		    "most 16G");
		return;
	}
	conf_cur_site(p)->titan_max_size = n * unit;
}

void
conf_d_titan_delete(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	int on;

	if ((on = on_off(p, d, v, line)) != -1)
		conf_cur_site(p)->titan_delete = on;
}

void
conf_d_titan_history(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	long n = 0;
	size_t i;

	for (i = 0; v[i] >= '0' && v[i] <= '9' && n <= CONF_TITAN_HISTORY_MAX;
	    i++)
		n = n * 10 + (v[i] - '0');
	if (i == 0 || v[i] != '\0' || n > CONF_TITAN_HISTORY_MAX) {
		invalid(p, d, v, line, "0 to 1000");
		return;
	}
	conf_cur_site(p)->titan_history = (int)n;
}

void
conf_access_check_site(struct parser *p, const struct conf_site *s)
{
	char q[CONF_QUOTE_SIZE];

	if (s->titan && s->operators.nfp == 0 && s->operators.nfiles == 0)
		conf_report(p->diag, s->titan_line, "titan on: site %s has no "
		    "titan-operator, so nobody could upload",
		    conf_quote(q, s->name, strlen(s->name)));
}
