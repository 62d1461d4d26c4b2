/* Gopher: answers one request line from the capsule, gemtext as menus. */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "capsule.h"
#include "cgi.h"
#include "conn.h"
#include "fastcgi.h"
#include "generation.h"
#include "gopher_generated.h"
#include "gopher_pages.h"
#include "gopher_reply.h"
#include "gopher_request.h"
#include "gophermap.h"
#include "gophermap_file.h"
#include "listing.h"
#include "log.h"
#include "mime.h"
#include "protocols.h"
#include "render_cache.h"
#include "site_pages.h"
#include "uri.h"
#include "whole_file.h"
#include "zone.h"

#define MENU_SOURCE_MAX	(8 * 1024 * 1024)	/* biggest page shown as a menu */

/* A rendering the site's cache holds for this source: sent, 1. */
static int
gopher_cached(struct conn *c, enum render_kind kind, const char *path,
    const struct stat *st)
{
	struct render_blob *b;

	if ((b = render_cache_get(conn_site(c)->cache, kind, path, st)) == NULL)
		return 0;
	conn_set_status(c, "1", NULL);
	if (conn_write_blob(c, b) == -1)
		log_warn("%s: cannot queue a gopher response", conn_peer(c));
	render_blob_unref(b);
	return 1;
}

/* Sends a menu just rendered, keeping it for the next request. */
static void
gopher_send_menu(struct conn *c, enum render_kind kind, const char *path,
    const struct stat *st, struct evbuffer *body)
{
	struct render_blob *b;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if ((b = render_cache_put(conn_site(c)->cache, kind, path, st, body,
	    &now)) == NULL) {
		gopher_send(c, body, "1", NULL);
		return;
	}
	conn_set_status(c, "1", NULL);
	if (conn_write_blob(c, b) == -1)
		log_warn("%s: cannot queue a gopher response", conn_peer(c));
	render_blob_unref(b);
}

/* A blob: the menu, or the file, of a whole version. */
static void
gopher_blob(struct conn *c, struct render_blob *b, const char *type)
{
	conn_set_status(c, type, NULL);
	if (conn_write_blob(c, b) == -1)
		log_warn("%s: cannot queue a gopher response", conn_peer(c));
}

/* What is not a whole version: a wait, or a type-3 line; 1 then. */
static int
gopher_not_whole(struct conn *c, enum file_answer r, struct whole_got *got)
{
	switch (r) {
	case FILE_READY:
		return 0;
	case FILE_WAITING:
		break;
	case FILE_BUSY:
		gopher_error(c, "Being written: try again shortly",
		    "being written for longer than the bound");
		break;
	case FILE_MISSING:
		gopher_error(c, "Not found", "no such file");
		break;
	case FILE_FAILED:
		gopher_error(c, "Cannot show this page", got->why);
		break;
	}
	whole_file_done(got);
	return 1;
}

/* The menu of a whole version of a page: from the cache, or made now. */
static void
gopher_menu(struct conn *c, const struct whole_ask *a, struct whole_got *got,
    int root)
{
	struct gophermap_opts o;
	struct evbuffer *body;
	struct render_blob *b;

	if (got->blob != NULL) {
		gopher_blob(c, got->blob, "1");
		return;
	}
	gopher_options(c, a->path, &o);
	if ((body = evbuffer_new()) == NULL ||
	    gophermap_render(body, got->text, got->len, &o) == -1 ||
	    (root && gopher_root_items(c, body) == -1))
		gopher_error(c, "Server out of memory", "out of memory");
	else if ((b = whole_file_keep(c, a, got, body)) != NULL) {
		gopher_blob(c, b, "1");
		render_blob_unref(b);
	} else
		gopher_send(c, body, "1", NULL);
	if (body != NULL)
		evbuffer_free(body);
}

/*
 * A gemtext page as a menu; the root's (root set) with its own items,
 * kept in the cache as "/" (the page itself, asked for by its name, has
 * none).  fd -1: not found (dir: its directory's stat, or NULL), the
 * menu of its last whole version if it is being written again.  1 when it
 * answered.
 */
static int
gopher_page(struct conn *c, int fd, const struct stat *st,
    const char *page_path, int root, const struct stat *dir)
{
	struct whole_ask a = { page_path, root ? "/" : page_path,
	    RENDER_GOPHER_PAGE, MENU_SOURCE_MAX };
	struct whole_got got;
	enum file_answer r;

	if (fd == -1 && (r = whole_file_missing(c, &a, dir, &got)) ==
	    FILE_MISSING)
		return 0;
	if (fd != -1)
		r = whole_file(c, &a, fd, st, &got);
	if (!gopher_not_whole(c, r, &got)) {
		gopher_menu(c, &a, &got, root);
		whole_file_done(&got);
	}
	return 1;
}

