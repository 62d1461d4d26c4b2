/* A configuration generation: built once, shared, freed by its last user. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "generation.h"
#include "check.h"
#include "render_cache.h"
#include "server.h"
#include "sni.h"

static void	gen_report(struct conf_diag *, unsigned, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
gen_report(struct conf_diag *d, unsigned line, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->errors++;
	d->report(d->arg, line, msg);
}

const struct site *
generation_site(const struct generation *g, const char *name)
{
	size_t i, j;

	for (i = 0; i < g->nsites; i++)
		for (j = 0; j < g->sites[i].nnames; j++)
			if (conf_names_equal(g->sites[i].names[j], name))
				return &g->sites[i];
	return NULL;
}

/*
 * Before the handshake goes on: the site is the one the client names (SNI),
 * or the first.  Switching the context here, before the session and the
 * certificate are chosen, makes both the site's.
 */
static int
client_hello_cb(SSL *ssl, int *alert, void *arg)
{
	const struct generation *g = arg;
	const struct site **slot = SSL_get_app_data(ssl);
	const struct site *site = NULL;
	const unsigned char *ext;
	char name[SNI_NAME_MAX + 1];
	size_t len;

	(void)alert;
	/* Gopher over TLS: the port's site, whatever name is asked for. */
	if (slot == NULL)
		return SSL_CLIENT_HELLO_SUCCESS;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext,
	    &len) == 1 && sni_parse(ext, len, name, sizeof(name)) == 0)
		site = generation_site(g, name);
	if (site == NULL)
		site = &g->sites[0];
	if (site->tls != SSL_get_SSL_CTX(ssl) &&
	    SSL_set_SSL_CTX(ssl, site->tls) == NULL)
		return SSL_CLIENT_HELLO_ERROR;
	*slot = site;
	return SSL_CLIENT_HELLO_SUCCESS;
}

/*
 * The site's TLS context.  Its own session id context (a hash of its name)
 * keeps a session of one site from being resumed on another.
 */
static int
site_tls(struct generation *g, struct site *s, struct conf_diag *d)
{
	const struct conf_site *cs = s->conf;
	unsigned char sid[EVP_MAX_MD_SIZE];
	unsigned int sidlen = 0;
	char err[8192];

	s->tls = tls_site_context_new(cs->certs, cs->name,
	    (const char *const *)cs->aliases, cs->naliases, 1, &s->cert, err,
	    sizeof(err));
	if (s->tls == NULL) {
		gen_report(d, cs->certs_line ? cs->certs_line : cs->line,
		    "%s", err);
		return -1;
	}
	if (EVP_Digest(cs->name, strlen(cs->name), sid, &sidlen, EVP_sha256(),
	    NULL) != 1 || sidlen > SSL_MAX_SID_CTX_LENGTH ||
	    SSL_CTX_set_session_id_context(s->tls, sid, sidlen) != 1) {
		gen_report(d, cs->line, "site %s: cannot set up TLS sessions",
		    cs->name);
		return -1;
	}
	SSL_CTX_set_client_hello_cb(s->tls, client_hello_cb, g);
	return 0;
}

static int
site_open(struct generation *g, struct site *s, const struct conf_site *cs,
    struct conf_diag *d)
{
	const char **names;
	char err[8192];
	size_t i;

	s->conf = cs;
	s->capsule.rootfd = -1;
	if ((names = calloc(cs->naliases + 1, sizeof(*names))) == NULL) {
		gen_report(d, cs->line, "out of memory");
		return -1;
	}
	names[0] = cs->name;
	for (i = 0; i < cs->naliases; i++)
		names[i + 1] = cs->aliases[i];
	s->names = names;
	s->nnames = cs->naliases + 1;
	if ((s->cache = render_cache_new(RENDER_CACHE_BYTES)) == NULL) {
		gen_report(d, cs->line, "out of memory");
		return -1;
	}
	if (capsule_open(&s->capsule, cs->capsule, err, sizeof(err)) == -1) {
		gen_report(d, cs->capsule_line, "%s", err);
		return -1;
	}
	if (check_path_inside(cs->certs, cs->capsule)) {
		gen_report(d, cs->certs_line, "%s: certificate directory is "
		    "inside the capsule %s; refusing to serve its keys",
		    cs->certs, cs->capsule);
		return -1;
	}
	if (g->conf->gemini_port != 0 && site_tls(g, s, d) == -1)
		return -1;
	return 0;
}

