/*
 * A connection's life from accept to free, shared by both protocols: its
 * making, its bufferevent, its end, its events and deadline, the access
 * line, and what handlers may read of it.  Reading is in conn_read.c,
 * the response and the close in conn_write.c.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "conn_internal.h"
#include "conn_pool.h"
#include "fingerprint.h"
#include "log.h"

static void	conn_timer_cb(evutil_socket_t, short, void *);

struct conn *
conn_new(struct server *s, const struct gen_listener *spec, int fd,
    const struct sockaddr *sa, int timeout_sec)
{
	struct timeval deadline = { timeout_sec, 0 };
	struct generation *g = s->gen;
	struct conn *c;

	if (s->pool == NULL)
		s->pool = conn_pool_new(sizeof(*c));
	if (s->pool == NULL || (c = conn_pool_get(s->pool)) == NULL) {
		log_warn("accept: out of memory");
		close(fd);
		return NULL;
	}
	c->srv = s;
	c->gen = generation_ref(g);
	c->listener = spec;
	c->proto = s->protocols[spec->proto];
	c->site = spec->site != NULL ? spec->site : &g->sites[0];
	c->fd = fd;
	c->file_fd = -1;
	c->state = spec->proxy ? CONN_PROXY : CONN_FIRST;
	snprintf(c->status, sizeof(c->status), "-");
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	conn_addr_string(sa, c->peer, sizeof(c->peer));
	limits_key(sa, &c->key);
	if ((c->timer = evtimer_new(s->base, conn_timer_cb, c)) == NULL ||
	    evtimer_add(c->timer, &deadline) == -1) {
		log_warn("%s: cannot arm the request timer", c->peer);
		if (c->timer != NULL)
			event_free(c->timer);
		close(fd);
		generation_unref(c->gen);
		conn_pool_put(s->pool, c);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	return c;
}

int
conn_serve(struct conn *c, SSL *ssl, int handshaking)
{
	struct timeval wto = { WRITE_TIMEOUT_SEC, 0 };

	/* Responses need no TCP_NODELAY here: accepted sockets inherit the
	 * listening socket's (listen_table.c). */
	c->state = CONN_READING;
	c->tls = ssl != NULL;
	c->ssl = NULL;
	if (ssl != NULL) {
		/* On failure libevent frees ssl (CLOSE_ON_FREE), not fd. */
		c->bev = bufferevent_openssl_socket_new(c->srv->base, c->fd,
		    ssl, handshaking ? BUFFEREVENT_SSL_ACCEPTING :
		    BUFFEREVENT_SSL_OPEN, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else
		c->bev = bufferevent_socket_new(c->srv->base, c->fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warn("%s: cannot set up the connection", c->peer);
		conn_free(c);
		return -1;
	}
	/* Stop reading once a request could not fit, to bound memory. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, REQUEST_MAX + 3);
	bufferevent_set_timeouts(c->bev, NULL, &wto);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	/* Writing is enabled with the response: no epoll change before. */
	if (bufferevent_enable(c->bev, EV_READ) == -1) {
		conn_free(c);
		return -1;
	}
	return 0;
}

int64_t
conn_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void
conn_free(struct conn *c)
{
	struct server *s = c->srv;
	const struct conf *conf = c->gen->conf;

	TAILQ_REMOVE(&s->conns, c, entry);
	if (c->body != NULL)
		c->body->release(c);
	if (s->draining && TAILQ_EMPTY(&s->conns))
		event_base_loopexit(s->base, NULL);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->wait != NULL)
		event_free(c->wait);
	if (c->shutdown_ev != NULL)
		event_free(c->shutdown_ev);
	if (c->file_fd != -1)
		close(c->file_fd);
	if (c->refill != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->bev),
		    c->refill);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	else {
		SSL_free(c->ssl);
		close(c->fd);
	}
	if (c->counted_address)
		limits_close(c->gen->limits, &c->key, conf->rate, conf->burst,
		    conn_now_ms());
	if (c->counted_total)
		limits_total_close(c->gen->limits);
	/* The last connection of an old generation frees it. */
	generation_unref(c->gen);
	conn_pool_put(s->pool, c);
}

long
conn_elapsed_ms(const struct conn *c)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - c->started.tv_sec) * 1000 +
	    (now.tv_nsec - c->started.tv_nsec) / 1000000;
}

void
conn_log(struct conn *c, size_t unsent)
{
	const struct conf_site *site = c->site->conf;
	struct log_access_entry e;
	char hex[FINGERPRINT_HEX_SIZE];

	if (!site->access_log)
		return;
	/* The first 16 hex digits name a certificate well enough here. */
	if (c->cert.present) {
		fingerprint_hex(c->cert.sha256, hex);
		hex[16] = '\0';
	}
	e.client = c->peer;
	e.proto = c->proto->name;
	e.site = site->name;
	e.port = c->proto->tls ? c->gen->conf->gemini_port :
	    conf_gopher_public_port(site);
	e.req = c->req;
	e.reqlen = c->reqlen;
	e.status = c->status;
	e.bytes = c->bytes_out - unsent;
	e.ms = conn_elapsed_ms(c);
	e.cert = c->cert.present ? hex : NULL;
	e.why = c->why;
	log_access(&e);
}

