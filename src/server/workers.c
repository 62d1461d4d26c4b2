/* Worker threads: one event loop each, sharing the ports' accept queues. */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bounds.h"
#include "log.h"
#include "protocols.h"
#include "tls_keys.h"
#include "conn_start.h"
#include "worker_server.h"
#include "workers.h"

struct worker {
	struct workers		*all;
	pthread_t		 thread;
	int			 running;	/* started, not joined */
	atomic_int		 looping;	/* its loop has not ended */
	struct event		*drain_ev;	/* main: "drain" */
	struct event_base	*base;
	struct event		*switch_ev;	/* main: "adopt pending" */
	struct server		 srv;
	struct generation	*pending;	/* under all->lock */
	int			 accepting;	/* under all->lock */
	struct tls_key_channel	 keys;		/* to the key process */
	struct event		*keys_ev;	/* its answers, read */
	struct event		*keys_given;	/* main: "a new socket" */
	struct event		*keys_timer;	/* parked handshakes' deadline */
};

struct workers {
	struct event	*drained;	/* main's, made active as loops end */
	pthread_mutex_t	 lock;
	pthread_cond_t	 changed;	/* a worker took its pending, or
					 * stopped accepting */
	int		 n;
	struct worker	 w[];
};

int
workers_count(const struct conf *conf)
{
	long n = conf->workers;

	if (n == 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > CONF_WORKERS_MAX ? CONF_WORKERS_MAX : (int)n;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	/* Its handshakes sign through its own socket to the key process. */
	tls_key_channel_bind(&w->keys);
	/* Even with no listener left, it runs until told to stop. */
	if (event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY) == -1)
		log_warn("worker event loop failed");
	atomic_store(&w->looping, 0);
	pthread_mutex_lock(&w->all->lock);
	w->accepting = 0;
	pthread_cond_broadcast(&w->all->changed);
	if (w->all->drained != NULL)
		event_active(w->all->drained, EV_READ, 0);
	pthread_mutex_unlock(&w->all->lock);
	return NULL;
}

/*
 * A worker parks a handshake while the key process signs, and serves its
 * other connections meanwhile (tls_keys.h): the answers are read here.
 * Not under AddressSanitizer, which cannot follow the stacks of OpenSSL's
 * jobs: the handshakes wait for their answers there.
 */
static void
keys_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	if (tls_key_channel_read(&w->keys) == 0)
		return;
	/* The key process is gone: until another, handshakes fail. */
	event_free(w->keys_ev);
	w->keys_ev = NULL;
	tls_key_channel_drop(&w->keys);
}

/* Handshakes are parked: their deadline is looked at every so often. */
static void
keys_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval tv = { 0, TLS_KEY_WAIT_MS * 1000 / 4 };

	(void)fd;
	(void)what;
	if (tls_key_channel_expire(&w->keys) > 0)
		evtimer_add(w->keys_timer, &tv);
}

#ifndef ATTACHE_SANITIZED
static void
keys_watch(void *arg)
{
	struct worker *w = arg;
	struct timeval tv = { 0, TLS_KEY_WAIT_MS * 1000 / 4 };

	if (!evtimer_pending(w->keys_timer, NULL))
		evtimer_add(w->keys_timer, &tv);
}
#endif

/* On the worker's loop (and at its start): the socket to watch now. */
static void
keys_given_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int kfd;

	(void)fd;
	(void)what;
	if (w->keys.wake == NULL)
		return;
	if (w->keys_ev != NULL)
		event_free(w->keys_ev);
	w->keys_ev = NULL;
	if ((kfd = tls_key_channel_fd(&w->keys)) == -1)
		return;
	if ((w->keys_ev = event_new(w->base, kfd, EV_READ | EV_PERSIST,
	    keys_read_cb, w)) == NULL || event_add(w->keys_ev, NULL) == -1)
		log_warn("worker: cannot watch its socket to the key process");
}

/* On the worker's loop: the generation main handed over. */
static void
switch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct generation *gen;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->all->lock);
	gen = w->pending;
	pthread_mutex_unlock(&w->all->lock);
	if (gen != NULL)
		(void)server_adopt(&w->srv, gen);
	/*
	 * Only now, with the old generation let go, is the switch done:
	 * main waits for pending to be NULL.
	 */
	pthread_mutex_lock(&w->all->lock);
	if (w->pending == gen)
		w->pending = NULL;
	pthread_cond_broadcast(&w->all->changed);
	pthread_mutex_unlock(&w->all->lock);
	generation_unref(gen);
}

void
workers_switch(struct workers *ws, struct generation *gen)
{
	int i, waiting;

	pthread_mutex_lock(&ws->lock);
	for (i = 0; i < ws->n; i++) {
		generation_unref(ws->w[i].pending);
		ws->w[i].pending = generation_ref(gen);
	}
	pthread_mutex_unlock(&ws->lock);
	for (i = 0; i < ws->n; i++)
		event_active(ws->w[i].switch_ev, EV_READ, 0);
	/* A worker's loop only runs short callbacks: the wait is short. */
	pthread_mutex_lock(&ws->lock);
	for (;;) {
		for (i = 0, waiting = 0; i < ws->n; i++)
			waiting += ws->w[i].pending != NULL;
		if (waiting == 0)
			break;
		pthread_cond_wait(&ws->changed, &ws->lock);
	}
	pthread_mutex_unlock(&ws->lock);
}

