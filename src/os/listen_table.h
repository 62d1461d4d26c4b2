/*
 * The listening sockets: one for each address and port, with a descriptor
 * of it for each worker (one accept queue they share).  The privileged
 * process binds them and keeps them; the server process gets copies.  A
 * reload keeps the very sockets of the ports it keeps, so that nothing
 * waiting in their accept queues is lost, binds the new ones before it
 * commits, and closes the removed ones only after the server let go.
 */
#ifndef ATTACHE_LISTEN_TABLE_H
#define ATTACHE_LISTEN_TABLE_H

#include <netinet/in.h>
#include <stddef.h>

#include "listen_plan.h"

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
 * The sockets of a plan: cur's for an address and port cur has, new ones
 * otherwise, each new port bound without SO_REUSEPORT so that a port
 * another program holds is refused rather than shared.  A default
 * "::" on a host without IPv6 is left out with a warning.  Returns 0 and
 * the table in next; or -1 after reporting each problem (at the line of
 * the port), with everything it opened closed and next empty.
 */
int	listen_table_bind(const struct listen_table *cur,
	    const struct listen_spec *specs, size_t nspecs, int nworkers,
	    struct listen_table *next, struct conf_diag *d);

/*
 * Adds an entry with its sockets (taken, nworkers of them); an entry
 * already there keeps its own and the new ones are closed.  -1 when out of
 * memory (the sockets are closed).
 */
int	listen_table_add(struct listen_table *t, const char *addr, int port,
	    const int *fds);

/*
 * A malloc'ed copy of the worker sockets of addr and port (nworkers of
 * them), for whoever hands them to the workers; NULL with errno ENOENT when
 * t has no such entry (IPv6 absent), ENOMEM when out of memory.
 */
int	*listen_table_fds(const struct listen_table *t, const char *addr,
	    int port);

/* Closes the sockets of t that keep does not have (keep may be NULL). */
void	listen_table_close_unused(const struct listen_table *t,
	    const struct listen_table *keep);

/* Frees the table itself; its sockets stay open. */
void	listen_table_free(struct listen_table *t);

#endif
