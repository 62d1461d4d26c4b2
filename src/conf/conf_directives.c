/* What each directive of the configuration file says, and its checks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_access.h"
#include "conf_cgi.h"
#include "conf_daemon.h"
#include "conf_directives.h"
#include "conf_fastcgi.h"
#include "conf_lex.h"
#include "conf_state.h"

/* conf_int_from, reported. */
static int
number(struct parser *p, const struct directive *d, const char *v,
    unsigned line, int min, int max, int *out)
{
	if (conf_int_from(v, min, max, out) == 0)
		return 0;
	conf_invalid(p, d, v, line);
	return -1;
}

/* 0 for a name no site has yet; -1 (reported) for a duplicate. */
static int
new_name(struct parser *p, const char *v, unsigned line)
{
	char q[CONF_QUOTE_SIZE];
	size_t i;

	for (i = 0; i < p->nnames; i++)
		if (conf_names_equal(p->names[i].name, v)) {
			conf_report(p->diag, line, "duplicate site name %s "
			    "(first on line %u)", conf_quote(q, v, strlen(v)),
			    p->names[i].line);
			return -1;
		}
	return 0;
}

static void
note_name(struct parser *p, const char *name, unsigned line)
{
	struct pname *n;

	if ((n = conf_room(p, p->names, p->nnames, sizeof(*n))) == NULL)
		return;
	p->names = n;
	p->names[p->nnames].name = name;
	p->names[p->nnames].line = line;
	p->nnames++;
}

/* The address of a valid listen value, as bytes to compare. */
static int
address(const char *s, unsigned char buf[sizeof(struct in6_addr)])
{
	memset(buf, 0, sizeof(struct in6_addr));
	return inet_pton(AF_INET, s, buf) == 1 ? AF_INET : AF_INET6;
}

static void
d_listen(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	unsigned char a[sizeof(struct in6_addr)], b[sizeof(struct in6_addr)];
	char q[CONF_QUOTE_SIZE];
	struct conf *c = p->c;
	const char *extra;
	int i, fa;

	if (!conf_address_valid(v)) {
		conf_invalid(p, d, v, line);
		return;
	}
	fa = address(v, a);
	for (i = 0; i < c->nlisten; i++)
		if (address(c->listen[i].addr, b) == fa &&
		    memcmp(a, b, sizeof(a)) == 0) {
			conf_report(p->diag, line, "listen: %s already given "
			    "on line %u", conf_quote(q, v, strlen(v)),
			    c->listen[i].line);
			return;
		}
	if (c->nlisten == CONF_MAX_LISTEN) {
		conf_report(p->diag, line, "listen: at most %d addresses",
		    CONF_MAX_LISTEN);
		return;
	}
	/* The first word that is not the one "proxy" allowed. */
	extra = p->nwords == 0 ? NULL : strcmp(p->words[0], "proxy") != 0 ?
	    p->words[0] : p->nwords > 1 ? p->words[1] : NULL;
	if (extra != NULL) {
		conf_report(p->diag, line, "listen: unexpected %s (it takes an "
		    "address, then proxy or nothing)",
		    conf_quote(q, extra, strlen(extra)));
		return;
	}
	if ((c->listen[c->nlisten].addr = strdup(v)) == NULL) {
		conf_nomem(p);
		return;
	}
	c->listen[c->nlisten].proxy = p->nwords == 1;
	c->listen[c->nlisten++].line = line;
}

static void
d_max_connections(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	int n;

	/* No "off": the open files are a limit anyway. */
	if (strcmp(v, "off") == 0 || conf_limit_parse(v, &n) == -1) {
		conf_invalid(p, d, v, line);
		return;
	}
	p->c->max_connections = n;
}

static void
d_max_per_address(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	if (conf_limit_parse(v, &p->c->max_per_address) == -1)
		conf_invalid(p, d, v, line);
}

static void
d_rate_limit(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	const char *words[CONF_WORDS_MAX + 1], *bad;
	char q[CONF_QUOTE_SIZE];
	size_t i;

	words[0] = v;
	for (i = 0; i < p->nwords; i++)
		words[i + 1] = p->words[i];
	if (p->too_many_words)
		conf_report(p->diag, line, "%s: too many values (it takes "
		    "N/s, then burst B or nothing; or off)", d->name);
	else if (conf_rate_parse(words, p->nwords + 1, &p->c->rate,
	    &p->c->burst, &bad) == -1)
		conf_report(p->diag, line, "%s: invalid value %s (it takes "
		    "N/s, then burst B or nothing; or off)", d->name,
		    conf_quote(q, bad, strlen(bad)));
}

