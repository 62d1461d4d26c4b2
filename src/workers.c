/* Worker threads: one event loop each, sharing the ports (SO_REUSEPORT). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "server.h"
#include "workers.h"

#define WORKERS_MAX	64

struct worker {
	pthread_t		 thread;
	int			 running;
	struct event_base	*base;
	struct server		 srv;
	int			 srv_ready;
};

struct workers {
	int		 n;
	struct worker	 w[];
};

int
workers_count(const struct config *cfg)
{
	long n = cfg->workers;

	if (n == 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > WORKERS_MAX ? WORKERS_MAX : (int)n;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	if (event_base_dispatch(w->base) == -1)
		log_warn("worker event loop failed");
	return NULL;
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
		if (ws->w[i].srv_ready)
			server_free(&ws->w[i].srv);
		if (ws->w[i].base != NULL)
			event_base_free(ws->w[i].base);
	}
	free(ws);
}

struct workers *
workers_start(const struct config *cfg, SSL_CTX *tls, int n, char *err,
    size_t errlen)
{
	struct workers *ws;
	sigset_t block, old;
	int i, e;

	if ((ws = calloc(1, sizeof(*ws) + (size_t)n * sizeof(ws->w[0]))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ws->n = n;
	for (i = 0; i < n; i++) {
		struct worker *w = &ws->w[i];

		if ((w->base = event_base_new()) == NULL) {
			snprintf(err, errlen, "cannot create an event loop");
			goto fail;
		}
		w->srv_ready = 1;	/* server_free copes with a partial init */
		if (server_init(&w->srv, w->base, cfg, tls, err, errlen) == -1)
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
		if ((e = pthread_create(&ws->w[i].thread, NULL, worker_main,
		    &ws->w[i])) != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			snprintf(err, errlen, "cannot start a worker: %s",
			    strerror(e));
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
