/* The listening sockets, kept across reloads by address and port. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen_table.h"
#include "log.h"

#define LISTEN_BACKLOG	4096		/* the kernel caps it at somaxconn */

/* IPv6 is missing on this host: the default "::" is then left out. */
static int
ipv6_absent(int e)
{
	return e == EAFNOSUPPORT || e == EADDRNOTAVAIL;
}

static int
make_sockaddr(const char *addr, int port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*s6);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

/* A bound, listening, non-blocking socket, or -1 with errno set. */
static int
listen_socket(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, one = 1, saved;

	if (make_sockaddr(addr, port, &ss, &sslen) == -1)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	/*
	 * TCP_NODELAY here is inherited by every accepted socket: responses
	 * go out in one burst without waiting for delayed ACKs, and no
	 * connection pays a setsockopt for it.
	 */
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
	    /* "::" means IPv6 only; IPv4 gets its own socket. */
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		saved = errno;
		if (fd != -1)
			close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void
close_fds(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
}

/*
 * A port not held yet, for nworkers workers: one socket, bound as a
 * stranger would bind (a port another program or another attache holds
 * is refused, not silently shared), and a descriptor of it for each
 * worker.  One accept queue for all, each worker taking one connection
 * when it is free (server_listen.c).  Sockets of their own (SO_REUSEPORT)
 * would pin each connection to a worker by a hash of its addresses, busy
 * or not: with 16 clients searching, the two workers' queues came out
 * uneven, and the p99 was a third higher than with one worker.
 */
static int *
open_port(const char *addr, int port, int nworkers)
{
	int *fds, fd, i, saved;

	if ((fd = listen_socket(addr, port)) == -1)
		return NULL;
	if ((fds = calloc((size_t)nworkers, sizeof(*fds))) == NULL) {
		close(fd);
		return NULL;
	}
	fds[0] = fd;
	for (i = 1; i < nworkers; i++)
		fds[i] = -1;
	for (i = 1; i < nworkers; i++) {
		if ((fds[i] = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
			saved = errno;
			close_fds(fds, nworkers);
			free(fds);
			errno = saved;
			return NULL;
		}
	}
	return fds;
}

/* A copy of an fds array, for another table or a generation. */
static int *
fds_copy(const int *fds, int n)
{
	int *copy;

	if ((copy = calloc((size_t)n, sizeof(*copy))) != NULL)
		memcpy(copy, fds, (size_t)n * sizeof(*copy));
	return copy;
}

static const struct listen_entry *
find(const struct listen_table *t, const char *addr, int port)
{
	size_t i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (t->entries[i].port == port &&
		    strcmp(t->entries[i].addr, addr) == 0)
			return &t->entries[i];
	return NULL;
}

int
listen_table_bind(const struct listen_table *cur,
    const struct listen_spec *specs, size_t nspecs, int nworkers,
    struct listen_table *next, struct conf_diag *d)
{
	const struct listen_spec *l;
	const struct listen_entry *have;
	struct listen_entry *e;
	char msg[512];
	int *fds, failed = 0;
	size_t i;

	memset(next, 0, sizeof(*next));
	next->nworkers = nworkers;
	if ((next->entries = calloc(nspecs + 1,
	    sizeof(*next->entries))) == NULL) {
		d->errors++;
		d->report(d->arg, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < nspecs; i++) {
		l = &specs[i];
		if ((have = find(cur, l->addr, l->port)) != NULL)
			fds = fds_copy(have->fds, nworkers);
		else
			fds = open_port(l->addr, l->port, nworkers);
		if (fds == NULL && have != NULL) {
			d->errors++;
			d->report(d->arg, 0, "out of memory");
			failed = 1;
			continue;
		}
		if (fds == NULL) {
			if (l->optional && ipv6_absent(errno)) {
				log_warn("%s port %d (%s): %s; serving IPv4 "
				    "only", l->addr, l->port,
				    listen_proto_name(l->proto),
				    strerror(errno));
				continue;
			}
			snprintf(msg, sizeof(msg), "%s%s%s port %d (%s): %s",
			    strchr(l->addr, ':') ? "[" : "", l->addr,
			    strchr(l->addr, ':') ? "]" : "", l->port,
			    listen_proto_name(l->proto), strerror(errno));
			d->errors++;
			d->report(d->arg, l->line, msg);
			failed = 1;
			continue;
		}
		e = &next->entries[next->n++];
		snprintf(e->addr, sizeof(e->addr), "%s", l->addr);
		e->port = l->port;
		e->fds = fds;
	}
	if (failed) {
		/* Undone: what this call opened is closed again. */
		listen_table_close_unused(next, cur);
		listen_table_free(next);
		return -1;
	}
	return 0;
}

int
listen_table_add(struct listen_table *t, const char *addr, int port,
    const int *fds)
{
	struct listen_entry *grown, *e;

	if (find(t, addr, port) != NULL) {
		close_fds((int *)fds, t->nworkers);
		return 0;
	}
	if ((grown = reallocarray(t->entries, t->n + 1,
	    sizeof(*grown))) == NULL) {
		close_fds((int *)fds, t->nworkers);
		return -1;
	}
	t->entries = grown;
	e = &t->entries[t->n];
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	e->port = port;
	if ((e->fds = fds_copy(fds, t->nworkers)) == NULL) {
		close_fds((int *)fds, t->nworkers);
		return -1;
	}
	t->n++;
	return 0;
}

int *
listen_table_fds(const struct listen_table *t, const char *addr, int port)
{
	const struct listen_entry *e;
	int *fds;

	if ((e = find(t, addr, port)) == NULL) {
		errno = ENOENT;
		return NULL;
	}
	if ((fds = fds_copy(e->fds, t->nworkers)) == NULL)
		errno = ENOMEM;
	return fds;
}

void
listen_table_close_unused(const struct listen_table *t,
    const struct listen_table *keep)
{
	size_t i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (find(keep, t->entries[i].addr, t->entries[i].port) == NULL)
			close_fds(t->entries[i].fds, t->nworkers);
}

void
listen_table_free(struct listen_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->entries[i].fds);
	free(t->entries);
	t->entries = NULL;
	t->n = 0;
}
