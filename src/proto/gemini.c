/* Gemini: answers one validated request from the capsule. */
#include <netinet/in.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "capsule.h"
#include "cgi.h"
#include "conn.h"
#include "fastcgi.h"
#include "gemini_generated.h"
#include "gemini_reply.h"
#include "gemini_request.h"
#include "generation.h"
#include "listing.h"
#include "log.h"
#include "mime.h"
#include "protocols.h"
#include "render_cache.h"
#include "titan.h"
#include "titan_request.h"
#include "uri.h"
#include "whole_file.h"
#include "zone.h"

#define META_MAX	1024

/* 31 to the same path with a trailing slash, query kept. */
static void
gemini_redirect_slash(struct conn *c, const struct gemini_request *req)
{
	char enc[3 * REQUEST_MAX + 1], meta[META_MAX + 1];
	int n;

	n = uri_percent_encode_path(req->path, req->pathlen, enc, sizeof(enc),
	    0);
	if (n == -1 || (n = snprintf(meta, sizeof(meta), "%s/%s%s", enc,
	    req->has_query ? "?" : "", req->has_query ? req->query : "")) < 0 ||
	    n >= (int)sizeof(meta)) {
		gemini_header_only(c, 59, "Request too long",
		    "redirect target too long");
		return;
	}
	gemini_header_only(c, 31, meta, NULL);
}

/*
 * The names removed from the directory lately, to be written again, join
 * its listing; 1 when it answered instead (the last listing kept, a wait).
 */
static int
gemini_listing_whole(struct conn *c, const char *path, int dirfd,
    const struct stat *st, struct capsule_dirent **ents, size_t *n,
    const char *lang, int *keep)
{
	struct whole_ask a = { path, path, RENDER_GEMINI_LISTING, 0 };
	struct whole_got got;
	enum file_answer r = whole_file_listing(c, &a, dirfd, st, ents, n,
	    &got);

	*keep = got.keep;
	if (r == FILE_READY && got.blob == NULL)
		return 0;
	if (r == FILE_READY && (gemini_success(c, "text/gemini", lang) == -1 ||
	    conn_write_blob(c, got.blob) == -1))
		log_warn("%s: out of memory for a listing", conn_peer(c));
	if (r == FILE_BUSY)
		gemini_header_only(c, 40, "Being written; try again shortly",
		    "being written for longer than the bound");
	whole_file_done(&got);
	return 1;
}