/* On the worker's loop: stop accepting. */
static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	server_drain(&w->srv);
	pthread_mutex_lock(&w->all->lock);
	w->accepting = 0;
	pthread_cond_broadcast(&w->all->changed);
	pthread_mutex_unlock(&w->all->lock);
}

void
workers_drain(struct workers *ws, struct event *done)
{
	int i, accepting;

	pthread_mutex_lock(&ws->lock);
	ws->drained = done;
	pthread_mutex_unlock(&ws->lock);
	for (i = 0; i < ws->n; i++)
		event_active(ws->w[i].drain_ev, EV_READ, 0);
	/* As in workers_switch, the wait is one short callback long. */
	pthread_mutex_lock(&ws->lock);
	for (;;) {
		for (i = 0, accepting = 0; i < ws->n; i++)
			accepting += ws->w[i].accepting;
		if (accepting == 0)
			break;
		pthread_cond_wait(&ws->changed, &ws->lock);
	}
	pthread_mutex_unlock(&ws->lock);
}

int
workers_running(struct workers *ws)
{
	int i, n = 0;

	for (i = 0; ws != NULL && i < ws->n; i++)
		n += atomic_load(&ws->w[i].looping);
	return n;
}

void
workers_stop(struct workers *ws)
{
	int i;

	if (ws == NULL)
		return;
	for (i = 0; i < ws->n; i++)
		if (ws->w[i].running)
			event_base_loopexit(ws->w[i].base, NULL);
	for (i = 0; i < ws->n; i++) {
		if (ws->w[i].running)
			pthread_join(ws->w[i].thread, NULL);
		server_free(&ws->w[i].srv);
		generation_unref(ws->w[i].pending);
		if (ws->w[i].switch_ev != NULL)
			event_free(ws->w[i].switch_ev);
		if (ws->w[i].drain_ev != NULL)
			event_free(ws->w[i].drain_ev);
		if (ws->w[i].keys_ev != NULL)
			event_free(ws->w[i].keys_ev);
		if (ws->w[i].keys_given != NULL)
			event_free(ws->w[i].keys_given);
		if (ws->w[i].keys_timer != NULL)
			event_free(ws->w[i].keys_timer);
		if (ws->w[i].base != NULL)
			event_base_free(ws->w[i].base);
		tls_key_channel_close(&ws->w[i].keys);
	}
	pthread_cond_destroy(&ws->changed);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}

void
workers_give_keys(struct workers *ws, int *keys, int n)
{
	int i;

	for (i = 0; i < n && i < ws->n; i++) {
		tls_key_channel_give(&ws->w[i].keys, keys[i]);
		keys[i] = -1;
		event_active(ws->w[i].keys_given, EV_READ, 0);
	}
}

struct workers *
workers_start(struct generation *gen, int n, int *keys)
{
	struct workers *ws;
	sigset_t block, old;
	int i, e;

	if ((ws = calloc(1, sizeof(*ws) + (size_t)n * sizeof(ws->w[0]))) ==
	    NULL) {
		log_warn("cannot start the workers: out of memory");
		for (i = 0; i < n; i++)
			if (keys[i] != -1)
				close(keys[i]);
		return NULL;
	}
	pthread_mutex_init(&ws->lock, NULL);
	pthread_cond_init(&ws->changed, NULL);
	ws->n = n;
	for (i = 0; i < n; i++) {
		tls_key_channel_init(&ws->w[i].keys, keys[i]);
		keys[i] = -1;
	}
	for (i = 0; i < n; i++) {
		struct worker *w = &ws->w[i];

		w->all = ws;
		/* server_free copes with a server that never adopted. */
		if ((w->base = event_base_new()) == NULL) {
			log_warn("cannot create an event loop");
			goto fail;
		}
		server_init(&w->srv, w->base, i, protocols);
		if ((w->switch_ev = event_new(w->base, -1, 0, switch_cb,
		    w)) == NULL ||
		    (w->drain_ev = event_new(w->base, -1, 0, drain_cb,
		    w)) == NULL ||
		    (w->keys_given = event_new(w->base, -1, 0, keys_given_cb,
		    w)) == NULL ||
		    (w->keys_timer = evtimer_new(w->base, keys_timer_cb,
		    w)) == NULL) {
			log_warn("cannot create an event");
			goto fail;
		}
#ifndef ATTACHE_SANITIZED
		tls_key_channel_park(&w->keys, conn_key_answered, keys_watch,
		    w);
#endif
		keys_given_cb(-1, 0, w);
		if (server_adopt(&w->srv, gen) == -1)
			goto fail;
	}
	/* Signals are the main thread's business: workers never take them. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < n; i++) {
		atomic_store(&ws->w[i].looping, 1);
		ws->w[i].accepting = 1;
		if ((e = pthread_create(&ws->w[i].thread, NULL, worker_main,
		    &ws->w[i])) != 0) {
			atomic_store(&ws->w[i].looping, 0);
			ws->w[i].accepting = 0;
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			log_warn("cannot start a worker: %s", strerror(e));
			goto fail;
		}
		ws->w[i].running = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ws;
fail:
	workers_stop(ws);
	return NULL;
}
