/*
 * A configuration generation: one reading of the configuration made ready
 * to serve (capsules open, certificates loaded, listeners planned).  It is
 * immutable once built and reference-counted: the workers hold the
 * current one, every connection holds the one it was accepted under, and
 * the last reference frees it.  A reload builds a new generation beside
 * the old; nothing of the old changes.
 */
#ifndef ATTACHE_GENERATION_H
#define ATTACHE_GENERATION_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "capsule.h"
#include "conf.h"
#include "listen_plan.h"
#include "tls.h"

struct limits;
struct protocol;
struct capsule_service;
struct service_registry;
struct render_cache;

/* One site, ready to serve. */
struct site {
	const struct conf_site	*conf;
	struct capsule		 capsule;
	char			*root;		/* the capsule's real path */
	SSL_CTX			*tls;		/* NULL when Gemini is off */
	struct tls_cert_info	 cert;		/* what tls loaded, for the log */
	int			 asks_cert;	/* its handshakes ask for a
						 * client certificate */
	const char *const	*names;		/* name, then the aliases */
	size_t			 nnames;
	struct capsule_service	*service;	/* files being written,
						 * search and changes */
	struct render_cache	*cache;		/* its rendered menus and
						 * listings, shared by the
						 * workers */
};

/* One listening address and port, and what is served there. */
struct gen_listener {
	enum listen_proto	 proto;	/* its table: the worker's */
	char			 addr[INET6_ADDRSTRLEN];
	int			 port;
	const struct site	*site;		/* Gopher: the port's site;
						 * Gemini: NULL (SNI picks) */
	unsigned		 line;		/* of the port, for messages */
	int			 optional;	/* the default "::" */
	int			 proxy;		/* a PROXY protocol header first */
	const int		*fds;		/* one per worker, not owned */
};

/* What a site's FastCGI requests share, over all workers. */
struct fastcgi_share {
	atomic_uint		 running;	/* under way: cgi-max */
	atomic_llong		 err_next;	/* stderr's pace (GCRA): the
						 * time, ms, a line is due */
	atomic_uint		 err_dropped;	/* lines not logged since */
};

struct generation {
	atomic_uint		 refs;
	unsigned long		 id;		/* 1 for the first, then +1 */
	struct conf		*conf;
	struct site		*sites;		/* sites[0]: the default */
	size_t			 nsites;
	struct gen_listener	*listeners;
	size_t			 nlisteners;
	atomic_uint		*live;		/* generations not yet freed */
	/* The limits' counts, shared by every generation; not owned. */
	struct limits		*limits;
	int			 max_connections; /* conf's, or from the
						 * open-files limit */
	struct fastcgi_share	*fastcgi;	/* one per site */
};

struct bundle;
struct tls_tickets;

/*
 * Builds a generation from conf (taken, freed with the generation or on
 * failure): opens every site's capsule, makes its TLS context from the
 * certificate in files (read by the privileged process; its key is the
 * key process's), sealing session tickets with tickets, and takes
 * from services (NULL: none) the capsule service of every site.  The
 * listeners are planned, their fds still unset (the
 * server process gives them from the listen table).  Returns it with one
 * reference, or NULL after
 * reporting every problem through diag.  live counts the generations
 * alive, for the log.
 */
struct generation *generation_new(struct conf *conf,
		    const struct bundle *files, unsigned long id,
		    atomic_uint *live, struct service_registry *services,
		    struct tls_tickets *tickets, struct conf_diag *diag);

/* Starts the capsule services of a generation that serves from now on. */
void		 generation_start(struct generation *g);

struct generation *generation_ref(struct generation *g);
/* Drops a reference; the last frees it (from any thread). */
void		 generation_unref(struct generation *g);

/* The site with this name or alias (SNI), or NULL. */
const struct site *generation_site(const struct generation *g,
		    const char *name);

#endif
