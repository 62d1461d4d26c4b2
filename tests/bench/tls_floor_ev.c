/*
 * tls_floor_ev: the bench's second OpenSSL floor, event-driven like
 * attache: one process, one thread, non-blocking sockets on a
 * level-triggered epoll, each connection a small state machine:
 * SSL_accept, SSL_read to the end of the request line, the whole answer
 * ("20 <type>" and a page held in memory) in one SSL_write, SSL_shutdown
 * (close_notify), close.  One TLS 1.3 session ticket per full handshake,
 * AES-128-GCM first, no client certificate asked for, no log, no limits
 * but a bound on connections: attache's CPU per request beyond this is
 * attache's own.
 *
 *	tls_floor_ev PORT CERT KEY NAME=FILE...
 *
 * A request for gemini://localhost/NAME gets FILE's bytes (read once, at
 * start); anything else gets 51.  Same certificate, suites and ticket
 * policy as attache and tls_floor (floor.c).  Not a server: loopback
 * only, started and stopped (SIGTERM) by bench.py.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor.h"

#define CONNS_MAX	8192
#define EVENTS_MAX	64

enum step { ACCEPTING, READING, WRITING, CLOSING };

struct conn {
	int		 fd;
	SSL		*ssl;
	enum step	 step;
	uint32_t	 events;	/* what epoll waits for on fd */
	const char	*answer;
	size_t		 alen;
	size_t		 rlen;
	char		 req[REQUEST_MAX + 2];
};

static SSL_CTX *ctx;
static int epfd, listen_fd;
static size_t nconns;
static bool accepting = true;	/* off while out of descriptors */

/* Listens again, or stops listening (EMFILE), on the listening socket. */
static void
listen_events(bool on)
{
	struct epoll_event e = { .events = on ? EPOLLIN : 0,
	    .data.ptr = NULL };

	if (on == accepting)
		return;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, listen_fd, &e) == -1) {
		perror("tls_floor_ev: epoll_ctl");
		exit(1);
	}
	accepting = on;
}

static void
conn_close(struct conn *c)
{
	SSL_free(c->ssl);
	ERR_clear_error();
	if (close(c->fd) == -1)
		perror("tls_floor_ev: close");
	free(c);
	nconns--;
	listen_events(true);
}

/* Waits for what OpenSSL asks for after r; -1 when r is an error. */
static int
wait_for(struct conn *c, int r)
{
	struct epoll_event e = { .data.ptr = c };

	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		e.events = EPOLLIN;
		break;
	case SSL_ERROR_WANT_WRITE:
		e.events = EPOLLOUT;
		break;
	default:
		return -1;
	}
	if (e.events != c->events) {
		if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) == -1)
			return -1;
		c->events = e.events;
	}
	return 0;
}

/* Takes c as far as its socket lets it; closes it when done or failed. */
static void
advance(struct conn *c)
{
	int r;

	for (;;) {
		switch (c->step) {
		case ACCEPTING:
			if ((r = SSL_accept(c->ssl)) != 1)
				goto wait;
			c->step = READING;
			break;
		case READING:
			if ((r = SSL_read(c->ssl, c->req + c->rlen,
			    (int)(sizeof(c->req) - c->rlen))) <= 0)
				goto wait;
			c->rlen += (size_t)r;
			if (c->rlen < sizeof(c->req) &&
			    memchr(c->req, '\n', c->rlen) == NULL)
				break;
			floor_answer(c->req, c->rlen, &c->answer, &c->alen);
			c->step = WRITING;
			break;
		case WRITING:
			/* All of it or nothing (no partial writes): when the
			 * socket is full, the same call again later. */
			if ((r = SSL_write(c->ssl, c->answer, (int)c->alen)) <= 0)
				goto wait;
			c->step = CLOSING;
			break;
		case CLOSING:
			/* close_notify sent (0) is enough: no wait for the
			 * client's. */
			if ((r = SSL_shutdown(c->ssl)) < 0)
				goto wait;
			conn_close(c);
			return;
		}
	}
wait:
	if (wait_for(c, r) == -1)
		conn_close(c);
}

static void
accept_all(void)
{
	struct epoll_event e = { .events = EPOLLIN };
	struct conn *c;
	int fd;

	for (;;) {
		if ((fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				listen_events(false);	/* EMFILE and such */
			return;
		}
		if (nconns == CONNS_MAX || (c = calloc(1, sizeof(*c))) == NULL) {
			(void)close(fd);	/* refused: nothing more to do */
			continue;
		}
		c->fd = fd;
		c->events = e.events;
		e.data.ptr = c;
		if ((c->ssl = SSL_new(ctx)) == NULL ||
		    SSL_set_fd(c->ssl, fd) != 1 ||
		    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) == -1) {
			SSL_free(c->ssl);
			ERR_clear_error();
			(void)close(fd);	/* refused: nothing more to do */
			free(c);
			continue;
		}
		nconns++;
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event ev[EVENTS_MAX];
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };
	int i, n;

	if (argc < 5) {
		fprintf(stderr, "usage: tls_floor_ev PORT CERT KEY "
		    "NAME=FILE...\n");
		return 2;
	}
	if (floor_load_pages(argc, argv, 4) == -1 ||
	    (ctx = floor_ctx(argv[2], argv[3])) == NULL ||
	    (listen_fd = floor_listen(argv[1], true)) == -1)
		return 1;
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &e) == -1) {
		perror("tls_floor_ev: epoll");
		return 1;
	}
	for (;;) {
		if ((n = epoll_wait(epfd, ev, EVENTS_MAX, -1)) == -1) {
			if (errno == EINTR)
				continue;
			perror("tls_floor_ev: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL)
				accept_all();
			else
				advance(ev[i].data.ptr);
		}
	}
}
