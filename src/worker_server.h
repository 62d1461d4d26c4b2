/*
 * One worker's server: its event loop, its accepting ends of the
 * generation's listeners, and its connections.
 */
#ifndef ATTACHE_WORKER_SERVER_H
#define ATTACHE_WORKER_SERVER_H

#include <sys/queue.h>
#include <stddef.h>

struct conn;
struct conn_pool;
struct event;
struct event_base;
struct gen_listener;
struct generation;
struct jobs;
struct protocol;

/* A worker's accepting end of one of the generation's listeners. */
struct listener {
	struct server		*srv;
	struct event		*ev;		/* readable: a connection waits */
	struct event		*resume;	/* re-adds ev after EMFILE */
	int			 fd;		/* owned by the listen table */
	const struct gen_listener *spec;	/* in srv->gen */
};

TAILQ_HEAD(conn_list, conn);

struct server {
	struct event_base	*base;
	int			 index;		/* which socket of each port */
	int			 draining;	/* no more accepting */
	struct generation	*gen;		/* current; one reference */
	/* What each kind of listener speaks, by enum listen_proto. */
	const struct protocol *const *protocols;
	struct listener		**listeners;
	size_t			 nlisteners;
	struct conn_list	 conns;
	struct jobs		*jobs;		/* background work; NULL until
						 * first needed */
	struct conn_pool	*pool;		/* of struct conn; made at
						 * the first connection */
};

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

/* The worker's background thread, started on first use; NULL: cannot. */
struct jobs *server_jobs(struct server *s);

#endif