static void
plan_add(struct generation *g, const struct protocol *proto,
    const char *addr, int port, const struct site *site, unsigned line,
    int optional, int proxy)
{
	struct gen_listener *l = &g->listeners[g->nlisteners++];

	l->proto = proto;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	l->port = port;
	l->site = site;
	l->line = line;
	l->optional = optional;
	l->proxy = proxy;
}

/* Every address times the Gemini port and each site's Gopher port. */
static int
plan_listeners(struct generation *g, struct conf_diag *d)
{
	static const char *const any[] = { "0.0.0.0", "::" };
	const struct conf *c = g->conf;
	size_t naddrs = c->nlisten > 0 ? (size_t)c->nlisten : 2, i, j;
	const char *addr;
	int optional, proxy;

	g->listeners = calloc(naddrs * (g->nsites + 1),
	    sizeof(*g->listeners));
	if (g->listeners == NULL) {
		gen_report(d, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < naddrs; i++) {
		addr = c->nlisten > 0 ? c->listen[i].addr : any[i];
		/* IPv6 may be absent from the host: then IPv4 alone. */
		optional = c->nlisten == 0 && i == 1;
		proxy = c->proxy_protocol || (c->nlisten > 0 &&
		    c->listen[i].proxy);
		if (c->gemini_port != 0)
			plan_add(g, &gemini_protocol, addr, c->gemini_port,
			    NULL, c->gemini_port_line, optional, proxy);
		for (j = 0; j < g->nsites; j++)
			if (g->sites[j].conf->gopher_port != 0)
				plan_add(g, &gopher_protocol, addr,
				    g->sites[j].conf->gopher_port,
				    &g->sites[j],
				    g->sites[j].conf->gopher_port_line,
				    optional, proxy);
	}
	return 0;
}

static void
generation_free(struct generation *g)
{
	size_t i;

	for (i = 0; i < g->nsites; i++) {
		capsule_close(&g->sites[i].capsule);
		SSL_CTX_free(g->sites[i].tls);
		free((void *)g->sites[i].names);
		render_cache_free(g->sites[i].cache);
	}
	free(g->sites);
	for (i = 0; i < g->nlisteners; i++)
		free((void *)g->listeners[i].fds);
	free(g->listeners);
	conf_free(g->conf);
	if (g->live != NULL)
		atomic_fetch_sub(g->live, 1);
	free(g);
}

struct generation *
generation_new(struct conf *conf, unsigned long id, atomic_uint *live,
    struct conf_diag *diag)
{
	struct generation *g;
	unsigned before = diag->errors;
	size_t i;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		conf_free(conf);
		gen_report(diag, 0, "out of memory");
		return NULL;
	}
	atomic_init(&g->refs, 1);
	g->id = id;
	g->conf = conf;
	g->live = live;
	if (live != NULL)
		atomic_fetch_add(live, 1);
	if ((g->sites = calloc(conf->nsites, sizeof(*g->sites))) == NULL) {
		gen_report(diag, 0, "out of memory");
		generation_free(g);
		return NULL;
	}
	/* Every site is tried, so that every problem is reported at once. */
	for (i = 0; i < conf->nsites; i++) {
		g->nsites++;
		(void)site_open(g, &g->sites[i], &conf->sites[i], diag);
	}
	if (diag->errors > before || plan_listeners(g, diag) == -1) {
		generation_free(g);
		return NULL;
	}
	return g;
}

struct generation *
generation_ref(struct generation *g)
{
	atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
	return g;
}

void
generation_unref(struct generation *g)
{
	if (g == NULL)
		return;
	/* The last user frees; acq_rel orders its reads before the free. */
	if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
		generation_free(g);
}