/* Any other file, sent as it is: one whole version. */
static void
gopher_file(struct conn *c, const char *path, int fd, const struct stat *st)
{
	struct whole_ask a = { path, path, RENDER_FILE, RENDER_BLOB_MAX };
	struct whole_got got;
	const char *name = strrchr(path, '/') + 1;
	char type[2] = { mime_gopher_type(name, strlen(name)), '\0' };

	if (gopher_not_whole(c, fd != -1 ? whole_file(c, &a, fd, st, &got) :
	    whole_file_missing(c, &a, NULL, &got), &got))
		return;
	conn_set_status(c, type, NULL);
	whole_file_send(c, &got);
	whole_file_done(&got);
}

static int
listing_menu(struct evbuffer *out, const char *dirpath,
    const struct capsule_dirent *ents, size_t n, const struct gophermap_opts *o)
{
	char shown[PATH_MAX + 16], sel[PATH_MAX + NAME_MAX + 2];
	const char *parent_end;
	size_t i;
	int len;

	listing_display_name(dirpath, shown + 9, sizeof(shown) - 9);
	memcpy(shown, "Index of ", 9);
	if (gophermap_info(out, shown, strlen(shown), o) == -1 ||
	    gophermap_info(out, "", 0, o) == -1)
		return -1;
	if (strcmp(dirpath, "/") != 0) {
		/* The parent: dirpath up to and with its next-to-last '/'. */
		parent_end = dirpath + strlen(dirpath) - 1;
		while (parent_end > dirpath && parent_end[-1] != '/')
			parent_end--;
		if (gophermap_item(out, '1', "Parent directory", 16, dirpath,
		    (size_t)(parent_end - dirpath), o->host, o->port) == -1)
			return -1;
	}
	for (i = 0; i < n; i++) {
		len = snprintf(sel, sizeof(sel), "%s%s%s", dirpath,
		    ents[i].name, ents[i].is_dir ? "/" : "");
		if (len < 0 || (size_t)len >= sizeof(sel) ||
		    (size_t)len > REQUEST_MAX)
			continue;
		listing_display_name(ents[i].name, shown, sizeof(shown) - 1);
		if (ents[i].is_dir)
			strcat(shown, "/");
		if (gophermap_item(out, ents[i].is_dir ? '1' :
		    mime_gopher_type(ents[i].name, strlen(ents[i].name)),
		    shown, strlen(shown), sel, (size_t)len, o->host,
		    o->port) == -1)
			return -1;
	}
	if (n == 0 && gophermap_info(out, "(empty)", 7, o) == -1)
		return -1;
	return gophermap_end(out);
}

/* Leaves the entries in protected zones out (freed); returns how many stay. */
static size_t
gopher_public_entries(const struct conf_site *site, const char *dirpath,
    struct capsule_dirent *ents, size_t n)
{
	char path[PATH_MAX + NAME_MAX + 2];
	size_t i, kept = 0;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%s%s", dirpath, ents[i].name,
		    ents[i].is_dir ? "/" : "");
		if (zone_public(site, path))
			ents[kept++] = ents[i];
		else
			free(ents[i].name);
	}
	return kept;
}

static void
gopher_listing(struct conn *c, const char *path, int dirfd,
    const struct stat *st)
{
	struct whole_ask a = { NULL, NULL, RENDER_GOPHER_LISTING, 0 };
	struct capsule_dirent *ents;
	struct gophermap_opts o;
	struct whole_got got;
	struct evbuffer *body;
	size_t n;

	if (!conn_site(c)->conf->listing) {
		gopher_error(c, "Not found", "listing off");
		return;
	}
	if (gopher_cached(c, RENDER_GOPHER_LISTING, path, st))
		return;
	if (capsule_list(&conn_site(c)->capsule, path, dirfd, &ents, &n) == -1) {
		gopher_error(c, "Cannot list this directory",
		    "cannot list directory");
		return;
	}
	/* The names removed lately, to be written again, join it. */
	a.path = a.key = path;
	if (gopher_not_whole(c, whole_file_listing(c, &a, dirfd, st, &ents,
	    &n, &got), &got) || got.blob != NULL) {
		if (got.blob != NULL)
			gopher_blob(c, got.blob, "1");
		whole_file_done(&got);
		capsule_list_free(ents, n);
		return;
	}
	n = gopher_public_entries(conn_site(c)->conf, path, ents, n);
	gopher_options(c, path, &o);
	if ((body = evbuffer_new()) == NULL ||
	    listing_menu(body, path, ents, n, &o) == -1 ||
	    (strcmp(path, "/") == 0 && gopher_root_items(c, body) == -1))
		gopher_error(c, "Server out of memory", "out of memory");
	else if (got.keep)	/* nothing added to what it holds */
		gopher_send_menu(c, RENDER_GOPHER_LISTING, path, st, body);
	else
		gopher_send(c, body, "1", NULL);
	if (body != NULL)
		evbuffer_free(body);
	capsule_list_free(ents, n);
}

