/* The configuration structure and the checks of its values (pure). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "conf.h"
#include "uri.h"
#include "utf8.h"


#define USER_NAME_MAX	32	/* what useradd accepts */

int
conf_user_valid(const char *s)
{
	size_t i, len = strlen(s);

	/* A name as useradd makes them: no path, no space, no option. */
	if (len == 0 || len > USER_NAME_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.' || (s[i] == '$' && i == len - 1)))
			return 0;
	return 1;
}

int
conf_log_style_from(const char *s, enum conf_log_style *out)
{
	if (strcmp(s, "attache") == 0)
		*out = CONF_LOG_STYLE_ATTACHE;
	else if (strcmp(s, "common") == 0)
		*out = CONF_LOG_STYLE_COMMON;
	else if (strcmp(s, "combined") == 0)
		*out = CONF_LOG_STYLE_COMBINED;
	else
		return -1;
	return 0;
}

int
conf_log_target_from(const char *s, enum conf_log_to *out)
{
	if (*s == '\0')
		return -1;
	if (strcmp(s, "stderr") == 0)
		*out = CONF_LOG_STDERR;
	else if (strcmp(s, "syslog") == 0)
		*out = CONF_LOG_SYSLOG;
	else
		*out = CONF_LOG_FILE;
	return 0;
}

void
conf_report(struct conf_diag *diag, unsigned line, const char *fmt, ...)
{
	char msg[8192 + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag->errors++;
	if (diag->report != NULL)
		diag->report(diag->arg, line, msg);
}

struct conf *
conf_new(void)
{
	struct conf *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->gemini_port = GEMINI_DEFAULT_PORT;
	c->max_per_address = CONF_MAX_PER_ADDRESS_DEFAULT;
	c->rate = CONF_RATE_DEFAULT;
	c->burst = CONF_BURST_DEFAULT;
	return c;
}

struct conf_site *
conf_add_site(struct conf *c)
{
	struct conf_site *s, *grown;
	size_t cap;

	/*
	 * The array holds a power of two of sites: it is full when nsites
	 * is one (or 0), and then doubles.  Only this function grows it.
	 */
	if (c->nsites == 0 || (c->nsites & (c->nsites - 1)) == 0) {
		if (c->nsites > SIZE_MAX / 2)
			return NULL;
		cap = c->nsites == 0 ? 1 : c->nsites * 2;
		if ((grown = reallocarray(c->sites, cap, sizeof(*grown))) ==
		    NULL)
			return NULL;
		c->sites = grown;
	}
	s = &c->sites[c->nsites];
	memset(s, 0, sizeof(*s));
	if ((s->certs = strdup("certs")) == NULL ||
	    (s->lang = strdup("en")) == NULL) {
		free(s->certs);
		return NULL;
	}
	s->gopher_width = 67;
	s->listing = 1;
	s->access_log = 1;
	s->titan_max_size = CONF_TITAN_MAX_SIZE;
	s->titan_history = CONF_TITAN_HISTORY;
	s->search = 1;
	s->changes = 1;
	c->nsites++;
	return s;
}

int
conf_certs_add(struct conf_certs *set,
    const unsigned char fp[CONF_FINGERPRINT_LEN])
{
	unsigned char (*grown)[CONF_FINGERPRINT_LEN];
	size_t n = set->nfp;

	/* A power of two of them: full when n is one (or 0). */
	if (n == 0 || (n & (n - 1)) == 0) {
		if (n > SIZE_MAX / 2 / CONF_FINGERPRINT_LEN ||
		    (grown = realloc(set->fp, (n == 0 ? 1 : n * 2) *
		    CONF_FINGERPRINT_LEN)) == NULL)
			return -1;
		set->fp = grown;
	}
	memcpy(set->fp[n], fp, CONF_FINGERPRINT_LEN);
	set->nfp++;
	return 0;
}

void
conf_certs_free(struct conf_certs *set)
{
	size_t i;

	free(set->fp);
	for (i = 0; i < set->nfiles; i++)
		free(set->files[i].path);
	free(set->files);
	memset(set, 0, sizeof(*set));
}

void
conf_free(struct conf *c)
{
	struct conf_site *s;
	size_t i, j, m;
	int k;

	if (c == NULL)
		return;
	free(c->file);
	free(c->user);
	free(c->log_file);
	free(c->cgi_user);
	for (k = 0; k < c->nlisten; k++)
		free(c->listen[k].addr);
	for (i = 0; i < c->nsites; i++) {
		s = &c->sites[i];
		free(s->name);
		for (j = 0; j < s->naliases; j++)
			free(s->aliases[j]);
		free(s->aliases);
		free(s->capsule);
		free(s->certs);
		free(s->lang);
		free(s->search_path);
		free(s->changes_path);
		free(s->atom_path);
		free(s->cgi_user);
		free(s->titan_hook);
		for (j = 0; j < s->nlocations; j++) {
			free(s->locations[j].pattern);
			free(s->locations[j].target);
			free(s->locations[j].lang);
			free(s->locations[j].fastcgi_addr);
			for (m = 0; m < s->locations[j].nparams; m++) {
				free(s->locations[j].params[m].name);
				free(s->locations[j].params[m].value);
			}
			free(s->locations[j].params);
			conf_certs_free(&s->locations[j].allow);
		}
		free(s->locations);
		conf_certs_free(&s->operators);
	}
	free(c->sites);
	free(c);
}

const struct conf_location *
conf_location_match(const struct conf_site *s, const char *path)
{
	size_t i;

	if (s == NULL || path == NULL)
		return NULL;
	for (i = 0; i < s->nlocations; i++)
		if (s->locations[i].pattern != NULL &&
		    fnmatch(s->locations[i].pattern, path, 0) == 0)
			return &s->locations[i];
	return NULL;
}

const char *
conf_lang(const struct conf_site *s, const struct conf_location *loc)
{
	if (loc != NULL && loc->has_lang)
		return loc->lang;
	return s->lang;
}

const char *
conf_search_path(const struct conf_site *s)
{
	return s->search_path != NULL ? s->search_path : CONF_SEARCH_PATH;
}

const char *
conf_changes_path(const struct conf_site *s)
{
	return s->changes_path != NULL ? s->changes_path : CONF_CHANGES_PATH;
}

const char *
conf_atom_path(const struct conf_site *s)
{
	return s->atom_path != NULL ? s->atom_path : CONF_ATOM_PATH;
}

int
conf_page_path_valid(const char *s)
{
	uint32_t cp;
	size_t i, k, len = strlen(s);

	if (len < 2 || len > CONF_PAGE_PATH_MAX || s[0] != '/' ||
	    s[len - 1] == '/' || !utf8_valid(s, len))
		return 0;
	for (i = 0; i < len; i += k) {
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0)
			return 0;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == '?' ||
		    cp == '#')
			return 0;
		/* A segment may not be empty, nor start with '.'. */
		if (cp == '/' && (s[i + 1] == '/' || s[i + 1] == '.'))
			return 0;
	}
	return 1;
}

