/*
 * What the FastCGI directives say (pure): where a location's requests go
 * (a responder's unix socket, or its TCP address and port, or nowhere),
 * and the parameters added to theirs.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_fastcgi.h"
#include "conf_lex.h"
#include "conf_state.h"

#define FASTCGI_FORMS	"socket \"PATH\", tcp \"ADDRESS\" port N, or off"

static void
bad_form(struct parser *p, const struct directive *d, unsigned line,
    const char *what)
{
	char q[CONF_QUOTE_SIZE];

	conf_report(p->diag, line, "%s: invalid value %s (it takes "
	    FASTCGI_FORMS ")", d->name, conf_quote(q, what, strlen(what)));
}

void
conf_d_fastcgi(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf_location *l = conf_cur_loc(p);
	char q[CONF_QUOTE_SIZE], *addr;
	int port = 0;
	size_t want;

	want = strcmp(v, "off") == 0 ? 0 : strcmp(v, "socket") == 0 ? 1 :
	    strcmp(v, "tcp") == 0 ? 3 : (size_t)-1;
	if (want == (size_t)-1) {
		bad_form(p, d, line, v);
		return;
	}
	if (p->too_many_words || p->nwords != want) {
		conf_report(p->diag, line, "%s %s: %s (it takes "
		    FASTCGI_FORMS ")", d->name, v, p->nwords < want ?
		    "a value missing" : "too many values");
		return;
	}
	if (want == 0) {
		l->fastcgi = CONF_FASTCGI_OFF;
		return;
	}
	if (want == 1) {
		/* sun_path holds 108 bytes with the NUL. */
		if (p->words[0][0] != '/' ||
		    strlen(p->words[0]) >= CONF_FASTCGI_PATH_MAX) {
			conf_report(p->diag, line, "%s socket: invalid path %s "
			    "(absolute, at most %d bytes)", d->name,
			    conf_quote(q, p->words[0], strlen(p->words[0])),
			    CONF_FASTCGI_PATH_MAX - 1);
			return;
		}
	} else if (!conf_address_valid(p->words[0])) {
		conf_report(p->diag, line, "%s tcp: invalid address %s (a "
		    "numeric IPv4 or IPv6 address)", d->name,
		    conf_quote(q, p->words[0], strlen(p->words[0])));
		return;
	} else if (strcmp(p->words[1], "port") != 0) {
		bad_form(p, d, line, p->words[1]);
		return;
	} else if (conf_int_from(p->words[2], 1, 65535, &port) == -1) {
		conf_report(p->diag, line, "%s tcp: invalid port %s (1 to "
		    "65535)", d->name, conf_quote(q, p->words[2],
		    strlen(p->words[2])));
		return;
	}
	if ((addr = strdup(p->words[0])) == NULL) {
		conf_nomem(p);
		return;
	}
	free(l->fastcgi_addr);
	l->fastcgi_addr = addr;
	l->fastcgi_port = port;
	l->fastcgi = want == 1 ? CONF_FASTCGI_UNIX : CONF_FASTCGI_TCP;
}

/* An environment variable's name: a letter or '_', then alphanumerics. */
static int
param_name_valid(const char *s)
{
	size_t i;

	if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i <= CONF_PARAM_NAME_MAX;
}

void
conf_d_param(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf_location *l = conf_cur_loc(p);
	char q[CONF_QUOTE_SIZE];
	struct conf_param *a;
	char *name, *value;
	size_t i;

	if (!param_name_valid(v)) {
		conf_report(p->diag, line, "%s: invalid name %s (letters, "
		    "digits and _, not first a digit, at most %d bytes)",
		    d->name, conf_quote(q, v, strlen(v)), CONF_PARAM_NAME_MAX);
		return;
	}
	if (p->too_many_words || p->nwords != 1) {
		conf_report(p->diag, line, "%s %s: %s (it takes a name, then "
		    "a value)", d->name, v, p->nwords == 0 ? "no value" :
		    "too many values");
		return;
	}
	if (strlen(p->words[0]) > CONF_PARAM_VALUE_MAX) {
		conf_report(p->diag, line, "%s %s: value longer than %d bytes",
		    d->name, v, CONF_PARAM_VALUE_MAX);
		return;
	}
	for (i = 0; i < l->nparams; i++)
		if (strcmp(l->params[i].name, v) == 0) {
			conf_report(p->diag, line, "%s %s: given twice (first "
			    "on line %u)", d->name, v, l->params[i].line);
			return;
		}
	if ((a = conf_room(p, l->params, l->nparams, sizeof(*a))) == NULL)
		return;
	l->params = a;
	name = strdup(v);
	value = strdup(p->words[0]);
	if (name == NULL || value == NULL) {
		free(name);
		free(value);
		conf_nomem(p);
		return;
	}
	l->params[l->nparams].name = name;
	l->params[l->nparams].value = value;
	l->params[l->nparams++].line = line;
}

void
conf_fastcgi_check_site(struct parser *p, const struct conf_site *s)
{
	const struct conf_location *l;
	size_t i;

	for (i = 0; i < s->nlocations; i++) {
		l = &s->locations[i];
		if (l->nparams > 0 && !conf_location_fastcgi(l))
			conf_report(p->diag, l->params[0].line, "param: the "
			    "location has no fastcgi responder");
	}
}
