/*
 * A connection's first steps, before it has a bufferevent: the limits,
 * the PROXY header on a proxy listener, then TLS or plain by the first
 * byte.  Until bytes arrive a connection is a struct conn, a timer and one
 * edge-triggered read event: no TLS state, no buffers.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "proxy_header.h"
#include "conn_internal.h"
#include "tls.h"
#include "tls_keys.h"
#include "conn_start.h"

#define TLS_HANDSHAKE	0x16	/* the first byte of a TLS ClientHello */

/*
 * Over a limit, at once and before any TLS work: Gopher gets its type-3
 * line (plain TCP costs nothing; a Gopher client over TLS sees a failed
 * handshake), Gemini a close (its 44 would need the handshake the limit
 * saves).  The log says which limit.
 */
static void
refuse(struct conn *c, const char *why)
{
	char line[256];
	int n;
	ssize_t r;

	if (!c->proto->tls) {
		n = snprintf(line, sizeof(line), "3Too many connections: try "
		    "again in %d seconds\t\terror.host\t1\r\n.\r\n",
		    REQUEST_TIMEOUT_SEC);
		do
			r = send(c->fd, line, (size_t)n, MSG_NOSIGNAL);
		while (r == -1 && errno == EINTR);
		(void)shutdown(c->fd, SHUT_WR);
		snprintf(c->status, sizeof(c->status), "3");
		c->bytes_out = r > 0 ? (size_t)r : 0;
	}
	c->why = why;
	conn_log(c, 0);
	conn_free(c);
}

/* The per-address limit, once the client's address is known. */
static int
address_allowed(struct conn *c)
{
	const struct conf *conf = c->gen->conf;
	char why[96];

	if (limits_open(c->gen->limits, &c->key, conf->max_per_address,
	    &c->counted_address) == LIMITS_OK)
		return 1;
	snprintf(why, sizeof(why), "over max-connections-per-address (%d)",
	    conf->max_per_address);
	refuse(c, why);
	return 0;
}

/*
 * The header, peeked at and consumed exactly: the bytes after it stay in
 * the socket for TLS or the Gopher request.  1: done; 0: wait for more;
 * -1: the connection is gone.
 */
static int
read_proxy_header(struct conn *c, short what)
{
	unsigned char buf[PROXY_HEADER_MAX];
	struct proxy_header h;
	struct timeval left;
	const char *why;
	size_t peeked;
	ssize_t n;
	long ms;

	do
		n = recv(c->fd, buf, sizeof(buf), MSG_PEEK);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		/* A connect and close (a port probe) is no failure. */
		conn_free(c);
		return -1;
	}
	peeked = (size_t)n;
	switch (proxy_header_parse(buf, peeked, &h, &why)) {
	case PROXY_INCOMPLETE:
		if (!(what & EV_CLOSED))
			return 0;
		why = "closed within the PROXY header";
		/* FALLTHROUGH */
	case PROXY_INVALID:
		log_warn("%s %s: PROXY header refused: %s", c->peer,
		    c->proto->name, why);
		conn_free(c);
		return -1;
	case PROXY_DONE:
		break;
	}
	do
		n = recv(c->fd, buf, h.len, 0);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)h.len) {
		conn_free(c);
		return -1;
	}
	if (peeked == h.len)
		conn_ack_now(c);	/* the header came alone */
	if (h.has_addresses) {
		conn_addr_string((struct sockaddr *)&h.src, c->peer,
		    sizeof(c->peer));
		limits_key_of((struct sockaddr *)&h.src, &c->key);
		conn_addr_string((struct sockaddr *)&h.dst, c->local,
		    sizeof(c->local));
		c->local_port = ntohs(h.dst.ss_family == AF_INET ?
		    ((struct sockaddr_in *)&h.dst)->sin_port :
		    ((struct sockaddr_in6 *)&h.dst)->sin6_port);
	}
	if (!address_allowed(c))
		return -1;
	/* The request's deadline counts from the connect. */
	ms = REQUEST_TIMEOUT_SEC * 1000L - conn_elapsed_ms(c);
	if (ms < 1)
		ms = 1;
	left.tv_sec = ms / 1000;
	left.tv_usec = (ms % 1000) * 1000;
	if (evtimer_add(c->timer, &left) == -1) {
		conn_free(c);
		return -1;
	}
	c->state = CONN_FIRST;
	return 1;
}

