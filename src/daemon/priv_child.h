/*
 * The privileged process's server processes: forked, handed bundles,
 * asked to drain, told of signals, and reaped.
 */
#ifndef ATTACHE_PRIV_CHILD_H
#define ATTACHE_PRIV_CHILD_H

#include "priv_state.h"

/*
 * Starts a server process with b, the sockets of t and the log file
 * log_fd (-1: none), and waits for its result.  Returns the child (serving) or NULL (it is gone again).
 */
struct child *priv_spawn(struct priv *p, const struct conf *conf,
	    const struct bundle *b, const struct listen_table *t, int log_fd,
	    struct priv_result *res);

/* Sends b to a running child and waits for its result: 0, or -1. */
int	priv_send(struct child *c, const struct bundle *b,
	    const struct listen_table *t, int log_fd,
	    struct priv_result *res);

/* 1 when c's sandbox (user, capsules) covers conf's. */
int	priv_covers(const struct child *c, const struct conf *conf);

/* Reaps exited children; the serving one is replaced or the end comes. */
void	priv_reap(struct priv *p);

/* Tells every child to drain (stop: within the stop grace). */
/*
 * Tells a replaced server process to stop accepting and end once idle,
 * and waits (bounded) until it accepts no more: connections after it go
 * to the process serving now.
 */
void	priv_drain(struct child *c);
void	priv_tell_all(struct priv *p, int type);

/* Frees what a child record holds (the process is gone or going). */
void	priv_child_free(struct child *c);

#endif
