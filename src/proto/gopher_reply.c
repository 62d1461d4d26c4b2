/*
 * Gopher's replies and a site's menu options, for the dispatcher
 * (gopher.c) and the made-up pages (gopher_generated.c): below both.
 */
#include <string.h>

#include <event2/buffer.h>

#include "bounds.h"
#include "conf.h"
#include "conn.h"
#include "generation.h"
#include "gopher_reply.h"
#include "gophermap.h"
#include "log.h"
#include "site_pages.h"
#include "zone.h"

/* Gopher has no certificates: protected zones are not shown at all. */
static int
gopher_visible(const void *arg, const char *path)
{
	return zone_public(arg, path);
}

void
gopher_options(const struct conn *c, const char *page_path,
    struct gophermap_opts *o)
{
	const struct conf_site *site = conn_site(c)->conf;
	int gemini_port = conn_generation(c)->conf->gemini_port;

	memset(o, 0, sizeof(*o));
	o->host = site->name;
	o->port = (unsigned)conf_gopher_public_port(site);
	o->width = (unsigned)site->gopher_width;
	o->page_path = page_path;
	o->gemini_host = site->name;
	o->gemini_port = gemini_port != 0 ? (unsigned)gemini_port :
	    GEMINI_DEFAULT_PORT;
	o->gemini_aliases = (const char *const *)site->aliases;
	o->ngemini_aliases = site->naliases;
	o->visible = gopher_visible;
	o->visible_arg = site;
	o->local_type = site_page_gopher_type;
	o->local_arg = conn_site(c);
}

void
gopher_send(struct conn *c, struct evbuffer *body, const char *type,
    const char *why)
{
	conn_set_status(c, type, why);
	if (conn_write_buffer(c, body) == -1)
		log_warn("%s: cannot queue a gopher response", conn_peer(c));
}

void
gopher_error(struct conn *c, const char *msg, const char *why)
{
	const struct conf_site *site = conn_site(c)->conf;
	struct evbuffer *body;

	if ((body = evbuffer_new()) == NULL ||
	    gophermap_error(body, msg, site->name,
	    (unsigned)conf_gopher_public_port(site)) == -1) {
		log_warn("%s: out of memory for an error menu", conn_peer(c));
		conn_set_status(c, "3", why);
	} else
		gopher_send(c, body, "3", why);
	if (body != NULL)
		evbuffer_free(body);
}
