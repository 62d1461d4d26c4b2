/*
 * One worker's server: its event loop, its accepting ends of the
 * generation's listeners, and its connections.
 */
#ifndef ATTACHE_WORKER_SERVER_H
#define ATTACHE_WORKER_SERVER_H

#include "conn_internal.h"	/* struct server */

/*
 * One worker's server on base, accepting on socket index of each port and
 * speaking protocols[l->proto] on each listener l.
 */
void	server_init(struct server *s, struct event_base *base, int index,
	    const struct protocol *const *protocols);

/*
 * Serves gen from now on (takes a reference): accepts on its listeners,
 * keeping the ones on the same sockets, dropping the others.  Connections
 * already accepted keep the generation they started with.  Returns 0, or
 * -1 when a listener could not be set up (logged; the others serve).
 */
int	server_adopt(struct server *s, struct generation *gen);

/*
 * Stops accepting; the worker's loop ends once its last connection is
 * done (at once when there is none).
 */
void	server_drain(struct server *s);

/* Stops accepting and drops every connection and the generation. */
void	server_free(struct server *s);

#endif