static void
d_gemini_port(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	if (number(p, d, v, line, 0, 65535, &p->c->gemini_port) == 0)
		p->c->gemini_port_line = line;
}

static void
d_workers(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	number(p, d, v, line, 0, CONF_WORKERS_MAX, &p->c->workers);
}

static void
d_site(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	char q[CONF_QUOTE_SIZE], *name;
	struct conf_site *s;
	struct psite *ps;

	if ((ps = conf_room(p, p->ps, p->c->nsites, sizeof(*ps))) == NULL)
		return;
	p->ps = ps;
	if ((name = strdup(v)) == NULL || (s = conf_add_site(p->c)) == NULL) {
		free(name);
		conf_nomem(p);
		return;
	}
	/* Even with a bad name the block is read, for its own problems. */
	s->name = name;
	s->line = line;
	p->site = p->c->nsites - 1;
	memset(&p->ps[p->site], 0, sizeof(p->ps[p->site]));
	p->scope = SC_SITE;
	if (!conf_hostname_valid(v))
		conf_report(p->diag, line, "%s: invalid host name %s", d->name,
		    conf_quote(q, v, strlen(v)));
	else if (new_name(p, v, line) == 0)
		note_name(p, s->name, line);
}

static void
d_alias(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	char q[CONF_QUOTE_SIZE], **a, *name;
	struct conf_site *s = conf_cur_site(p);

	if (!conf_hostname_valid(v)) {
		conf_report(p->diag, line, "%s: invalid host name %s", d->name,
		    conf_quote(q, v, strlen(v)));
		return;
	}
	if (new_name(p, v, line) == -1)
		return;
	if ((a = conf_room(p, s->aliases, s->naliases, sizeof(*a))) == NULL)
		return;
	s->aliases = a;
	if ((name = strdup(v)) == NULL) {
		conf_nomem(p);
		return;
	}
	s->aliases[s->naliases++] = name;
	note_name(p, name, line);
}

static void
d_capsule(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf_site *s = conf_cur_site(p);
	char *dir;

	if ((dir = conf_path(p, d->name, v, line)) == NULL)
		return;
	free(s->capsule);
	s->capsule = dir;
	s->capsule_line = line;
}

static void
d_certs(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf_site *s;
	char *dir;

	if ((dir = conf_path(p, d->name, v, line)) == NULL)
		return;
	if (p->scope == SC_TOP) {
		free(p->certs);
		p->certs = dir;
		return;
	}
	s = conf_cur_site(p);
	free(s->certs);
	s->certs = dir;
	s->certs_line = line;
}

static void
d_gopher_port(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	char q[CONF_QUOTE_SIZE];
	struct conf_site *s = conf_cur_site(p), *o;
	size_t i;
	int port;

	if (number(p, d, v, line, 0, 65535, &port) == -1)
		return;
	for (i = 0; port != 0 && i < p->site; i++) {
		o = &p->c->sites[i];
		if (o->gopher_port == port) {
			conf_report(p->diag, line, "gopher-port %d: already "
			    "used by site %s (line %u)", port,
			    conf_quote(q, o->name, strlen(o->name)),
			    o->gopher_port_line);
			break;
		}
	}
	s->gopher_port = port;
	s->gopher_port_line = line;
}

static void
d_gopher_public_port(struct parser *p, const struct directive *d,
    const char *v, unsigned line)
{
	number(p, d, v, line, 1, 65535, &conf_cur_site(p)->gopher_public_port);
}

static void
d_location(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	char q[CONF_QUOTE_SIZE], *pattern;
	struct conf_site *s = conf_cur_site(p);
	struct conf_location *l;

	if ((l = conf_room(p, s->locations, s->nlocations, sizeof(*l))) == NULL)
		return;
	s->locations = l;
	if ((pattern = strdup(v)) == NULL) {
		conf_nomem(p);
		return;
	}
	l = &s->locations[s->nlocations];
	memset(l, 0, sizeof(*l));
	l->pattern = pattern;
	l->action = CONF_ACTION_NONE;
	l->line = line;
	p->loc = s->nlocations++;
	memset(p->lseen, 0, sizeof(p->lseen));
	p->action = NULL;
	p->scope = SC_LOC;
	/* Decoded request paths all start with '/': nothing else matches. */
	if (v[0] != '/')
		conf_report(p->diag, line, "%s: invalid pattern %s (it must "
		    "start with /)", d->name, conf_quote(q, v, strlen(v)));
}

