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

#include "log.h"
#include "server.h"

#define FILE_CHUNK	(64 * 1024)	/* bytes of a streamed file read at once */
#define FILE_LOWMARK	(16 * 1024)	/* refill the output below this */
#define LINGER_MAX	(64 * 1024)	/* bytes dropped while lingering, in all */
#define ACCEPT_PAUSE_MS	100		/* after accept fails, e.g. EMFILE */
#define LISTEN_BACKLOG	4096		/* the kernel caps it at somaxconn */

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_timer_cb(evutil_socket_t, short, void *);
static void	conn_free(struct conn *);
static void	conn_shutdown(struct conn *);

static long
elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - since->tv_sec) * 1000 +
	    (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void
conn_log(struct conn *c, size_t unsent)
{
	log_access(c->peer, c->listener->proto->name, c->req, c->reqlen,
	    c->status, c->bytes_out - unsent, elapsed_ms(&c->started), c->why);
}

static void
addr_string(const struct sockaddr *sa, char *out, size_t outsz)
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

void
conn_local_addr(const struct conn *c, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	out[0] = '\0';
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0)
		addr_string((struct sockaddr *)&ss, out, outsz);
}

static void
accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener *l = arg;
	struct server *s = l->srv;
	struct timeval deadline = { REQUEST_TIMEOUT_SEC, 0 };
	struct timeval wto = { WRITE_TIMEOUT_SEC, 0 };
	struct conn *c;
	SSL *ssl;
	int one = 1;

	(void)evl;
	(void)salen;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("accept: out of memory");
		close(fd);
		return;
	}
	c->srv = s;
	c->listener = l;
	c->fd = fd;
	c->file_fd = -1;
	c->state = CONN_READING;
	snprintf(c->status, sizeof(c->status), "-");
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	addr_string(sa, c->peer, sizeof(c->peer));
	/* Responses go out in one burst: do not wait for delayed ACKs. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	if (l->proto->tls) {
		if ((ssl = SSL_new(s->tls)) == NULL) {
			log_warn("%s: SSL_new failed", c->peer);
			close(fd);
			free(c);
			return;
		}
		/* On failure libevent frees ssl (CLOSE_ON_FREE), not fd. */
		c->bev = bufferevent_openssl_socket_new(s->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else
		c->bev = bufferevent_socket_new(s->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warn("%s: cannot set up the connection", c->peer);
		close(fd);
		free(c);
		return;
	}
	if ((c->timer = evtimer_new(s->base, conn_timer_cb, c)) == NULL ||
	    evtimer_add(c->timer, &deadline) == -1) {
		log_warn("%s: cannot arm the request timer", c->peer);
		bufferevent_free(c->bev);
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	s->nconns++;
	/* Stop reading once a request could not fit, to bound memory. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, REQUEST_MAX + 3);
	bufferevent_set_timeouts(c->bev, NULL, &wto);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) == -1)
		conn_free(c);
}

static void
conn_free(struct conn *c)
{
	struct server *s = c->srv;

	TAILQ_REMOVE(&s->conns, c, entry);
	s->nconns--;
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->shutdown_ev != NULL)
		event_free(c->shutdown_ev);
	if (c->file_fd != -1)
		close(c->file_fd);
	bufferevent_free(c->bev);
	free(c);
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

void
conn_send_file(struct conn *c, int fd, off_t size)
{
	if (size <= 0) {
		close(fd);
		return;
	}
	/* Plain TCP: the kernel sends the file (sendfile), no copy here. */
	if (!c->listener->proto->tls) {
		if (evbuffer_add_file(bufferevent_get_output(c->bev), fd, 0,
		    size) == 0) {
			c->bytes_out += (size_t)size;
			return;
		}
	}
	c->file_fd = fd;
	c->file_left = size;
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

static void
conn_begin_response(struct conn *c)
{
	c->state = CONN_WRITING;
	evtimer_del(c->timer);
	/* What the client sends after its request line is ignored. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_disable(c->bev, EV_READ);
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_setwatermark(c->bev, EV_WRITE,
	    c->file_fd != -1 ? FILE_LOWMARK : 0, 0);
	conn_write_cb(c->bev, c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	size_t len;

	if (c->state == CONN_CLOSING) {
		/* Lingering: drop what the client still sends, up to a bound. */
		len = evbuffer_get_length(in);
		evbuffer_drain(in, len);
		c->linger_dropped += len;
		if (c->linger_dropped >= LINGER_MAX)
			conn_free(c);
		return;
	}
	if (c->state != CONN_READING)
		return;
	eol = evbuffer_search(in, "\n", 1, NULL);
	if (eol.pos == -1 && evbuffer_get_length(in) <= REQUEST_MAX + 1)
		return;			/* the line is not complete yet */
	/* Copy the line (a too long one cut short) for the handler and log. */
	len = eol.pos == -1 || (size_t)eol.pos > REQUEST_MAX + 1 ?
	    REQUEST_MAX + 2 : (size_t)eol.pos;
	if (evbuffer_remove(in, c->req, len) != (int)len) {
		conn_abort(c, "cannot read request");
		return;
	}
	if (len > 0 && c->req[len - 1] == '\r')
		len--;
	if (len > REQUEST_MAX) {
		c->reqlen = REQUEST_MAX;
		c->listener->proto->too_long(c);
	} else {
		c->reqlen = len;
		c->listener->proto->request(c, c->req, len);
	}
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

	if (!c->listener->proto->tls) {
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

static const char *
tls_error_reason(struct bufferevent *bev)
{
	unsigned long e = bufferevent_get_openssl_error(bev);
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

	if (what & BEV_EVENT_CONNECTED)
		return;		/* TLS handshake done */
	switch (c->state) {
	case CONN_READING:
		if (c->listener->proto->tls &&
		    (ssl = bufferevent_openssl_get_ssl(bev)) != NULL &&
		    !SSL_is_init_finished(ssl)) {
			/* A bare connect and close (a port probe) is no failure. */
			if (BIO_number_read(SSL_get_rbio(ssl)) > 0)
				log_warn("%s: TLS handshake failed: %s",
				    c->peer, tls_error_reason(bev));
			ERR_clear_error();
		}
		else if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
			log_warn("%s %s: closed before the end of its request",
			    c->peer, c->listener->proto->name);
		conn_free(c);
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
	if (c->state == CONN_READING)
		log_warn("%s %s: no complete request within %d s", c->peer,
		    c->listener->proto->name, REQUEST_TIMEOUT_SEC);
	conn_free(c);
}

static void
listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)what;
	if (evconnlistener_enable(l->evl) == -1)
		log_warn("%s port %d: cannot resume accepting", l->addr,
		    l->port);
}

/*
 * accept() failed: out of file descriptors, most likely.  The socket stays
 * readable, so pause this listener briefly instead of spinning on it.
 */
static void
accept_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;
	struct timeval pause = { 0, ACCEPT_PAUSE_MS * 1000 };
	int e = EVUTIL_SOCKET_ERROR();

	log_warn("%s port %d: accept: %s; pausing %d ms", l->addr, l->port,
	    evutil_socket_error_to_string(e), ACCEPT_PAUSE_MS);
	evconnlistener_disable(evl);
	if (evtimer_add(l->resume, &pause) == -1)
		evconnlistener_enable(evl);
}

/* One socket to listen on: which protocol, where. */
struct listen_spec {
	const struct protocol	*proto;
	int			 port;
	const char		*addr;
	int			 optional;	/* the default "::": IPv6 may be absent */
};

#define LISTEN_SPECS_MAX	(2 * CONFIG_MAX_LISTEN)

static size_t
listen_plan(const struct config *cfg, struct listen_spec *out)
{
	static const char *const any[] = { "0.0.0.0", "::" };
	const char *const *addrs = cfg->nlisten > 0 ? cfg->listen : any;
	size_t naddrs = cfg->nlisten > 0 ? (size_t)cfg->nlisten : 2;
	size_t i, n = 0;

	for (i = 0; i < naddrs; i++) {
		if (cfg->gemini_port != 0)
			out[n++] = (struct listen_spec){ &gemini_protocol,
			    cfg->gemini_port, addrs[i], addrs == any && i == 1 };
		if (cfg->gopher_port != 0)
			out[n++] = (struct listen_spec){ &gopher_protocol,
			    cfg->gopher_port, addrs[i], addrs == any && i == 1 };
	}
	return n;
}

/* IPv6 is missing on this host: the default "::" is then left out. */
static int
ipv6_absent(int e)
{
	return e == EAFNOSUPPORT || e == EADDRNOTAVAIL;
}

/*
 * A bound, listening, non-blocking socket for spec, or -1 with err naming
 * address, port and protocol.  Workers share a port through SO_REUSEPORT.
 */
static int
listen_socket(const struct listen_spec *spec, int reuseport, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sslen;
	int fd = -1, one = 1, saved;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, spec->addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)spec->port);
		sslen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, spec->addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)spec->port);
		sslen = sizeof(*s6);
	} else {
		snprintf(err, errlen, "--listen %s: not a numeric address",
		    spec->addr);
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1) ||
	    /* "::" means IPv6 only; IPv4 gets its own socket. */
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		saved = errno;
		snprintf(err, errlen, "%s%s%s port %d (%s): %s",
		    strchr(spec->addr, ':') ? "[" : "", spec->addr,
		    strchr(spec->addr, ':') ? "]" : "", spec->port,
		    spec->proto->name, strerror(saved));
		if (fd != -1)
			close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
