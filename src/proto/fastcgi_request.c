/*
 * What a FastCGI responder is given of a Gemini or Gopher request: the
 * program environment (program_env.h) made from the connection and the
 * parsed request, then the exchange (fastcgi.c).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

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
#include "program_request.h"
#include "titan_request.h"
#include "zone.h"

/* What both protocols fill the same way. */
struct common {
	char			 filename[PATH_MAX + REQUEST_MAX + 1];
	struct program_conn_text text;
};

static void
common(struct conn *c, struct program_request *r, struct common *k,
    const char *path)
{
	program_request_from_conn(c, r, &k->text);
	r->script_name = path;
	r->path_info = "";
	/* What the file would be; a param SCRIPT_FILENAME replaces it. */
	if (snprintf(k->filename, sizeof(k->filename), "%s%s",
	    r->document_root, path) >= (int)sizeof(k->filename))
		k->filename[0] = '\0';
	r->script_filename = k->filename;
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
		(void)fastcgi_start(c, loc, env, NULL, 0, req->path);
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
		(void)fastcgi_start(c, loc, env, NULL, 1, path);
	free(env);
	return 1;
}

/* A Titan upload on its way to a responder. */
struct titan_in {
	const struct conf_location *loc;
	struct evbuffer		*body;
	struct program_env	*env;
	char			 path[REQUEST_MAX + 1];
};

static void
titan_free(struct titan_in *ti)
{
	if (ti->body != NULL)
		evbuffer_free(ti->body);
	free(ti->env);
	free(ti);
}

static int
titan_data(struct conn *c, const char *p, size_t len)
{
	struct titan_in *ti = conn_body_arg(c);

	if (evbuffer_add(ti->body, p, len) == -1) {
		gemini_header_only(c, 40, "Temporary failure", "out of memory");
		return -1;
	}
	return 0;
}

static void
titan_complete(struct conn *c)
{
	struct titan_in *ti = conn_body_arg(c);

	if (fastcgi_start(c, ti->loc, ti->env, ti->body, 0, ti->path) == -1)
		conn_respond(c);
}

static void
titan_expired(struct conn *c)
{
	gemini_header_only(c, 40, "Upload timed out", "body too slow");
}

static void
titan_release(struct conn *c)
{
	titan_free(conn_body_arg(c));
}

static const struct conn_body_ops titan_body = {
	.data = titan_data,
	.complete = titan_complete,
	.expired = titan_expired,
	.release = titan_release,
};

int
fastcgi_titan(struct conn *c, const struct titan_request *req,
    const char *line, size_t len)
{
	const struct conf_site *site = conn_site(c)->conf;
	const struct conf_location *loc;
	struct program_request r;
	struct titan_in *ti;
	struct common k;
	char url[REQUEST_MAX + 1];

	loc = conf_location_match(site, req->path);
	if (!conf_location_fastcgi(loc))
		return 0;
	if (program_titan_admit(c, loc, req, site->titan_max_size, line, len,
	    url, &r))
		return 1;
	common(c, &r, &k, req->path);
	if ((ti = calloc(1, sizeof(*ti))) == NULL ||
	    (ti->env = malloc(sizeof(*ti->env))) == NULL ||
	    (ti->body = evbuffer_new()) == NULL) {
		if (ti != NULL) {
			free(ti->env);
			free(ti);
		}
		gemini_header_only(c, 40, "Temporary failure", "out of memory");
		return 1;
	}
	ti->loc = loc;
	snprintf(ti->path, sizeof(ti->path), "%s", req->path);
	if (program_env_build(&r, ti->env) == -1) {
		gemini_header_only(c, 59, "Bad request", ti->env->why);
		titan_free(ti);
		return 1;
	}
	if (conn_read_body(c, (off_t)req->size, &titan_body, ti) == -1) {
		gemini_header_only(c, 40, "Temporary failure",
		    "cannot arm the timer");
		titan_free(ti);
	}
	return 1;
}