static void
d_lang(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf_location *l;
	struct conf_site *s;
	char *tag = NULL;

	if (strcmp(v, "none") != 0) {
		if (!conf_lang_valid(v)) {
			conf_invalid(p, d, v, line);
			return;
		}
		if ((tag = strdup(v)) == NULL) {
			conf_nomem(p);
			return;
		}
	}
	switch (p->scope) {
	case SC_TOP:
		free(p->lang);
		p->lang = tag;
		p->has_lang = 1;
		break;
	case SC_SITE:
		s = conf_cur_site(p);
		free(s->lang);
		s->lang = tag;
		break;
	default:
		l = conf_cur_loc(p);
		free(l->lang);
		l->lang = tag;
		l->has_lang = 1;
		break;
	}
}

static void
d_listing(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	int on;

	if ((on = conf_on_off(p, d, v, line)) == -1)
		return;
	if (p->scope == SC_TOP)
		p->listing = on;
	else
		conf_cur_site(p)->listing = on;
}

static void
d_search(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	int on;

	if ((on = conf_on_off(p, d, v, line)) != -1)
		conf_cur_site(p)->search = on;
}

static void
d_changes(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	int on;

	if ((on = conf_on_off(p, d, v, line)) != -1)
		conf_cur_site(p)->changes = on;
}

/* search-path, changes-path, atom-path: d->slot says which. */
static void
d_page_path(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf_site *s = conf_cur_site(p);
	char **slot, *path;
	unsigned *at;

	if (!conf_page_path_valid(v)) {
		conf_invalid(p, d, v, line);
		return;
	}
	if ((path = strdup(v)) == NULL) {
		conf_nomem(p);
		return;
	}
	switch (d->slot) {
	case SLOT_SEARCH_PATH:
		slot = &s->search_path;
		at = &s->search_path_line;
		break;
	case SLOT_CHANGES_PATH:
		slot = &s->changes_path;
		at = &s->changes_path_line;
		break;
	default:
		slot = &s->atom_path;
		at = &s->atom_path_line;
		break;
	}
	free(*slot);
	*slot = path;
	*at = line;
}

void
conf_check_pages(struct parser *p, const struct conf_site *s)
{
	const char *page, *by, *path;
	char q[CONF_QUOTE_SIZE];
	unsigned line;

	if (!conf_page_clash(s, &page, &by, &path))
		return;
	if (strcmp(page, "atom-path") == 0)
		line = s->atom_path_line;
	else
		line = s->changes_path_line;
	if (line == 0)
		line = strcmp(by, "search-path") == 0 ? s->search_path_line :
		    s->changes_path_line;
	conf_report(p->diag, line != 0 ? line : s->line, "%s %s: taken by %s",
	    page, conf_quote(q, path, strlen(path)), by);
}

static void
d_gopher_width(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	int w;

	if (number(p, d, v, line, CONF_GOPHER_WIDTH_MIN, CONF_GOPHER_WIDTH_MAX,
	    &w) == -1)
		return;
	if (p->scope == SC_TOP)
		p->gopher_width = w;
	else
		conf_cur_site(p)->gopher_width = w;
}

static void
d_action(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf_location *l = conf_cur_loc(p);
	char *target = NULL;

	if (v != NULL) {
		if (!conf_target_valid(v)) {
			conf_invalid(p, d, v, line);
			return;
		}
		if ((target = strdup(v)) == NULL) {
			conf_nomem(p);
			return;
		}
	}
	free(l->target);
	l->target = target;
	l->action = d->action;
}

