/*
 * Reading a connection: the request line framed by the protocol's line
 * end, handed to the protocol under the rate limit; then the body, if the
 * handler asked for one; then, lingering, what the client still sends.
 */
#include <sys/socket.h>

#include <netinet/tcp.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "clock.h"
#include "conn_internal.h"
#include "tls.h"

#define READ_AHEAD_PIECE	4096	/* taken from OpenSSL's buffer at once */

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

/*
 * A handshake reads ahead (tls.c): the bytes after the client's Finished,
 * its request most often (a Titan body too), may be in OpenSSL's buffer
 * already when it ends, and the socket will not announce them again; nor
 * does libevent look there (it asks SSL_pending, which counts only a
 * record already opened).  So they are all taken here, as libevent would
 * on a read event (at most the read-ahead buffer; reads are exact from
 * then on, handshake_step), and the request is served.  Returns 1 when
 * bytes were taken: c may be freed then, and nothing may touch it after.
 */
int
conn_read_pending(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	int n = 0;

	if (ssl == NULL)
		return 0;
	while (SSL_has_pending(ssl) &&
	    evbuffer_reserve_space(in, READ_AHEAD_PIECE, &v, 1) == 1) {
		ERR_clear_error();
		n = SSL_read(ssl, v.iov_base, v.iov_len > READ_AHEAD_PIECE ?
		    READ_AHEAD_PIECE : (int)v.iov_len);
		/* Short of a record, or an alert: the socket's next event. */
		ERR_clear_error();
		v.iov_len = n > 0 ? (size_t)n : 0;
		if (evbuffer_commit_space(in, &v, 1) == -1 || n <= 0)
			break;
	}
	if (evbuffer_get_length(in) == 0)
		return 0;
	conn_read_cb(c->bev, c);
	return 1;
}

void
conn_body_expected(struct conn *c)
{
	/* The body's first bytes came with the line: they carry no wait. */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
		conn_ack_now(c);
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

/* Lingering: what the client still sends is dropped, up to a bound. */
static void
conn_linger_drop(struct conn *c, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);

	evbuffer_drain(in, len);
	c->linger_dropped += len;
	if (c->linger_dropped >= LINGER_MAX)
		conn_free(c);
}

/*
 * Takes the request line out of in into c->req (a too long one cut short
 * at REQUEST_MAX + 2 bytes), with its line end, so that what follows is
 * the body.  Returns its length without the line end; -1 while the line
 * is not whole yet; -2 when it could not be read (c is freed).
 */
static ssize_t
conn_take_line(struct conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr eol;
	size_t len;

	if (c->proto->crlf_only)
		eol = evbuffer_search(in, "\r\n", 2, NULL);
	else
		eol = evbuffer_search(in, "\n", 1, NULL);
	if (eol.pos == -1 && evbuffer_get_length(in) <= REQUEST_MAX + 1) {
		conn_ack_now(c);	/* the line is not complete yet */
		return -1;
	}
	len = eol.pos == -1 || (size_t)eol.pos > REQUEST_MAX + 1 ?
	    REQUEST_MAX + 2 : (size_t)eol.pos;
	if (evbuffer_remove(in, c->req, len) != (int)len) {
		conn_abort(c, "cannot read request");
		return -2;
	}
	if (eol.pos != -1 && (size_t)eol.pos == len)
		evbuffer_drain(in, c->proto->crlf_only ? 2 : 1);
	if (!c->proto->crlf_only && len > 0 && c->req[len - 1] == '\r')
		len--;
	return (ssize_t)len;
}

/*
 * Hands the line of len bytes to the protocol: slowed down over the rate
 * limit, refused when too long, else answered.
 */
static void
conn_dispatch(struct conn *c, size_t len)
{
	const struct conf *conf = c->gen->conf;
	int wait;

	conn_peer_cert(c);
	wait = c->counted_address ? limits_request(c->gen->limits, &c->key,
	    conf->rate, conf->burst, clock_ms()) : 0;
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
}

void
conn_request_again(struct conn *c)
{
	c->retrying = 0;
	if (c->peer_gone) {
		conn_abort(c, "client went away");
		return;
	}
	/* As it was when the line came, with the rate already counted. */
	c->state = CONN_READING;
	c->proto->request(c, c->req, c->reqlen);
	if (c->state == CONN_READING)
		conn_begin_response(c);
}

void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	ssize_t len;

	switch (c->state) {
	case CONN_CLOSING:
	case CONN_STREAMING:
		conn_linger_drop(c, in);
		return;
	case CONN_BODY:
		conn_body_pump(c);
		return;
	case CONN_READING:
		break;
	default:
		return;
	}
	if ((len = conn_take_line(c, in)) < 0)
		return;
	conn_dispatch(c, (size_t)len);
	/* A handler may read a body first, or answer later. */
	if (c->state == CONN_BODY)
		conn_body_pump(c);
	else if (c->state == CONN_READING)
		conn_begin_response(c);
}