static void
gemini_listing(struct conn *c, const char *path, int dirfd,
    const struct stat *st, const char *lang)
{
	struct render_cache *cache = conn_site(c)->cache;
	struct capsule_dirent *ents;
	struct render_blob *b;
	struct evbuffer *body;
	struct timespec now;
	size_t n;
	int keep;

	if (!conn_site(c)->conf->listing) {
		gemini_header_only(c, 51, "Not found", "listing off");
		return;
	}
	/* The same directory as last time: the same listing. */
	if ((b = render_cache_get(cache, RENDER_GEMINI_LISTING, path,
	    st)) != NULL) {
		if (gemini_success(c, "text/gemini", lang) == -1 ||
		    conn_write_blob(c, b) == -1)
			log_warn("%s: out of memory for a listing", conn_peer(c));
		render_blob_unref(b);
		return;
	}
	if (capsule_list(&conn_site(c)->capsule, path, dirfd, &ents, &n) == -1) {
		gemini_header_only(c, 40, "Temporary failure",
		    "cannot list directory");
		return;
	}
	if (gemini_listing_whole(c, path, dirfd, st, &ents, &n, lang, &keep)) {
		capsule_list_free(ents, n);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if ((body = evbuffer_new()) == NULL ||
	    listing_gemtext(body, path, ents, n) == -1 ||
	    gemini_success(c, "text/gemini", lang) == -1)
		log_warn("%s: out of memory for a listing", conn_peer(c));
	else if (keep && (b = render_cache_put(cache, RENDER_GEMINI_LISTING,
	    path, st, body, &now)) != NULL) {
		if (conn_write_blob(c, b) == -1)
			log_warn("%s: out of memory for a listing", conn_peer(c));
		render_blob_unref(b);
	} else if (conn_write_buffer(c, body) == -1)
		log_warn("%s: out of memory for a listing", conn_peer(c));
	if (body != NULL)
		evbuffer_free(body);
	capsule_list_free(ents, n);
}

/*
 * The answer of a whole version of the file: sent, or a wait, or why not.
 * name gives the MIME type ("" for a directory's index).
 */
static void
gemini_whole(struct conn *c, enum file_answer r, struct whole_got *got,
    const char *name, const char *lang)
{
	switch (r) {
	case FILE_READY:
		if (gemini_success(c, *name == '\0' ? "text/gemini" :
		    mime_type(name, strlen(name)), lang) == 0)
			whole_file_send(c, got);
		break;
	case FILE_WAITING:
		break;
	case FILE_BUSY:
		gemini_header_only(c, 40, "Being written; try again shortly",
		    "being written for longer than the bound");
		break;
	case FILE_MISSING:
		gemini_header_only(c, 51, "Not found", "no such file");
		break;
	case FILE_FAILED:
		gemini_header_only(c, 40, "Temporary failure", got->why);
		break;
	}
	whole_file_done(got);
}

/* The file at path, or its directory's index.gmi: one whole version. */
static void
gemini_file(struct conn *c, const char *path, int index,
    struct capsule_object *o, const char *lang)
{
	char file[REQUEST_MAX + sizeof("index.gmi")];
	struct whole_ask a = { file, path, RENDER_FILE, RENDER_BLOB_MAX };
	struct whole_got got;

	snprintf(file, sizeof(file), "%s%s", path, index ? "index.gmi" : "");
	gemini_whole(c, whole_file(c, &a, o->fd, &o->st, &got), &got,
	    index ? "" : strrchr(path, '/') + 1, lang);
}

/*
 * Not found, or (dir set) a directory without index.gmi: removed to be
 * written again (a checkout), or really missing; 1 when it answered.
 */
static int
gemini_rewritten(struct conn *c, const char *path, const struct stat *dir,
    const char *lang)
{
	char file[REQUEST_MAX + sizeof("index.gmi")];
	struct whole_ask a = { file, path, RENDER_FILE, RENDER_BLOB_MAX };
	struct whole_got got;
	enum file_answer r;
	int slash = path[strlen(path) - 1] == '/';

	snprintf(file, sizeof(file), "%s%s", path, slash ? "index.gmi" : "");
	if ((r = whole_file_missing(c, &a, dir, &got)) == FILE_MISSING)
		return 0;
	gemini_whole(c, r, &got, slash ? "" : strrchr(path, '/') + 1, lang);
	return 1;
}

/* What a location says instead of the file: 1 when it answered. */
static int
gemini_location(struct conn *c, const struct conf_location *loc)
{
	switch (loc != NULL ? loc->action : CONF_ACTION_NONE) {
	case CONF_ACTION_REDIRECT:
		gemini_header_only(c, 31, loc->target, NULL);
		return 1;
	case CONF_ACTION_REDIRECT_TEMPORARY:
		gemini_header_only(c, 30, loc->target, NULL);
		return 1;
	case CONF_ACTION_GONE:
		gemini_header_only(c, 52, "Gone", "gone");
		return 1;
	case CONF_ACTION_NONE:
		break;
	}
	return 0;
}

/* A protected zone without the certificate it needs: 1 when it answered. */
static int
gemini_zone(struct conn *c, const struct conf_location *loc)
{
	switch (zone_admit(loc, conn_cert(c))) {
	case 60:
		gemini_header_only(c, 60, "Certificate required",
		    "no certificate");
		return 1;
	case 61:
		gemini_header_only(c, 61, "Not authorised",
		    "certificate not allowed here");
		return 1;
	case 62:
		gemini_header_only(c, 62, "Certificate not valid",
		    "certificate out of date");
		return 1;
	}
	return 0;
}

static void
gemini_answer(struct conn *c, const char *line, size_t len)
{
	const struct conf_site *site = conn_site(c)->conf;
	const struct conf_location *loc;
	struct gemini_target t;
	struct gemini_request req;
	struct capsule_object o;
	enum capsule_result r;
	char local[INET6_ADDRSTRLEN];
	const char *lang;
	int status;

	memset(&t, 0, sizeof(t));
	t.hostname = site->name;
	t.aliases = (const char *const *)site->aliases;
	t.naliases = site->naliases;
	t.port = (unsigned)conn_local_port(c);
	/* Only Gemini asks: a host given as the address we were reached on. */
	conn_local_addr(c, local, sizeof(local));
	t.local_addr = local[0] != '\0' ? local : NULL;
	if (titan_request_is(line, len)) {
		titan_answer(c, line, len, &t);
		return;
	}
	status = gemini_request_parse(line, len, &t, &req);
	if (status == 59) {
		gemini_header_only(c, 59, "Bad request", req.reason);
		return;
	}
	if (status == 53) {
		gemini_header_only(c, 53, "Proxy request refused",
		    req.reason);
		return;
	}
	loc = conf_location_match(site, req.path);
	if (gemini_zone(c, loc) || gemini_location(c, loc))
		return;
	if (conf_location_fastcgi(loc)) {
		fastcgi_gemini(c, loc, line, len, &req);
		return;
	}
	if (cgi_gemini(c, &req, line, len))
		return;
	lang = conf_lang(site, loc);
	if (gemini_generated(c, &req, lang))
		return;
	switch (r = capsule_resolve(&conn_site(c)->capsule, req.path, req.pathlen,
	    &o)) {
	case CAPSULE_FILE:
	case CAPSULE_DIR_INDEX:
		gemini_file(c, req.path, r == CAPSULE_DIR_INDEX, &o, lang);
		break;
	case CAPSULE_DIR_LISTING:
		if (!gemini_rewritten(c, req.path, &o.st, lang))
			gemini_listing(c, req.path, o.fd, &o.st, lang);
		close(o.fd);
		break;
	case CAPSULE_NEED_SLASH:
		gemini_redirect_slash(c, &req);
		break;
	case CAPSULE_NOT_FOUND:
		if (!gemini_rewritten(c, req.path, NULL, lang))
			gemini_header_only(c, 51, "Not found", o.why);
		break;
	case CAPSULE_REFUSED:
		gemini_header_only(c, 51, "Not found", o.why);
		break;
	case CAPSULE_ERROR:
		gemini_header_only(c, 40, "Temporary failure", o.why);
		break;
	}
}

static void
gemini_slow_down(struct conn *c, int seconds)
{
	char meta[16];

	snprintf(meta, sizeof(meta), "%d", seconds);
	gemini_header_only(c, 44, meta, "over the rate limit");
}

static void
gemini_too_long(struct conn *c)
{
	gemini_header_only(c, 59, "Request too long", "request longer than "
	    STR(REQUEST_MAX) " bytes");
}

const struct protocol gemini_protocol = {
	.name = "gemini",
	.tls = 1,
	.crlf_only = 1,
	.request = gemini_answer,
	.too_long = gemini_too_long,
	.slow_down = gemini_slow_down,
};
