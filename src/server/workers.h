/* Worker threads: one event loop each, sharing the ports' accept queues. */
#ifndef ATTACHE_WORKERS_H
#define ATTACHE_WORKERS_H

#include "generation.h"

struct event;

struct workers;

/* How many workers a configuration asks for: workers, or one per CPU. */
int		 workers_count(const struct conf *conf);

/*
 * Starts n workers serving gen, worker i on socket i of each listener and
 * signing through keys[i], its socket to the key process (taken; -1: none
 * yet).  Returns them running, or NULL (logged) with nothing left running
 * (the sockets closed).  evthread_use_pthreads() must have been called.
 */
struct workers	*workers_start(struct generation *gen, int n, int *keys);

/*
 * New sockets to the key process (a new one runs), one per worker, taken
 * (set to -1): each worker signs through its own from its next handshake.
 */
void		 workers_give_keys(struct workers *w, int *keys, int n);

/*
 * Tells every worker to serve gen from now on, and returns once all of
 * them do: after it, no worker accepts under the old generation, whose
 * connections finish under it.
 */
void		 workers_switch(struct workers *w, struct generation *gen);

/*
 * Tells every worker to stop accepting and to end once its connections are
 * done; done is made active (from a worker thread) each time one ends.
 * Returns once no worker accepts: the next connection on a shared socket
 * goes to another process.
 */
void		 workers_drain(struct workers *w, struct event *done);

/* The workers whose loops still run. */
int		 workers_running(struct workers *w);

/* Asks every worker to stop, waits for them, frees everything. */
void		 workers_stop(struct workers *w);

#endif
