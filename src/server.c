/* Listeners and the connection life cycle, shared by both protocols. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "conn_pool.h"
#include "fingerprint.h"
#include "jobs.h"
#include "log.h"
#include "render_cache.h"
#include "server.h"
#include "tls.h"

#define FILE_CHUNK	(64 * 1024)	/* bytes of a streamed file read at once */
#define FILE_LOWMARK	(16 * 1024)	/* refill the output below this */
#define LINGER_MAX	(64 * 1024)	/* bytes dropped while lingering, in all */

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_timer_cb(evutil_socket_t, short, void *);
static void	conn_shutdown(struct conn *);

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

static int64_t
now_ms(void)
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
		    now_ms());
	if (c->counted_total)
		limits_total_close(c->gen->limits);
	/* The last connection of an old generation frees it. */
	generation_unref(c->gen);
	conn_pool_put(s->pool, c);
}

/* The response could not be delivered: log it as it went, and drop. */
static void
conn_abort(struct conn *c, const char *why)
{
	c->why = why;
	conn_log(c, evbuffer_get_length(bufferevent_get_output(c->bev)));
	conn_free(c);
}

int
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	c->bytes_out += (size_t)n;
	return 0;
}

int
conn_write_buffer(struct conn *c, struct evbuffer *buf)
{
	size_t len = evbuffer_get_length(buf);

	if (bufferevent_write_buffer(c->bev, buf) == -1)
		return -1;
	c->bytes_out += len;
	return 0;
}

int
conn_write_blob(struct conn *c, struct render_blob *b)
{
	if (render_blob_add(b, bufferevent_get_output(c->bev)) == -1)
		return -1;
	c->bytes_out += render_blob_len(b);
	return 0;
}

void
conn_set_status(struct conn *c, const char *status, const char *why)
{
	snprintf(c->status, sizeof(c->status), "%s", status);
	c->why = why;
}

/* Keeps at most FILE_CHUNK bytes of the file queued: memory stays flat. */
static int
conn_pump_file(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec vec;
	size_t want;
	ssize_t r;

	while (c->file_fd != -1 && evbuffer_get_length(out) < FILE_CHUNK) {
		want = c->file_left < FILE_CHUNK ? (size_t)c->file_left :
		    FILE_CHUNK;
		if (evbuffer_reserve_space(out, (ev_ssize_t)want, &vec, 1) < 1)
			return -1;
		do
			r = read(c->file_fd, vec.iov_base, want);
		while (r == -1 && errno == EINTR);
		if (r <= 0) {
			/* The file shrank or failed under us: stop here. */
			vec.iov_len = 0;
			evbuffer_commit_space(out, &vec, 1);
			close(c->file_fd);
			c->file_fd = -1;
			c->why = r == 0 ? "file shrank while sent" :
			    "read error while sending";
			break;
		}
		vec.iov_len = (size_t)r;
		if (evbuffer_commit_space(out, &vec, 1) == -1)
			return -1;
		c->bytes_out += (size_t)r;
		c->file_left -= r;
		if (c->file_left == 0) {
			close(c->file_fd);
			c->file_fd = -1;
		}
	}
	return 0;
}

/*
 * What the client sent so far is acknowledged now, not when the kernel's
 * delayed ACK fires (40 ms): we are about to wait for more from it, and a
 * client that leaves Nagle's algorithm on (the default of most stacks)
 * holds a small segment back until the one before it is acknowledged.  Its
 * handshake's last flight and a request's first line are such segments
 * whenever we answer nothing to them.  An even value sends the pending
 * ACK (none when bytes wait unread: the answer will carry it) and leaves
 * delayed ACKs on for the rest, so the response still carries the next.
 */
void
conn_ack_now(struct conn *c)
{
	int two = 2;

	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &two, sizeof(two));
}

void
conn_cork(struct conn *c)
{
	int one = 1;

	if (!c->corked)
		c->corked = setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &one,
		    sizeof(one)) == 0;
}

/*
 * A TLS file refilled as the output drains, from within libevent's write
 * loop: it then keeps writing instead of emptying the output, removing its
 * write event, and adding it again once the write callback has refilled
 * (two epoll_ctl per 64 KB, perf).  Errors end the file; the write
 * callback ends the response.
 */