/* 1 when a page at path would be answered by the search at search. */
static int
under_search(const char *path, const char *search)
{
	size_t n = strlen(search);

	return strncmp(path, search, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

int
conf_page_clash(const struct conf_site *s, const char **page,
    const char **by, const char **path)
{
	const char *search = conf_search_path(s);
	const char *changes = conf_changes_path(s);
	const char *atom = conf_atom_path(s);

	if (!s->changes)
		return 0;
	/* "/search/2" is the second page of results. */
	*by = "search-path";
	if (s->search && under_search(changes, search)) {
		*page = "changes-path";
		*path = changes;
		return 1;
	}
	*page = "atom-path";
	*path = atom;
	if (s->search && under_search(atom, search))
		return 1;
	*by = "changes-path";
	return strcmp(changes, atom) == 0;
}

int
conf_location_fastcgi(const struct conf_location *loc)
{
	return loc != NULL && (loc->fastcgi == CONF_FASTCGI_UNIX ||
	    loc->fastcgi == CONF_FASTCGI_TCP);
}

int
conf_fastcgi_ports(const struct conf *c, int **ports, size_t *n)
{
	const struct conf_location *l;
	size_t i, j, k, total = 0;
	int *p;

	*ports = NULL;
	*n = 0;
	for (i = 0; i < c->nsites; i++)
		total += c->sites[i].nlocations;
	if (total == 0)
		return 0;
	if ((p = calloc(total, sizeof(*p))) == NULL)
		return -1;
	for (i = 0; i < c->nsites; i++)
		for (j = 0; j < c->sites[i].nlocations; j++) {
			l = &c->sites[i].locations[j];
			if (l->fastcgi != CONF_FASTCGI_TCP)
				continue;
			/* Kept ascending, each once: an insertion. */
			for (k = *n; k > 0 && p[k - 1] > l->fastcgi_port; k--)
				;
			if (k > 0 && p[k - 1] == l->fastcgi_port)
				continue;
			memmove(p + k + 1, p + k, (*n - k) * sizeof(*p));
			p[k] = l->fastcgi_port;
			(*n)++;
		}
	if (*n == 0) {
		free(p);
		return 0;
	}
	*ports = p;
	return 0;
}

int
conf_location_protected(const struct conf_location *loc)
{
	return loc != NULL && (loc->require_cert || loc->allow.nfp > 0 ||
	    loc->allow.nfiles > 0);
}

int
conf_capsule_writable(const struct conf_site *s)
{
	return s->titan;
}

int
conf_gopher_public_port(const struct conf_site *s)
{
	return s->gopher_public_port != 0 ? s->gopher_public_port :
	    s->gopher_port;
}

int
conf_hostname_valid(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	size_t i, len = strlen(s);

	if (len == 0 || len > 253)
		return 0;
	if (inet_pton(AF_INET6, s, buf) == 1 || inet_pton(AF_INET, s, buf) == 1)
		return 1;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	/* The certificate is named after it: no "a.", no ".." */
	return s[0] != '.' && s[0] != '-' && s[len - 1] != '.' &&
	    strstr(s, "..") == NULL;
}

int
conf_lang_valid(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 35)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int
conf_address_valid(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

int
conf_target_valid(const char *s)
{
	struct uri_ref u;
	uint32_t cp;
	size_t i, k, len = strlen(s);

	/* Empty would send the client back where it came from. */
	if (len == 0 || len > REQUEST_MAX || !utf8_valid(s, len))
		return 0;
	for (i = 0; i < len; i += k) {
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0)
			return 0;
		/* Spaces and C0, DEL and C1 controls would break the header. */
		if (cp <= 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return 0;
		if (cp == '%' && (i + 2 >= len || !is_hex(s[i + 1]) ||
		    !is_hex(s[i + 2])))
			return 0;
	}
	return uri_split(s, len, &u) == 0;
}

int
conf_names_equal(const char *a, const char *b)
{
	size_t alen, blen;

	if (a == NULL || b == NULL)
		return 0;
	alen = strlen(a);
	blen = strlen(b);
	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

int
conf_int_from(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int
conf_on_off_from(const char *s, int *out)
{
	if (strcmp(s, "on") == 0)
		*out = 1;
	else if (strcmp(s, "off") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* A number from 1 to CONF_LIMIT_MAX, digits only, ending at end. */
static int
limit_number(const char *s, const char *end, int *out)
{
	long v = 0;

	if (s == end || *s == '0')
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > CONF_LIMIT_MAX)
			return -1;
	}
	*out = (int)v;
	return 0;
}

int
conf_limit_parse(const char *s, int *out)
{
	if (strcmp(s, "off") == 0) {
		*out = 0;
		return 0;
	}
	return limit_number(s, s + strlen(s), out);
}

int
conf_rate_parse(const char *const *words, size_t n, int *rate, int *burst,
    const char **bad)
{
	const char *v = n > 0 ? words[0] : "", *slash;

	*bad = v;
	if (strcmp(v, "off") == 0) {
		if (n > 1) {
			*bad = words[1];
			return -1;
		}
		*rate = *burst = 0;
		return 0;
	}
	if ((slash = strchr(v, '/')) == NULL || strcmp(slash, "/s") != 0 ||
	    limit_number(v, slash, rate) == -1)
		return -1;
	*burst = *rate;
	if (n == 1)
		return 0;
	*bad = words[1];
	if (strcmp(words[1], "burst") != 0)
		return -1;
	if (n != 3) {
		*bad = n > 3 ? words[3] : words[1];
		return -1;
	}
	*bad = words[2];
	return limit_number(words[2], words[2] + strlen(words[2]), burst);
}
