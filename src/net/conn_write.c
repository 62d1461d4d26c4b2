/*
 * A connection's response: what handlers queue, a file streamed after it
 * with memory kept flat, then TLS close_notify, the FIN, and a short
 * linger for the client's own close.
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "conn_internal.h"
#include "log.h"
#include "render_cache.h"

#define FILE_CHUNK	(64 * 1024)	/* bytes of a streamed file read at once */
#define FILE_LOWMARK	(16 * 1024)	/* refill the output below this */

static void	conn_linger(struct conn *);

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

/*
 * A page that fits one TLS record with what is queued before it (its
 * header line) is copied behind it in one piece: libevent's TLS layer
 * writes each piece of the buffer as a record of its own, with a write()
 * each.  Larger ones go by reference, as they are.
 */
#define BLOB_COPY_MAX	(16 * 1024)

int
conn_write_blob(struct conn *c, struct render_blob *b)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = render_blob_len(b);

	if (len > 0 && evbuffer_get_length(out) + len <= BLOB_COPY_MAX) {
		if (evbuffer_expand(out, len) == -1 ||
		    evbuffer_add(out, render_blob_data(b), len) == -1)
			return -1;
	} else if (render_blob_add(b, out) == -1)
		return -1;
	c->bytes_out += len;
	return 0;
}

void
conn_wait(struct conn *c)
{
	c->state = CONN_WAITING;
	evtimer_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
}

void
conn_retry(struct conn *c, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!c->retrying && c->waited.tv_sec == 0 && c->waited.tv_nsec == 0)
		clock_gettime(CLOCK_MONOTONIC, &c->waited);
	conn_wait(c);
	c->retrying = 1;
	if (evtimer_add(c->timer, &tv) == -1)
		conn_abort(c, "cannot arm a timer");
}

long
conn_waited_ms(const struct conn *c)
{
	struct timespec now;

	if (c->waited.tv_sec == 0 && c->waited.tv_nsec == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - c->waited.tv_sec) * 1000 +
	    (now.tv_nsec - c->waited.tv_nsec) / 1000000;
}

uint64_t *
conn_retry_state(struct conn *c)
{
	return c->retry_state;
}

void
conn_respond(struct conn *c)
{
	if (c->peer_gone)
		conn_abort(c, "client went away");
	else
		conn_begin_response(c);
}

/* The response could not be delivered: log it as it went, and drop. */
void
conn_abort(struct conn *c, const char *why)
{
	c->why = why;
	conn_log(c, evbuffer_get_length(bufferevent_get_output(c->bev)));
	conn_free(c);
}

void
conn_cork(struct conn *c)
{
	int one = 1;

	if (!c->corked)
		c->corked = setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &one,
		    sizeof(one)) == 0;
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

/*
 * A whole answer in one piece goes to the socket at once, as almost all
 * fit it: not a loop turn later, after the write event is enabled, fired
 * and removed (perf: three epoll_ctl and an epoll_wait per request, and
 * one more pair for reading switched off and on again around it).  What
 * does not go now is left where it is, for libevent to write as before:
 * an unfinished TLS record is offered again from the same bytes.
 * Returns whether all of it went.
 */
static int
conn_send_now(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec v;
	SSL *ssl;
	int n;

	if (c->file_fd != -1)
		return 0;
	if (!c->tls) {
		/* The bufferevent keeps its output's start frozen but while
		 * it writes: so here. */
		evbuffer_unfreeze(out, 1);
		n = evbuffer_write(out, c->fd);
		evbuffer_freeze(out, 1);
		return n >= 0 && evbuffer_get_length(out) == 0;
	}
	if (evbuffer_peek(out, -1, NULL, &v, 1) != 1 || v.iov_len > INT_MAX)
		return 0;
	ssl = bufferevent_openssl_get_ssl(c->bev);
	ERR_clear_error();
	n = SSL_write(ssl, v.iov_base, (int)v.iov_len);
	ERR_clear_error();
	if (n <= 0)
		return 0;
	evbuffer_drain(out, (size_t)n);
	return evbuffer_get_length(out) == 0;
}

void
conn_begin_response(struct conn *c)
{
	/* The response, TLS's close_notify and the FIN in one go. */
	conn_cork(c);
	c->state = CONN_WRITING;
	evtimer_del(c->timer);
	/* What the client sends after its request line is ignored. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	/* Reading stays on: the linger that follows reads again. */
	if (conn_send_now(c)) {
		conn_log(c, 0);
		conn_shutdown(c);
		return;
	}
	bufferevent_disable(c->bev, EV_READ);
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

int
conn_stream_begin(struct conn *c, const struct conn_stream_ops *ops,
    void *arg)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	c->state = CONN_STREAMING;
	c->stream = ops;
	c->stream_arg = arg;
	c->stream_ended = 0;
	evtimer_del(c->timer);
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_setwatermark(c->bev, EV_WRITE, STREAM_LOWMARK, 0);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) == -1) {
		c->stream = NULL;
		return -1;
	}
	return 0;
}

int
conn_stream_write(struct conn *c, const void *buf, size_t len)
{
	if (bufferevent_write(c->bev, buf, len) == -1)
		return -1;
	c->bytes_out += len;
	return 0;
}

size_t
conn_stream_pending(const struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

void
conn_stream_end(struct conn *c)
{
	c->stream = NULL;
	c->stream_ended = 1;
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	conn_write_cb(c->bev, c);
}

void
conn_stream_abort(struct conn *c, const char *why)
{
	c->stream = NULL;
	conn_abort(c, why);
}

/* A stream's output drained: the source gives more, or it is all sent. */
static void
conn_stream_drained(struct conn *c, struct evbuffer *out)
{
	if (c->stream != NULL) {
		c->stream->drained(c, c->stream_arg);
		return;
	}
	if (c->stream_ended && evbuffer_get_length(out) == 0) {
		c->state = CONN_WRITING;
		bufferevent_disable(c->bev, EV_READ);
		conn_log(c, 0);
		conn_shutdown(c);
	}
}

void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (c->state == CONN_STREAMING) {
		conn_stream_drained(c, out);
		return;
	}
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

/*
 * The session ticket the handshake held back (a client certificate came:
 * tls_ticket_owed), now that the response is written: the corked
 * response is pushed out first, so that the ticket's making does not
 * delay it.  Returns SSL_do_handshake's result: below 1 with
 * SSL_ERROR_WANT_WRITE while the socket is full (conn_shutdown retries).
 */
static int
conn_send_ticket(struct conn *c, SSL *ssl)
{
	int off = 0, r;

	if (c->ticket_owed == TICKET_OWED) {
		if (c->corked) {
			(void)setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &off,
			    sizeof(off));
			c->corked = 0;
			conn_cork(c);	/* the ticket, close_notify, FIN */
		}
		c->ticket_owed = TICKET_ASKED;
		if (SSL_new_session_ticket(ssl) != 1)
			return 1;	/* none, then: the client does without */
	}
	r = SSL_do_handshake(ssl);
	if (r != 1 && SSL_get_error(ssl, r) == SSL_ERROR_WANT_WRITE)
		return r;
	c->ticket_owed = 0;
	return 1;
}

void
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
	r = c->ticket_owed ? conn_send_ticket(c, ssl) : 1;
	if (r == 1) {
		ERR_clear_error();
		r = SSL_shutdown(ssl);
	}
	if (r < 0 && SSL_get_error(ssl, r) == SSL_ERROR_WANT_WRITE) {
		/* The socket buffer is full: send the alert when it drains. */
		bufferevent_disable(c->bev, EV_READ);
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