static void
conn_refill_cb(struct evbuffer *out, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn *c = arg;

	if (info->n_deleted == 0 || c->file_fd == -1 ||
	    evbuffer_get_length(out) >= FILE_LOWMARK)
		return;
	if (conn_pump_file(c) == -1) {
		close(c->file_fd);
		c->file_fd = -1;
		c->why = "out of memory";
	}
}

static void
conn_begin_response(struct conn *c)
{
	/* The response, TLS's close_notify and the FIN in one go. */
	conn_cork(c);
	c->state = CONN_WRITING;
	evtimer_del(c->timer);
	/* What the client sends after its request line is ignored. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_disable(c->bev, EV_READ);
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_setwatermark(c->bev, EV_WRITE,
	    c->file_fd != -1 ? FILE_LOWMARK : 0, 0);
	if (c->file_fd != -1)
		c->refill = evbuffer_add_cb(bufferevent_get_output(c->bev),
		    conn_refill_cb, c);
	if (bufferevent_enable(c->bev, EV_WRITE) == -1) {
		conn_abort(c, "cannot send");
		return;
	}
	conn_write_cb(c->bev, c);
}

/* The client's certificate, for the protocol and the log. */
static void
conn_peer_cert(struct conn *c)
{
	memset(&c->cert, 0, sizeof(c->cert));
	if (c->proto->tls)
		c->cert.present = tls_peer_cert(bufferevent_openssl_get_ssl(
		    c->bev), c->cert.sha256, &c->cert.time_valid);
}

void
conn_wait(struct conn *c)
{
	c->state = CONN_WAITING;
	evtimer_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
}

void
conn_respond(struct conn *c)
{
	if (c->peer_gone)
		conn_abort(c, "client went away");
	else
		conn_begin_response(c);
}

int
conn_read_body(struct conn *c, off_t size, const struct conn_body_ops *ops,
    void *arg)
{
	struct timeval deadline = { REQUEST_TIMEOUT_SEC, 0 };

	/* A slow body may not pin the connection: a floor on its rate. */
	deadline.tv_sec += (time_t)(size / BODY_MIN_RATE);
	evtimer_del(c->timer);
	if (evtimer_add(c->timer, &deadline) == -1)
		return -1;
	c->state = CONN_BODY;
	c->body = ops;
	c->body_arg = arg;
	c->body_left = c->body_size = size;
	bufferevent_setwatermark(c->bev, EV_READ, 0, BODY_WINDOW);
	return 0;
}

/* Hands the body's bytes over as they come, then its end. */
static void
conn_body_pump(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v[8];
	size_t want, fed;
	int i, n;

	while (c->body_left > 0 && evbuffer_get_length(in) > 0) {
		want = evbuffer_get_length(in);
		if ((off_t)want > c->body_left)
			want = (size_t)c->body_left;
		n = evbuffer_peek(in, (ev_ssize_t)want, NULL, v, 8);
		for (i = 0, fed = 0; i < n && i < 8 && fed < want; i++) {
			if (v[i].iov_len > want - fed)
				v[i].iov_len = want - fed;
			if (c->body->data(c, v[i].iov_base, v[i].iov_len) ==
			    -1) {
				conn_begin_response(c);
				return;
			}
			fed += v[i].iov_len;
		}
		evbuffer_drain(in, fed);
		c->body_left -= (off_t)fed;
	}
	if (c->body_left == 0) {
		conn_wait(c);
		c->body->complete(c);
	} else
		conn_ack_now(c);	/* a body in a write of its own */
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	const struct conf *conf = c->gen->conf;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	size_t len;
	int wait;

	if (c->state == CONN_CLOSING) {
		/* Lingering: drop what the client still sends, up to a bound. */
		len = evbuffer_get_length(in);
		evbuffer_drain(in, len);
		c->linger_dropped += len;
		if (c->linger_dropped >= LINGER_MAX)
			conn_free(c);
		return;
	}
	if (c->state == CONN_BODY) {
		conn_body_pump(c);
		return;
	}
	if (c->state != CONN_READING)
		return;
	if (c->proto->crlf_only)
		eol = evbuffer_search(in, "\r\n", 2, NULL);
	else
		eol = evbuffer_search(in, "\n", 1, NULL);
	if (eol.pos == -1 && evbuffer_get_length(in) <= REQUEST_MAX + 1) {
		conn_ack_now(c);	/* the line is not complete yet */
		return;
	}
	/* Copy the line (a too long one cut short) for the handler and log. */
	len = eol.pos == -1 || (size_t)eol.pos > REQUEST_MAX + 1 ?
	    REQUEST_MAX + 2 : (size_t)eol.pos;
	if (evbuffer_remove(in, c->req, len) != (int)len) {
		conn_abort(c, "cannot read request");
		return;
	}
	/* The line end too: what follows it is the body, if any. */
	if (eol.pos != -1 && (size_t)eol.pos == len)
		evbuffer_drain(in, c->proto->crlf_only ? 2 : 1);
	if (!c->proto->crlf_only && len > 0 &&
	    c->req[len - 1] == '\r')
		len--;
	conn_peer_cert(c);
	wait = c->counted_address ? limits_request(c->gen->limits, &c->key,
	    conf->rate, conf->burst, now_ms()) : 0;
	if (wait > 0) {
		c->reqlen = len > REQUEST_MAX ? REQUEST_MAX : len;
		c->proto->slow_down(c, wait);
	} else if (len > REQUEST_MAX) {
		c->reqlen = REQUEST_MAX;
		c->proto->too_long(c);
	} else {
		c->reqlen = len;
		c->proto->request(c, c->req, len);
	}
	/* A handler may read a body first, or answer later. */
	if (c->state == CONN_BODY)
		conn_body_pump(c);
	else if (c->state == CONN_READING)
		conn_begin_response(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (c->state != CONN_WRITING)
		return;
	if (c->file_fd != -1) {
		if (conn_pump_file(c) == -1) {
			conn_abort(c, "out of memory");
			return;
		}
		if (c->file_fd == -1)
			bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	}
	if (c->file_fd == -1 && evbuffer_get_length(out) == 0) {
		conn_log(c, 0);
		conn_shutdown(c);
	}
}

/*
 * After the whole response: TLS close_notify (so the client knows the
 * response is complete), then FIN, then a short wait for the client's own
 * close so that the kernel does not answer its late bytes with a reset.
 */
static void
conn_linger(struct conn *c)
{
	struct timeval linger = { LINGER_TIMEOUT_SEC, 0 };

	c->state = CONN_CLOSING;
	(void)shutdown(c->fd, SHUT_WR);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	bufferevent_disable(c->bev, EV_WRITE);
	if (evtimer_add(c->timer, &linger) == -1 ||
	    bufferevent_enable(c->bev, EV_READ) == -1)
		conn_free(c);
}

static void
conn_shutdown_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	if (what & EV_TIMEOUT) {
		log_warn("%s: close_notify not sent in time", c->peer);
		conn_free(c);
		return;
	}
	conn_shutdown(c);
}

static void
conn_shutdown(struct conn *c)
{
	struct timeval wto = { WRITE_TIMEOUT_SEC, 0 };
	SSL *ssl;
	int r;

	if (!c->tls) {
		conn_linger(c);
		return;
	}
	c->state = CONN_SHUTTING;
	ssl = bufferevent_openssl_get_ssl(c->bev);
	ERR_clear_error();
	r = SSL_shutdown(ssl);
	if (r < 0 && SSL_get_error(ssl, r) == SSL_ERROR_WANT_WRITE) {
		/* The socket buffer is full: send the alert when it drains. */
		if (c->shutdown_ev == NULL)
			c->shutdown_ev = event_new(c->srv->base, c->fd,
			    EV_WRITE, conn_shutdown_retry_cb, c);
		if (c->shutdown_ev == NULL ||
		    event_add(c->shutdown_ev, &wto) == -1)
			conn_free(c);
		return;
	}
	ERR_clear_error();
	conn_linger(c);
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

static void
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

