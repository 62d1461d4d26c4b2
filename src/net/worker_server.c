/* A worker's listeners, and the generation it serves (server.h). */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conn_pool.h"
#include "jobs.h"
#include "log.h"
#include "worker_server.h"

#define ACCEPT_PAUSE_MS	100		/* after accept fails, e.g. EMFILE */

/*
 * One connection per wakeup: the workers share each port's accept queue
 * (listen_table.c), and one that took every waiting connection at once
 * would leave the others idle while its own queue waits.  A failure other
 * than a connection gone already (out of descriptors, most likely) pauses
 * this listener briefly, since the socket stays readable.
 */
static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	struct timeval pause = { 0, ACCEPT_PAUSE_MS * 1000 };
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int cfd;

	(void)what;
	cfd = accept4(fd, (struct sockaddr *)&ss, &sslen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd != -1) {
		conn_start(l->srv, l->spec, cfd, (struct sockaddr *)&ss);
		return;
	}
	switch (errno) {
	case EAGAIN:		/* another worker took it */
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return;
	}
	log_warn("%s port %d: accept: %s; pausing %d ms", l->spec->addr,
	    l->spec->port, strerror(errno), ACCEPT_PAUSE_MS);
	if (event_del(l->ev) == -1 || evtimer_add(l->resume, &pause) == -1)
		(void)event_add(l->ev, NULL);
}

static void
listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)what;
	if (event_add(l->ev, NULL) == -1)
		log_warn("%s port %d: cannot resume accepting", l->spec->addr,
		    l->spec->port);
}

static void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	/* The socket is the listen table's: it stays open. */
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->resume != NULL)
		event_free(l->resume);
	free(l);
}

static struct listener *
listener_new(struct server *s, const struct gen_listener *spec, int fd)
{
	struct listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->srv = s;
	l->fd = fd;
	l->spec = spec;
	/* The socket listens already, with the listen table's backlog. */
	l->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, accept_cb, l);
	l->resume = evtimer_new(s->base, listener_resume_cb, l);
	if (l->ev == NULL || l->resume == NULL ||
	    event_add(l->ev, NULL) == -1) {
		listener_free(l);
		return NULL;
	}
	return l;
}

void
server_init(struct server *s, struct event_base *base, int index,
    const struct protocol *const *protocols)
{
	memset(s, 0, sizeof(*s));
	s->base = base;
	s->index = index;
	s->protocols = protocols;
	TAILQ_INIT(&s->conns);
}

int
server_adopt(struct server *s, struct generation *gen)
{
	struct listener **next, *l;
	const struct gen_listener *spec;
	size_t i, j, n = 0;
	int fd, rv = 0;

	if ((next = calloc(gen->nlisteners + 1, sizeof(*next))) == NULL) {
		log_warn("worker %d: out of memory for the new listeners",
		    s->index);
		return -1;
	}
	for (i = 0; i < gen->nlisteners; i++) {
		spec = &gen->listeners[i];
		if (spec->fds == NULL)
			continue;	/* left out: no IPv6 here */
		fd = spec->fds[s->index];
		/* The same socket: the same listener, now of gen. */
		for (j = 0, l = NULL; j < s->nlisteners; j++)
			if (s->listeners[j] != NULL &&
			    s->listeners[j]->fd == fd) {
				l = s->listeners[j];
				s->listeners[j] = NULL;
				break;
			}
		if (l != NULL)
			l->spec = spec;
		else if ((l = listener_new(s, spec, fd)) == NULL) {
			log_warn("%s port %d: worker %d cannot accept there",
			    spec->addr, spec->port, s->index);
			rv = -1;
			continue;
		}
		next[n++] = l;
	}
	for (j = 0; j < s->nlisteners; j++)
		listener_free(s->listeners[j]);
	free(s->listeners);
	s->listeners = next;
	s->nlisteners = n;
	generation_unref(s->gen);
	s->gen = generation_ref(gen);
	return rv;
}

void
server_drain(struct server *s)
{
	size_t i;

	for (i = 0; i < s->nlisteners; i++)
		listener_free(s->listeners[i]);
	free(s->listeners);
	s->listeners = NULL;
	s->nlisteners = 0;
	s->draining = 1;
	if (TAILQ_EMPTY(&s->conns))
		event_base_loopexit(s->base, NULL);
}

void
server_free(struct server *s)
{
	size_t i;

	/* A connection with a job in flight waits for it here. */
	while (!TAILQ_EMPTY(&s->conns))
		conn_free(TAILQ_FIRST(&s->conns));
	jobs_stop(s->jobs);
	s->jobs = NULL;
	for (i = 0; i < s->nlisteners; i++)
		listener_free(s->listeners[i]);
	free(s->listeners);
	s->listeners = NULL;
	s->nlisteners = 0;
	generation_unref(s->gen);
	s->gen = NULL;
	conn_pool_free(s->pool);
	s->pool = NULL;
}