server_probe(const struct config *cfg, char *err, size_t errlen)
{
	struct listen_spec plan[LISTEN_SPECS_MAX];
	size_t i, n = listen_plan(cfg, plan);
	int fd;

	/*
	 * Without SO_REUSEPORT, as a stranger would bind: a port another
	 * program (or another attache) holds is refused here, instead of
	 * silently sharing its connections with us.
	 */
	for (i = 0; i < n; i++) {
		if ((fd = listen_socket(&plan[i], 0, err, errlen)) == -1) {
			if (plan[i].optional && ipv6_absent(errno))
				continue;
			return -1;
		}
		close(fd);
	}
	return 0;
}

static int
listener_open(struct server *s, struct listener *l,
    const struct listen_spec *spec, char *err, size_t errlen)
{
	int fd;

	l->srv = s;
	l->proto = spec->proto;
	l->port = spec->port;
	snprintf(l->addr, sizeof(l->addr), "%s", spec->addr);
	if ((fd = listen_socket(spec, 1, err, errlen)) == -1)
		return -1;
	l->evl = evconnlistener_new(s->base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l->evl == NULL) {
		close(fd);
		snprintf(err, errlen, "%s port %d: cannot listen", l->addr,
		    l->port);
		return -1;
	}
	if ((l->resume = evtimer_new(s->base, listener_resume_cb, l)) == NULL) {
		evconnlistener_free(l->evl);
		l->evl = NULL;
		snprintf(err, errlen, "%s port %d: out of memory", l->addr,
		    l->port);
		return -1;
	}
	evconnlistener_set_error_cb(l->evl, accept_error_cb);
	return 0;
}

