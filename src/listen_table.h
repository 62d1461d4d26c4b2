/*
 * The listening sockets, owned by the main thread: one per worker for each
 * address and port (SO_REUSEPORT spreads connections over the workers).
 * A reload keeps the very sockets of the ports it keeps, so that nothing
 * waiting in their accept queues is lost, binds the new ones before it
 * commits, and closes the removed ones only after the workers let go.
 */
#ifndef ATTACHE_LISTEN_TABLE_H
#define ATTACHE_LISTEN_TABLE_H

#include <netinet/in.h>
#include <stddef.h>

#include "generation.h"

struct listen_entry {
	char	 addr[INET6_ADDRSTRLEN];	/* canonical text */
	int	 port;
	int	*fds;				/* one per worker */
};

struct listen_table {
	struct listen_entry	*entries;
	size_t			 n;
	int			 nworkers;
};

/*
 * Gives every listener of g its sockets (g's fds arrays): cur's for an
 * address and port cur has, new ones otherwise, each new port first
 * probed without SO_REUSEPORT so that a port another program holds is
 * refused rather than shared.  A default "::" on a host without IPv6 is
 * left out with a warning.  Returns 0 and the table of g's sockets in
 * next; or -1 after reporting each problem (at the line of the port), with
 * everything it opened closed and next empty.
 */
int	listen_table_bind(const struct listen_table *cur, struct generation *g,
	    int nworkers, struct listen_table *next, struct conf_diag *d);

/* Closes the sockets of t that keep does not have (keep may be NULL). */
void	listen_table_close_unused(const struct listen_table *t,
	    const struct listen_table *keep);

/* Frees the table itself; its sockets stay open. */
void	listen_table_free(struct listen_table *t);

#endif