static const struct directive directives[] = {
	{ "listen", SC_TOP, K_WORDS, SLOT_NONE, d_listen, 0, NULL },
	{ "gemini-port", SC_TOP, K_VALUE, SLOT_GEMINI_PORT, d_gemini_port,
	    0, NULL },
	{ "workers", SC_TOP, K_VALUE, SLOT_WORKERS, d_workers, 0, NULL },
	{ "site", SC_TOP, K_BLOCK, SLOT_NONE, d_site, 0, "name" },
	{ "alias", SC_SITE, K_VALUE, SLOT_NONE, d_alias, 0, NULL },
	{ "capsule", SC_SITE, K_VALUE, SLOT_CAPSULE, d_capsule, 0, NULL },
	{ "gopher-port", SC_SITE, K_VALUE, SLOT_GOPHER_PORT, d_gopher_port,
	    0, NULL },
	{ "gopher-public-port", SC_SITE, K_VALUE, SLOT_GOPHER_PUBLIC_PORT,
	    d_gopher_public_port, 0, NULL },
	{ "location", SC_SITE, K_BLOCK, SLOT_NONE, d_location, 0, "pattern" },
	{ "certs", SC_TOP | SC_SITE, K_VALUE, SLOT_CERTS, d_certs, 0, NULL },
	{ "lang", SC_TOP | SC_SITE | SC_LOC, K_VALUE, SLOT_LANG, d_lang, 0,
	    NULL },
	{ "listing", SC_TOP | SC_SITE, K_VALUE, SLOT_LISTING, d_listing, 0,
	    NULL },
	{ "gopher-width", SC_TOP | SC_SITE, K_VALUE, SLOT_GOPHER_WIDTH,
	    d_gopher_width, 0, NULL },
	{ "redirect", SC_LOC, K_VALUE, SLOT_ACTION, d_action,
	    CONF_ACTION_REDIRECT, NULL },
	{ "redirect-temporary", SC_LOC, K_VALUE, SLOT_ACTION, d_action,
	    CONF_ACTION_REDIRECT_TEMPORARY, NULL },
	{ "gone", SC_LOC, K_FLAG, SLOT_ACTION, d_action, CONF_ACTION_GONE,
	    NULL },
	{ "user", SC_TOP, K_VALUE, SLOT_USER, conf_d_user, 0, NULL },
	{ "log", SC_TOP, K_VALUE, SLOT_LOG, conf_d_log, 0, NULL },
	{ "log-style", SC_TOP, K_VALUE, SLOT_LOG_STYLE, conf_d_log_style, 0,
	    NULL },
	{ "access-log", SC_SITE, K_VALUE, SLOT_ACCESS_LOG, conf_d_access_log,
	    0, NULL },
	{ "require-certificate", SC_LOC, K_FLAG, SLOT_REQUIRE_CERT,
	    conf_d_require_cert, 0, NULL },
	{ "allow-certificate", SC_LOC, K_VALUE, SLOT_NONE, conf_d_allow_cert,
	    0, NULL },
	{ "allow-certificates", SC_LOC, K_VALUE, SLOT_NONE,
	    conf_d_allow_certs, 0, NULL },
	{ "titan", SC_SITE, K_VALUE, SLOT_TITAN, conf_d_titan, 0, NULL },
	{ "titan-operator", SC_SITE, K_VALUE, SLOT_NONE, conf_d_titan_operator,
	    0, NULL },
	{ "titan-max-size", SC_SITE, K_VALUE, SLOT_TITAN_MAX_SIZE,
	    conf_d_titan_max_size, 0, NULL },
	{ "titan-delete", SC_SITE, K_VALUE, SLOT_TITAN_DELETE,
	    conf_d_titan_delete, 0, NULL },
	{ "titan-history", SC_SITE, K_VALUE, SLOT_TITAN_HISTORY,
	    conf_d_titan_history, 0, NULL },
	{ "search", SC_SITE, K_VALUE, SLOT_SEARCH, d_search, 0, NULL },
	{ "search-path", SC_SITE, K_VALUE, SLOT_SEARCH_PATH, d_page_path, 0,
	    NULL },
	{ "changes", SC_SITE, K_VALUE, SLOT_CHANGES, d_changes, 0, NULL },
	{ "changes-path", SC_SITE, K_VALUE, SLOT_CHANGES_PATH, d_page_path, 0,
	    NULL },
	{ "atom-path", SC_SITE, K_VALUE, SLOT_ATOM_PATH, d_page_path, 0,
	    NULL },
	{ "max-connections", SC_TOP, K_VALUE, SLOT_MAX_CONNECTIONS,
	    d_max_connections, 0, NULL },
	{ "max-connections-per-address", SC_TOP, K_VALUE, SLOT_MAX_PER_ADDRESS,
	    d_max_per_address, 0, NULL },
	{ "rate-limit", SC_TOP, K_WORDS, SLOT_RATE_LIMIT, d_rate_limit, 0,
	    NULL },
	/* CGI (conf_cgi.c) */
	{ "cgi", SC_LOC, K_VALUE, SLOT_CGI, conf_d_cgi, 0, NULL },
	{ "cgi-timeout", SC_TOP | SC_SITE, K_VALUE, SLOT_CGI_TIMEOUT,
	    conf_d_cgi_number, 0, NULL },
	{ "cgi-max", SC_TOP | SC_SITE, K_VALUE, SLOT_CGI_MAX,
	    conf_d_cgi_number, 0, NULL },
	{ "cgi-user", SC_TOP | SC_SITE, K_VALUE, SLOT_CGI_USER,
	    conf_d_cgi_user, 0, NULL },
	{ "titan-hook", SC_SITE, K_VALUE, SLOT_TITAN_HOOK, conf_d_titan_hook,
	    0, NULL },
	{ "fastcgi", SC_LOC, K_WORDS, SLOT_FASTCGI, conf_d_fastcgi, 0, NULL },
	{ "param", SC_LOC, K_WORDS, SLOT_NONE, conf_d_param, 0, NULL },
};

const struct directive *
conf_directive(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}
