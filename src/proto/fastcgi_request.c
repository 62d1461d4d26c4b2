/*
 * What a FastCGI responder is given of a Gemini or Gopher request: the
 * program environment (program_env.h) made from the connection and the
 * parsed request, then the exchange (fastcgi.c).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "conf.h"
#include "conn.h"
#include "fastcgi.h"
#include "gemini_reply.h"
#include "gemini_request.h"
#include "generation.h"
#include "gopher_reply.h"
#include "gopher_request.h"
#include "program_env.h"
#include "zone.h"

/* What both protocols fill the same way. */
struct common {
	char			 filename[PATH_MAX + REQUEST_MAX + 1];
	char			 hash[2 * CONF_FINGERPRINT_LEN + 1];
	struct program_cert	 cert;
};

static void
common(struct conn *c, struct program_request *r, struct common *k,
    const char *path)
{
	const struct conf_site *site = conn_site(c)->conf;
	const struct client_cert *cc = conn_cert(c);
	static const char hex[] = "0123456789abcdef";
	size_t i;

	r->software = "attache/" ATTACHE_VERSION;
	r->server_name = site->name;
	r->server_port = (unsigned)conn_local_port(c);
	r->script_name = path;
	r->path_info = "";
	r->document_root = site->capsule;
	/* What the file would be; a param SCRIPT_FILENAME replaces it. */
	if (snprintf(k->filename, sizeof(k->filename), "%s%s", site->capsule,
	    path) >= (int)sizeof(k->filename))
		k->filename[0] = '\0';
	r->script_filename = k->filename;
	r->remote_addr = conn_peer(c);
	conn_tls_names(c, &r->tls_version, &r->tls_cipher);
	if (cc->present) {
		for (i = 0; i < CONF_FINGERPRINT_LEN; i++) {
			k->hash[2 * i] = hex[cc->sha256[i] >> 4];
			k->hash[2 * i + 1] = hex[cc->sha256[i] & 15];
		}
		k->hash[2 * CONF_FINGERPRINT_LEN] = '\0';
		/* Only the fingerprint is kept of a client's certificate. */
		k->cert.hash_hex = k->hash;
		k->cert.subject_cn = k->cert.subject = k->cert.issuer = "";
		k->cert.not_before = k->cert.not_after = "";
		r->cert = &k->cert;
	}
}

void
fastcgi_gemini(struct conn *c, const struct conf_location *loc,
    const char *line, size_t len, const struct gemini_request *req)
{
	struct program_request r;
	struct program_env *env;
	struct common k;
	char url[REQUEST_MAX + 1];

	memset(&r, 0, sizeof(r));
	if (len > REQUEST_MAX)
		len = REQUEST_MAX;
	memcpy(url, line, len);
	url[len] = '\0';
	r.proto = PROGRAM_GEMINI;
	r.url = url;
	r.query = req->has_query ? req->query : NULL;
	common(c, &r, &k, req->path);
	if ((env = malloc(sizeof(*env))) == NULL) {
		gemini_header_only(c, 42, "Server error", "out of memory");
		return;
	}
	if (program_env_build(&r, env) == -1)
		gemini_header_only(c, 59, "Bad request", env->why);
	else
		fastcgi_start(c, loc, env, 0, req->path);
	free(env);
}

int
fastcgi_gopher(struct conn *c, const char *path, size_t len,
    const struct gopher_request *req)
{
	const struct conf_site *site = conn_site(c)->conf;
	const struct conf_location *loc;
	struct program_request r;
	struct program_env *env;
	struct common k;
	char sel[REQUEST_MAX + 1], search[REQUEST_MAX + 1];
	char url[2 * REQUEST_MAX + 64];
	size_t n;

	(void)len;
	loc = conf_location_match(site, path);
	if (!conf_location_fastcgi(loc))
		return 0;
	memset(&r, 0, sizeof(r));
	r.proto = PROGRAM_GOPHER;
	n = req->sellen < REQUEST_MAX ? req->sellen : REQUEST_MAX;
	memcpy(sel, req->selector, n);
	sel[n] = '\0';
	r.selector = sel;
	if (req->has_search) {
		n = req->searchlen < REQUEST_MAX ? req->searchlen : REQUEST_MAX;
		memcpy(search, req->search, n);
		search[n] = '\0';
		r.search = search;
	}
	snprintf(url, sizeof(url), "gopher://%s:%d/%s", site->name,
	    conf_gopher_public_port(site), sel[0] == '/' ? sel + 1 : sel);
	r.url = url;
	common(c, &r, &k, path);
	if ((env = malloc(sizeof(*env))) == NULL) {
		gopher_error(c, "Server error", "out of memory");
		return 1;
	}
	if (program_env_build(&r, env) == -1)
		gopher_error(c, "Bad request", env->why);
	else
		fastcgi_start(c, loc, env, 1, path);
	free(env);
	return 1;
}
