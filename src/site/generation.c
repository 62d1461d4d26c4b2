/* A configuration generation: built once, shared, freed by its last user. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "generation.h"
#include "bundle.h"
#include "certlist.h"
#include "capsule_service.h"
#include "check.h"
#include "listen_plan.h"
#include "render_cache.h"
#include "sni.h"
#include "tls.h"
#include "tls_tickets.h"

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
	/*
	 * Gopher over TLS: the port's site, whatever name is asked for, and
	 * no client certificate, which no Gopher request uses.
	 */
	if (slot == NULL) {
		tls_ask_client_cert(ssl, 0);
		return SSL_CLIENT_HELLO_SUCCESS;
	}
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext,
	    &len) == 1 && sni_parse(ext, len, name, sizeof(name)) == 0)
		site = generation_site(g, name);
	if (site == NULL)
		site = &g->sites[0];
	if (site->tls != SSL_get_SSL_CTX(ssl) &&
	    SSL_set_SSL_CTX(ssl, site->tls) == NULL)
		return SSL_CLIENT_HELLO_ERROR;
	tls_ask_client_cert(ssl, site->asks_cert);
	*slot = site;
	return SSL_CLIENT_HELLO_SUCCESS;
}

/*
 * Whether anything of the site reads a client certificate: a zone, Titan,
 * a program (which may answer 60 itself).  Only then do its handshakes ask
 * for one: the request, and the client's empty answer to it, cost a
 * handshake about 6 % of its CPU (docs/performance.md).
 */
static int
site_uses_certs(const struct conf_site *cs)
{
	const struct conf_location *loc;
	size_t i;

	if (cs->titan || cs->operators.nfp > 0 || cs->operators.nfiles > 0)
		return 1;
	for (i = 0; i < cs->nlocations; i++) {
		loc = &cs->locations[i];
		if (loc->require_cert || loc->allow.nfp > 0 ||
		    loc->allow.nfiles > 0 || loc->cgi ||
		    loc->fastcgi != CONF_FASTCGI_OFF)
			return 1;
	}
	return 0;
}

/*
 * The site's TLS context.  Its own session id context (a hash of its name)
 * keeps a session of one site from being resumed on another.
 */
static int
site_tls(struct generation *g, struct site *s, const struct bundle *files,
    struct tls_tickets *tickets, struct conf_diag *d)
{
	const struct conf_site *cs = s->conf;
	const struct bundle_file *fc;
	struct tls_pem crt;
	unsigned char sid[EVP_MAX_MD_SIZE];
	unsigned int sidlen = 0;
	char err[8192 + 64];

	/*
	 * The privileged process read the pair: the certificate is in the
	 * bundle, the key in the key process, which signs for us.
	 */
	if (tls_pair_paths(cs->certs, cs->name, &s->cert, err,
	    sizeof(err)) == -1)
		s->tls = NULL;
	else if ((fc = bundle_find(files, s->cert.crt_path)) == NULL) {
		snprintf(err, sizeof(err), "%s was not read",
		    s->cert.crt_path);
		s->tls = NULL;
	} else {
		crt = (struct tls_pem){ fc->path, fc->data, fc->len };
		s->tls = tls_context_from_pem(&crt, NULL, s->cert.fingerprint,
		    err, sizeof(err));
	}
	if (s->tls == NULL) {
		conf_report(d, cs->certs_line ? cs->certs_line : cs->line,
		    "%s", err);
		return -1;
	}
	if (EVP_Digest(cs->name, strlen(cs->name), sid, &sidlen, EVP_sha256(),
	    NULL) != 1 || sidlen > SSL_MAX_SID_CTX_LENGTH ||
	    SSL_CTX_set_session_id_context(s->tls, sid, sidlen) != 1 ||
	    (tickets != NULL && tls_tickets_use(s->tls, tickets) == -1)) {
		conf_report(d, cs->line, "site %s: cannot set up TLS sessions",
		    cs->name);
		return -1;
	}
	s->asks_cert = site_uses_certs(cs);
	SSL_CTX_set_client_hello_cb(s->tls, client_hello_cb, g);
	return 0;
}

static int
site_open(struct generation *g, struct site *s, const struct conf_site *cs,
    const struct bundle *files, struct service_registry *services,
    struct tls_tickets *tickets, struct conf_diag *d)
{
	const char **names;
	char err[8192];
	size_t i;

