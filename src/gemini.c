/* Gemini: answers one validated request from the capsule. */
#include <netinet/in.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "capsule.h"
#include "gemini_request.h"
#include "listing.h"
#include "log.h"
#include "mime.h"
#include "server.h"
#include "uri.h"

#define META_MAX	1024

/* A response without a body: "NN META\r\n". */
static void
gemini_header_only(struct conn *c, int status, const char *meta,
    const char *why)
{
	char code[4];

	snprintf(code, sizeof(code), "%02d", status);
	conn_set_status(c, code, why);
	if (conn_printf(c, "%02d %s\r\n", status, meta) == -1)
		log_warn("%s: cannot queue a response", c->peer);
}

static int
gemini_success(struct conn *c, const char *mime)
{
	const char *lang = c->srv->cfg->lang;

	conn_set_status(c, "20", NULL);
	if (lang != NULL && strcmp(mime, "text/gemini") == 0)
		return conn_printf(c, "20 %s; lang=%s\r\n", mime, lang);
	return conn_printf(c, "20 %s\r\n", mime);
}

/* 31 to the same path with a trailing slash, query kept. */
static void
gemini_redirect_slash(struct conn *c, const struct gemini_request *req)
{
	char enc[3 * GEMINI_URI_MAX + 1], meta[META_MAX + 1];
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

static void
gemini_listing(struct conn *c, const char *path, int dirfd)
{
	struct capsule_dirent *ents;
	struct evbuffer *body;
	size_t n;

	if (capsule_list(&c->srv->capsule, path, dirfd, &ents, &n) == -1) {
		gemini_header_only(c, 40, "Temporary failure",
		    "cannot list directory");
		return;
	}
	if ((body = evbuffer_new()) == NULL ||
	    listing_gemtext(body, path, ents, n) == -1 ||
	    gemini_success(c, "text/gemini") == -1 ||
	    conn_write_buffer(c, body) == -1)
		log_warn("%s: out of memory for a listing", c->peer);
	if (body != NULL)
		evbuffer_free(body);
	capsule_list_free(ents, n);
}

static void
gemini_request(struct conn *c, const char *line, size_t len)
{
	struct gemini_target t;
	struct gemini_request req;
	struct capsule_object o;
	enum capsule_result r;
	char local[INET6_ADDRSTRLEN];
	const char *name;
	int status;

	t.hostname = c->srv->cfg->hostname;
	t.port = (unsigned)c->listener->port;
	/* Only Gemini asks: a host given as the address we were reached on. */
	conn_local_addr(c, local, sizeof(local));
	t.local_addr = local[0] != '\0' ? local : NULL;
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
	switch (r = capsule_resolve(&c->srv->capsule, req.path, req.pathlen,
	    &o)) {
	case CAPSULE_FILE:
	case CAPSULE_DIR_INDEX:
		name = strrchr(req.path, '/') + 1;
		if (gemini_success(c, r == CAPSULE_DIR_INDEX ? "text/gemini" :
		    mime_type(name, strlen(name))) == -1) {
			close(o.fd);
			return;
		}
		conn_send_file(c, o.fd, o.size);
		break;
	case CAPSULE_DIR_LISTING:
		gemini_listing(c, req.path, o.fd);
		close(o.fd);
		break;
	case CAPSULE_NEED_SLASH:
		gemini_redirect_slash(c, &req);
		break;
	case CAPSULE_NOT_FOUND:
	case CAPSULE_REFUSED:
		gemini_header_only(c, 51, "Not found", o.why);
		break;
	case CAPSULE_ERROR:
		gemini_header_only(c, 40, "Temporary failure", o.why);
		break;
	}
}

static void
gemini_too_long(struct conn *c)
{
	gemini_header_only(c, 59, "Request too long",
	    "request longer than 1024 bytes");
}

const struct protocol gemini_protocol = {
	.name = "gemini",
	.tls = 1,
	.request = gemini_request,
	.too_long = gemini_too_long,
};