int
server_init(struct server *s, struct event_base *base,
    const struct config *cfg, SSL_CTX *tls, char *err, size_t errlen)
{
	struct listen_spec plan[LISTEN_SPECS_MAX];
	size_t i, n;

	memset(s, 0, sizeof(*s));
	s->base = base;
	s->cfg = cfg;
	s->tls = tls;
	s->capsule.rootfd = -1;
	TAILQ_INIT(&s->conns);
	if (capsule_open(&s->capsule, cfg->capsule, err, errlen) == -1)
		return -1;
	n = listen_plan(cfg, plan);
	if ((s->listeners = calloc(n, sizeof(*s->listeners))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (listener_open(s, &s->listeners[s->nlisteners], &plan[i],
		    err, errlen) == -1) {
			if (plan[i].optional && ipv6_absent(errno)) {
				log_warn("%s; serving IPv4 only", err);
				continue;
			}
			return -1;
		}
		s->nlisteners++;
	}
	return 0;
}

void
server_free(struct server *s)
{
	size_t i;

	while (!TAILQ_EMPTY(&s->conns))
		conn_free(TAILQ_FIRST(&s->conns));
	for (i = 0; i < s->nlisteners; i++) {
		evconnlistener_free(s->listeners[i].evl);
		event_free(s->listeners[i].resume);
	}
	free(s->listeners);
	s->listeners = NULL;
	s->nlisteners = 0;
	capsule_close(&s->capsule);
}