/*
 * Whether what was just read is a TLS 1.3 client's last flight on a
 * site that asks for certificates.  With a certificate in it, OpenSSL 3.0
 * takes a third of a millisecond over it (the certificate decoded, the
 * client's signature checked), and a client that leaves Nagle on holds
 * its request until that flight is acknowledged: so it is, as soon as it
 * is read (docs/performance.md).
 */
static int
last_flight_with_certificate(SSL *ssl)
{
	OSSL_HANDSHAKE_STATE st = SSL_get_state(ssl);

	return (st == TLS_ST_SW_FINISHED || st == TLS_ST_EARLY_DATA) &&
	    (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0;
}

/*
 * Whether the last bytes that moved on the socket in the handshake were
 * the client's: then no flight of ours carried their ACK.
 */
static long
handshake_io(BIO *b, int oper, const char *argp, size_t len, int argi,
    long argl, int ret, size_t *processed)
{
	struct conn *c = (struct conn *)BIO_get_callback_arg(b);

	(void)argp;
	(void)len;
	(void)argi;
	(void)argl;
	if (ret > 0 && processed != NULL && *processed > 0) {
		if (oper == (BIO_CB_READ | BIO_CB_RETURN)) {
			c->heard_last = 1;
			if (last_flight_with_certificate(c->ssl))
				conn_ack_now(c);
		} else if (oper == (BIO_CB_WRITE | BIO_CB_RETURN))
			c->heard_last = 0;
	}
	return ret;
}

/* Whether c is its worker's only connection. */
static int
alone(const struct conn *c)
{
	return TAILQ_FIRST(&c->srv->conns) == c &&
	    TAILQ_NEXT(c, entry) == NULL;
}

/*
 * The handshake, driven here rather than by libevent's TLS bufferevent:
 * that one switches its events from handshake to open mode (four
 * epoll_ctl calls per connection, perf).  Edge-triggered works, as
 * OpenSSL reads until EAGAIN before it asks for more.  The rare handshake
 * that waits to write (a client not reading) is handed to libevent.
 */
static void
handshake_step(struct conn *c)
{
	SSL *ssl = c->ssl;
	int r, e;

	ERR_clear_error();
	/*
	 * A signature asked for now is this connection's (tls_keys.c).  Alone
	 * on its worker, it waits for it: parking would cost a turn of the
	 * loop and keep nobody else going.
	 */
	tls_key_asker(alone(c) ? NULL : c);
	r = SSL_do_handshake(ssl);
	tls_key_asker(NULL);
	if (r == 1 || (e = SSL_get_error(ssl, r)) == SSL_ERROR_WANT_WRITE) {
		/* Signed: reads and writes need no job of their own. */
		SSL_clear_mode(ssl, SSL_MODE_ASYNC);
		BIO_set_callback_ex(SSL_get_rbio(ssl), NULL);
		event_free(c->wait);
		c->wait = NULL;
		if (r == 1)
			conn_handshake_done(c, ssl);
		/*
		 * Exact reads from now: libevent never looks in OpenSSL's
		 * buffer (what is there already, conn_read_pending takes).
		 */
		SSL_set_read_ahead(ssl, 0);
		/*
		 * The request came with the Finished, or comes next: then
		 * the client's last flight is acknowledged at once.
		 */
		if (conn_serve(c, ssl, r != 1) == 0 && r == 1 &&
		    !conn_read_pending(c))
			conn_ack_now(c);
		return;
	}
	/* Parked: the key process's answer wakes it (conn_key_answered). */
	if (e == SSL_ERROR_WANT_ASYNC)
		return;
	if (e == SSL_ERROR_WANT_READ) {
		/*
		 * Our flight is out, up to its Finished (TLS 1.3 then waits
		 * in EARLY_DATA): what comes next is the session ticket,
		 * which can wait for the response (not behind a proxy).
		 */
		if ((SSL_get_state(ssl) == TLS_ST_SW_FINISHED ||
		    SSL_get_state(ssl) == TLS_ST_EARLY_DATA) &&
		    !c->listener->proxy)
			conn_cork(c);
		/*
		 * Bytes read since our last write (a flight not whole yet,
		 * or GnuTLS's ChangeCipherSpec, written apart from its
		 * Finished): ACK them, or Nagle holds the rest.
		 */
		if (c->heard_last) {
			c->heard_last = 0;
			conn_ack_now(c);
		}
		return;
	}
	/* A bare connect and close (a port probe) is no failure. */
	if (BIO_number_read(SSL_get_rbio(ssl)) > 0)
		log_warn("%s %s: TLS handshake failed: %s", c->peer,
		    c->proto->name, conn_tls_reason(0));
	ERR_clear_error();
	conn_free(c);
}

/*
 * TLS or not: Gemini always (a client that is not gets the handshake's
 * error), Gopher when the first byte opens a TLS record.  Then the TLS
 * state is made, now that there are bytes for it.
 */
static void
read_first_byte(struct conn *c)
{
	const struct site *site = c->site;
	unsigned char b = TLS_HANDSHAKE;
	ssize_t n;

	if (!c->proto->tls) {
		do
			n = recv(c->fd, &b, 1, MSG_PEEK);
		while (n == -1 && errno == EINTR);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* Connected and closed without a byte: a probe. */
			conn_free(c);
			return;
		}
		if (b != TLS_HANDSHAKE) {
			event_free(c->wait);
			c->wait = NULL;
			(void)conn_serve(c, NULL, 0);
			return;
		}
	}
	/* Gemini starts with the first site (SNI picks); Gopher has its
	 * port's, and no app data keeps it (generation.c). */
	if (site->tls == NULL) {
		log_warn("%s %s: a TLS handshake, but site %s has no "
		    "certificate (Gemini is off)", c->peer,
		    c->proto->name, site->conf->name);
		conn_free(c);
		return;
	}
	if ((c->ssl = SSL_new(site->tls)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1) {
		log_warn("%s: cannot set up TLS", c->peer);
		ERR_clear_error();
		conn_free(c);
		return;
	}
	if (c->proto->tls)
		SSL_set_app_data(c->ssl, &c->site);
	/*
	 * Where the worker parks a handshake while the key process signs, it
	 * runs in an OpenSSL job that can pause there (tls_keys.h).
	 */
	if (tls_key_parking())
		SSL_set_mode(c->ssl, SSL_MODE_ASYNC);
	if (c->listener->proxy && tls_set_proxied(c->ssl) == -1) {
		log_warn("%s: cannot set up TLS", c->peer);
		conn_free(c);
		return;
	}
	SSL_set_accept_state(c->ssl);
	BIO_set_callback_arg(SSL_get_rbio(c->ssl), (char *)c);
	BIO_set_callback_ex(SSL_get_rbio(c->ssl), handshake_io);
	c->heard_last = 0;
	c->state = CONN_HANDSHAKE;
	handshake_step(c);
}

void
conn_key_answered(void *conn)
{
	struct conn *c = conn;

	if (c->wait != NULL)
		event_active(c->wait, EV_READ, 0);
}

static void
wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	if (c->state == CONN_HANDSHAKE) {
		handshake_step(c);
		return;
	}
	if (c->state == CONN_PROXY && read_proxy_header(c, what) != 1)
		return;
	/* Edge-triggered: bytes after the header are not announced again. */
	read_first_byte(c);
}

void
conn_start(struct server *s, const struct gen_listener *spec, int fd,
    const struct sockaddr *sa)
{
	const struct generation *g = s->gen;
	struct conn *c;
	char why[96];

	if ((c = conn_new(s, spec, fd, sa, spec->proxy ? PROXY_TIMEOUT_SEC :
	    REQUEST_TIMEOUT_SEC)) == NULL)
		return;
	if (limits_total_open(g->limits, g->max_connections) != LIMITS_OK) {
		snprintf(why, sizeof(why), "over max-connections (%d)",
		    g->max_connections);
		refuse(c, why);
		return;
	}
	c->counted_total = 1;
	/* Behind a proxy the client is known once its header is read. */
	if (!spec->proxy && !address_allowed(c))
		return;
	/*
	 * Edge-triggered, as peeking leaves the bytes where they are: a
	 * level-triggered event would fire again at once while they wait.
	 */
	c->wait = event_new(s->base, fd, EV_READ | EV_PERSIST | EV_ET |
	    EV_CLOSED, wait_cb, c);
	if (c->wait == NULL || event_add(c->wait, NULL) == -1) {
		log_warn("%s: cannot wait for the connection's bytes", c->peer);
		conn_free(c);
	}
}
