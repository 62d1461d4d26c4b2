/* Which sockets a configuration listens on (pure). */
#ifndef ATTACHE_LISTEN_PLAN_H
#define ATTACHE_LISTEN_PLAN_H

#include <netinet/in.h>
#include <stddef.h>

#include "conf.h"

enum listen_proto {
	LISTEN_GEMINI,
	LISTEN_GOPHER
};

struct listen_spec {
	enum listen_proto	 proto;
	char			 addr[INET6_ADDRSTRLEN];	/* canonical */
	int			 port;
	size_t			 site;		/* Gopher: its site's index */
	unsigned		 line;		/* of the port, for messages */
	int			 optional;	/* the default "::" */
	int			 proxy;		/* a PROXY header comes first */
};

/*
 * Every address (the listen lines, or 0.0.0.0 and "::") times the Gemini
 * port and each site's Gopher port.  Returns a malloc'ed array of *n
 * specs (maybe 0), or NULL when out of memory.
 */
struct listen_spec *listen_plan(const struct conf *c, size_t *n);

/* "gemini" or "gopher". */
const char	*listen_proto_name(enum listen_proto p);

#endif