void
conn_addr_string(const struct sockaddr *sa, char *out, size_t outsz)
{
	const void *a;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		/* An IPv4 client on a dual-stack socket: show it as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			if (inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out,
			    (socklen_t)outsz) == NULL)
				snprintf(out, outsz, "?");
			return;
		}
		a = &s6->sin6_addr;
	} else
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	if (inet_ntop(sa->sa_family, a, out, (socklen_t)outsz) == NULL)
		snprintf(out, outsz, "?");
}

/* 1 for "0.0.0.0", "::" and the other ways to write them. */
static int
any_address(const char *addr)
{
	unsigned char a[sizeof(struct in6_addr)];
	static const unsigned char zero[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, addr, a) == 1)
		return memcmp(a, zero, 4) == 0;
	return inet_pton(AF_INET6, addr, a) == 1 &&
	    memcmp(a, zero, sizeof(a)) == 0;
}

void
conn_local_addr(const struct conn *c, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	out[0] = '\0';
	if (c->local[0] != '\0')
		snprintf(out, outsz, "%s", c->local);
	else if (!any_address(c->listener->addr))
		/* A listener on one address: no system call to know it. */
		snprintf(out, outsz, "%s", c->listener->addr);
	else if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0)
		conn_addr_string((struct sockaddr *)&ss, out, outsz);
}

int
conn_local_port(const struct conn *c)
{
	return c->local[0] != '\0' ? c->local_port : c->listener->port;
}

void
conn_set_status(struct conn *c, const char *status, const char *why)
{
	snprintf(c->status, sizeof(c->status), "%s", status);
	c->why = why;
}

const char *
conn_tls_reason(unsigned long e)
{
	const char *r;

	if (e == 0)
		e = ERR_get_error();
	ERR_clear_error();
	if (e == 0)
		return "connection closed";
	r = ERR_reason_error_string(e);
	return r != NULL ? r : "unknown TLS error";
}

void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	SSL *ssl;

	if (what & BEV_EVENT_CONNECTED) {
		conn_ack_now(c);	/* TLS handshake done: the request next */
		return;
	}
	switch (c->state) {
	case CONN_PROXY:
	case CONN_FIRST:
	case CONN_HANDSHAKE:
		break;		/* no bufferevent yet */
	case CONN_READING:
		if (c->tls &&
		    (ssl = bufferevent_openssl_get_ssl(bev)) != NULL &&
		    !SSL_is_init_finished(ssl)) {
			/* A bare connect and close (a port probe) is no failure. */
			if (BIO_number_read(SSL_get_rbio(ssl)) > 0)
				log_warn("%s: TLS handshake failed: %s",
				    c->peer, conn_tls_reason(
				    bufferevent_get_openssl_error(bev)));
			ERR_clear_error();
		}
		else if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
			log_warn("%s %s: closed before the end of its request",
			    c->peer, c->proto->name);
		conn_free(c);
		break;
	case CONN_BODY:
		log_warn("%s %s: closed after %lld of %lld body bytes",
		    c->peer, c->proto->name,
		    (long long)(c->body_size - c->body_left),
		    (long long)c->body_size);
		conn_abort(c, "body cut off");
		break;
	case CONN_WAITING:
		/* The answer's maker still holds c: it is freed after. */
		c->peer_gone = 1;
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		break;
	case CONN_WRITING:
	case CONN_SHUTTING:
		conn_abort(c, what & BEV_EVENT_TIMEOUT ?
		    "client stopped reading" : "client went away");
		break;
	case CONN_CLOSING:
		ERR_clear_error();
		conn_free(c);
		break;
	}
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->state == CONN_BODY) {
		log_warn("%s %s: %lld of %lld body bytes came in time", c->peer,
		    c->proto->name,
		    (long long)(c->body_size - c->body_left),
		    (long long)c->body_size);
		c->body->expired(c);
		conn_begin_response(c);
		return;
	}
	if (c->state == CONN_PROXY)
		log_warn("%s %s: no complete PROXY header within %d s",
		    c->peer, c->proto->name, PROXY_TIMEOUT_SEC);
	else if (c->state == CONN_FIRST || c->state == CONN_HANDSHAKE ||
	    c->state == CONN_READING)
		log_warn("%s %s: no complete request within %d s", c->peer,
		    c->proto->name, REQUEST_TIMEOUT_SEC);
	conn_free(c);
}

const struct site *
conn_site(const struct conn *c)
{
	return c->site;
}

struct generation *
conn_generation(const struct conn *c)
{
	return c->gen;
}

const struct gen_listener *
conn_listener(const struct conn *c)
{
	return c->listener;
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

const struct client_cert *
conn_cert(const struct conn *c)
{
	return &c->cert;
}

int
conn_worker(const struct conn *c)
{
	return c->srv->index;
}

struct event_base *
conn_base(const struct conn *c)
{
	return c->srv->base;
}

struct jobs *
conn_jobs(struct conn *c)
{
	return server_jobs(c->srv);
}

void *
conn_body_arg(const struct conn *c)
{
	return c->body_arg;
}