	s->conf = cs;
	s->capsule.rootfd = -1;
	if ((names = calloc(cs->naliases + 1, sizeof(*names))) == NULL) {
		conf_report(d, cs->line, "out of memory");
		return -1;
	}
	names[0] = cs->name;
	for (i = 0; i < cs->naliases; i++)
		names[i + 1] = cs->aliases[i];
	s->names = names;
	s->nnames = cs->naliases + 1;
	if ((s->cache = render_cache_new(RENDER_CACHE_BYTES)) == NULL) {
		conf_report(d, cs->line, "out of memory");
		return -1;
	}
	if (capsule_open(&s->capsule, cs->capsule, err, sizeof(err)) == -1) {
		conf_report(d, cs->capsule_line, "%s", err);
		return -1;
	}
	/* Programs are told where the capsule is (DOCUMENT_ROOT). */
	if ((s->root = realpath(cs->capsule, NULL)) == NULL) {
		conf_report(d, cs->capsule_line, "capsule %s: %s", cs->capsule,
		    strerror(errno));
		return -1;
	}
	if (check_path_inside(cs->certs, cs->capsule)) {
		conf_report(d, cs->certs_line, "%s: certificate directory is "
		    "inside the capsule %s; refusing to serve its keys",
		    cs->certs, cs->capsule);
		return -1;
	}
	if (g->conf->gemini_port != 0 &&
	    site_tls(g, s, files, tickets, d) == -1)
		return -1;
	/*
	 * Kept across reloads: the same capsule gets the same service.  Every
	 * site has one: it says which files are being written.
	 */
	if (services != NULL && (s->service = capsule_service_get(services,
	    cs->capsule, cs->search ? SERVICE_SEARCH : cs->changes ?
	    SERVICE_CHANGES : SERVICE_WATCH, err, sizeof(err))) == NULL) {
		conf_report(d, cs->capsule_line, "%s", err);
		return -1;
	}
	return 0;
}

/* The listeners of the plan, with their protocol and site. */
static int
plan_listeners(struct generation *g, struct conf_diag *d)
{
	struct listen_spec *specs;
	struct gen_listener *l;
	size_t i, n;

	if ((specs = listen_plan(g->conf, &n)) == NULL ||
	    (g->listeners = calloc(n + 1, sizeof(*g->listeners))) == NULL) {
		free(specs);
		conf_report(d, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		l = &g->listeners[g->nlisteners++];
		l->proto = specs[i].proto;
		memcpy(l->addr, specs[i].addr, sizeof(l->addr));
		l->port = specs[i].port;
		l->site = specs[i].proto == LISTEN_GOPHER ?
		    &g->sites[specs[i].site] : NULL;
		l->line = specs[i].line;
		l->optional = specs[i].optional;
		l->proxy = specs[i].proxy;
	}
	free(specs);
	return 0;
}

static void
generation_free(struct generation *g)
{
	size_t i;

	for (i = 0; i < g->nsites; i++) {
		capsule_close(&g->sites[i].capsule);
		free(g->sites[i].root);
		capsule_service_unref(g->sites[i].service);
		SSL_CTX_free(g->sites[i].tls);
		free((void *)g->sites[i].names);
		render_cache_free(g->sites[i].cache);
	}
	free(g->sites);
	free(g->fastcgi);
	for (i = 0; i < g->nlisteners; i++)
		free((void *)g->listeners[i].fds);
	free(g->listeners);
	conf_free(g->conf);
	if (g->live != NULL)
		atomic_fetch_sub(g->live, 1);
	free(g);
}

struct generation *
generation_new(struct conf *conf, const struct bundle *files,
    unsigned long id, atomic_uint *live, struct service_registry *services,
    struct tls_tickets *tickets, struct conf_diag *diag)
{
	struct generation *g;
	unsigned before = diag->errors;
	size_t i;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		conf_free(conf);
		conf_report(diag, 0, "out of memory");
		return NULL;
	}
	atomic_init(&g->refs, 1);
	g->id = id;
	g->conf = conf;
	g->live = live;
	if (live != NULL)
		atomic_fetch_add(live, 1);
	if ((g->sites = calloc(conf->nsites, sizeof(*g->sites))) == NULL ||
	    (g->fastcgi = calloc(conf->nsites, sizeof(*g->fastcgi))) ==
	    NULL) {
		conf_report(diag, 0, "out of memory");
		generation_free(g);
		return NULL;
	}
	/* Every site is tried, so that every problem is reported at once. */
	for (i = 0; i < conf->nsites; i++) {
		g->nsites++;
		/* Read now, so that each reload reads the lists again. */
		(void)certlist_load_site(&conf->sites[i], bundle_reader,
		    (void *)files, diag);
		(void)site_open(g, &g->sites[i], &conf->sites[i], files,
		    services, tickets, diag);
	}
	if (diag->errors > before || plan_listeners(g, diag) == -1) {
		generation_free(g);
		return NULL;
	}
	return g;
}

void
generation_start(struct generation *g)
{
	size_t i;

	for (i = 0; i < g->nsites; i++)
		if (g->sites[i].service != NULL)
			capsule_service_start(g->sites[i].service);
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