/* The hand-written menu of a whole version of a gophermap file. */
static void
gopher_map_menu(struct conn *c, const struct whole_ask *a,
    struct whole_got *got, const char *dirpath)
{
	struct gophermap_opts o;
	struct evbuffer *body;
	struct render_blob *b;

	if (got->blob != NULL) {
		gopher_blob(c, got->blob, "1");
		return;
	}
	gopher_options(c, dirpath, &o);
	if ((body = evbuffer_new()) == NULL ||
	    gophermap_file_render(body, got->text, got->len, dirpath, &o,
	    1) == -1 || (strcmp(dirpath, "/") == 0 &&
	    gopher_root_items(c, body) == -1))
		gopher_error(c, "Server out of memory", "out of memory");
	else if ((b = whole_file_keep(c, a, got, body)) != NULL) {
		gopher_blob(c, b, "1");
		render_blob_unref(b);
	} else
		gopher_send(c, body, "1", NULL);
	if (body != NULL)
		evbuffer_free(body);
}

/*
 * The directory's hand-written menu, when it has a gophermap file (one
 * whole version), or had one just now and is to again (dir: the
 * directory's stat, when known): 1 when it answered.
 */
static int
gopher_handwritten(struct conn *c, const char *dirpath, const struct stat *dir)
{
	char path[REQUEST_MAX + sizeof(GOPHERMAP_FILE_NAME) + 2];
	struct whole_ask a = { path, path, RENDER_GOPHER_PAGE,
	    MENU_SOURCE_MAX };
	struct whole_got got;
	enum file_answer r;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s%s", dirpath, GOPHERMAP_FILE_NAME);
	if ((fd = capsule_open_in_dir(&conn_site(c)->capsule, dirpath,
	    GOPHERMAP_FILE_NAME, &st)) != -1)
		r = whole_file(c, &a, fd, &st, &got);
	else if (dir == NULL || (r = whole_file_missing(c, &a, dir,
	    &got)) == FILE_MISSING)
		return 0;
	if (!gopher_not_whole(c, r, &got)) {
		gopher_map_menu(c, &a, &got, dirpath);
		whole_file_done(&got);
	}
	return 1;
}

/*
 * Gopher has no redirect: a moved page answers with a menu that says so
 * (a type-3 line, for clients that show errors) and links to the target,
 * resolved as a gemtext link of the page would be.
 */
static void
gopher_moved(struct conn *c, const char *path, const char *target)
{
	struct gophermap_opts o;
	struct evbuffer *body;
	char line[REQUEST_MAX + 64];
	int n;

	gopher_options(c, path, &o);
	n = snprintf(line, sizeof(line), "=> %s New location\n", target);
	if ((body = evbuffer_new()) == NULL || n < 0 ||
	    (size_t)n >= sizeof(line) ||
	    gophermap_item(body, '3', "This page has moved", 19, "", 0, o.host,
	    o.port) == -1 || gophermap_render(body, line, (size_t)n, &o) == -1)
		gopher_error(c, "Server out of memory", "out of memory");
	else
		gopher_send(c, body, "3", "moved");
	if (body != NULL)
		evbuffer_free(body);
}

/* What a location says instead of the file: 1 when it answered. */
static int
gopher_location(struct conn *c, const char *path)
{
	const struct conf_location *loc;

	if (!zone_public(conn_site(c)->conf, path)) {
		gopher_error(c, "Not available over Gopher", "protected zone");
		return 1;
	}
	loc = conf_location_match(conn_site(c)->conf, path);
	switch (loc != NULL ? loc->action : CONF_ACTION_NONE) {
	case CONF_ACTION_REDIRECT:
	case CONF_ACTION_REDIRECT_TEMPORARY:
		gopher_moved(c, path, loc->target);
		return 1;
	case CONF_ACTION_GONE:
		gopher_error(c, "Gone", "gone");
		return 1;
	case CONF_ACTION_NONE:
		break;
	}
	return 0;
}

/*
 * Not found: removed to be written again (a checkout), its last whole
 * version; else not found.
 */
static void
gopher_missing(struct conn *c, char *path, size_t len)
{
	const char *name = strrchr(path, '/') + 1;

	if (path[len - 1] == '/') {
		strcpy(path + len, "index.gmi");
		if (!gopher_page(c, -1, NULL, path, len == 1, NULL))
			gopher_error(c, "Not found", "no such file");
	} else if (mime_is_gemtext(name, strlen(name))) {
		if (!gopher_page(c, -1, NULL, path, 0, NULL))
			gopher_error(c, "Not found", "no such file");
	} else
		gopher_file(c, path, -1, NULL);
}

static void
gopher_path(struct conn *c, const struct gopher_request *req)
{
	const char *selector = req->selector;
	size_t sellen = req->sellen;
	char path[REQUEST_MAX + sizeof("/index.gmi") + 2];
	struct capsule_object o;
	const char *name;
	size_t len;

	/* The selector is the Gemini path, without percent-encoding. */
	len = 0;
	if (sellen == 0 || selector[0] != '/')
		path[len++] = '/';
	memcpy(path + len, selector, sellen);
	len = uri_remove_dot_segments(path, len + sellen);
again:
	if (gopher_location(c, path) || fastcgi_gopher(c, path, len, req) ||
	    cgi_gopher(c, path, len, req) ||
	    gopher_generated(c, path, len, req))
		return;
	switch (capsule_resolve(&conn_site(c)->capsule, path, len, &o)) {
	case CAPSULE_FILE:
		name = strrchr(path, '/') + 1;
		if (mime_is_gemtext(name, strlen(name)))
			(void)gopher_page(c, o.fd, &o.st, path, 0, NULL);
		else
			gopher_file(c, path, o.fd, &o.st);
		return;
	case CAPSULE_DIR_INDEX:
		if (gopher_handwritten(c, path, NULL)) {
			close(o.fd);
			return;
		}
		/* Links in index.gmi resolve against the directory. */
		strcpy(path + len, "index.gmi");
		(void)gopher_page(c, o.fd, &o.st, path, len == 1, NULL);
		return;
	case CAPSULE_DIR_LISTING:
		if (!gopher_handwritten(c, path, &o.st)) {
			/* Its index.gmi may be being written again. */
			strcpy(path + len, "index.gmi");
			if (!gopher_page(c, -1, NULL, path, len == 1, &o.st)) {
				path[len] = '\0';
				gopher_listing(c, path, o.fd, &o.st);
			}
		}
		close(o.fd);
		return;
	case CAPSULE_NEED_SLASH:
		/* Gopher has no redirect: serve the directory itself. */
		path[len++] = '/';
		path[len] = '\0';
		goto again;
	case CAPSULE_NOT_FOUND:
		gopher_missing(c, path, len);
		return;
	case CAPSULE_REFUSED:
		gopher_error(c, "Not found", o.why);
		return;
	case CAPSULE_ERROR:
		gopher_error(c, "Server error", o.why);
		return;
	}
}

static void
gopher_answer(struct conn *c, const char *line, size_t len)
{
	const struct conf_site *site = conn_site(c)->conf;
	struct gopher_request req;
	struct evbuffer *body;
	int r;

	if (gopher_request_parse(line, len, &req) == -1) {
		gopher_error(c, "Bad request", "NUL in selector");
		return;
	}
	if (req.plus == GOPHER_PLUS_DIR || req.plus == GOPHER_PLUS_ATTR) {
		/* The UMN client's first question: answer, then plain Gopher. */
		if ((body = evbuffer_new()) == NULL ||
		    gopherplus_dollar_reply(body, site->name,
		    (unsigned)conf_gopher_public_port(site)) == -1)
			gopher_error(c, "Server out of memory", "out of memory");
		else
			gopher_send(c, body, "+", NULL);
		if (body != NULL)
			evbuffer_free(body);
		return;
	}
	switch (req.target) {
	case GOPHER_TARGET_CAPS:
		if ((body = evbuffer_new()) == NULL ||
		    gopher_caps(body, ATTACHE_VERSION) == -1)
			gopher_error(c, "Server out of memory", "out of memory");
		else
			gopher_send(c, body, "0", NULL);
		break;
	case GOPHER_TARGET_URL:
		if ((body = evbuffer_new()) == NULL) {
			gopher_error(c, "Server out of memory", "out of memory");
			return;
		}
		r = gopher_url_page(body, req.url, req.urllen);
		if (r == 0)
			gopher_send(c, body, "h", NULL);
		else if (r == GOPHER_PAGE_REFUSED)
			gopher_error(c, "URL not allowed", "URL: scheme refused");
		else
			gopher_error(c, "Server out of memory", "out of memory");
		break;
	case GOPHER_TARGET_PATH:
	default:
		gopher_path(c, &req);
		return;
	}
	evbuffer_free(body);
}

static void
gopher_slow_down(struct conn *c, int seconds)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "Too many requests: try again in %d "
	    "second%s", seconds, seconds == 1 ? "" : "s");
	gopher_error(c, msg, "over the rate limit");
}

static void
gopher_too_long(struct conn *c)
{
	gopher_error(c, "Request too long", "request longer than "
	    STR(REQUEST_MAX) " bytes");
}

const struct protocol gopher_protocol = {
	.name = "gopher",
	.tls = 0,
	.request = gopher_answer,
	.too_long = gopher_too_long,
	.slow_down = gopher_slow_down,
};
