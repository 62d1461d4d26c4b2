/*
 * A connection on its worker's loop: made with its deadline, served by a
 * bufferevent once TLS (or none) is settled, and what its events and its
 * deadline do in each state.  Reading is conn_read.c's, the response
 * conn_write.c's, what they share conn.c's.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "conn_internal.h"
#include "conn_pool.h"
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
	limits_key_of(sa, &c->key);
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
	/*
	 * Writing is enabled with the response, if it does not go at once
	 * (conn_write.c): a new plain bufferevent has it on, and would add
	 * its write event as soon as the response is queued.  (The TLS one
	 * adds it either way; it also drives a handshake that must write.)
	 */
	if (ssl == NULL)
		bufferevent_disable(c->bev, EV_WRITE);
	if (bufferevent_enable(c->bev, EV_READ) == -1) {
		conn_free(c);
		return -1;
	}
	return 0;
}

/*
 * Behind a proxy our ACKs reach the proxy, not the client, and the proxy
 * delays its own: only bytes of ours carry its ACK of the client's last
 * flight, which a client with Nagle on waits for before its request.  So
 * a proxied TLS 1.3 handshake sends its ticket at once (not corked), and a
 * resumed one, which would send nothing, gets a fresh ticket; so does one
 * that held its ticket back (tls_ticket_owed).  A resumed TLS 1.2
 * handshake has nothing to send after the client's Finished.  Elsewhere a
 * ticket held back goes after the response (conn_shutdown).
 */
void
conn_handshake_done(struct conn *c, SSL *ssl)
{
	c->ticket_owed = tls_ticket_owed(ssl);
	if (!c->listener->proxy || SSL_version(ssl) < TLS1_3_VERSION ||
	    (!SSL_session_reused(ssl) && !c->ticket_owed))
		return;
	c->ticket_owed = 0;
	if (SSL_new_session_ticket(ssl) != 1 || SSL_do_handshake(ssl) != 1)
		ERR_clear_error();	/* not sent now: it goes with the answer */
}

void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	SSL *ssl;

	if (what & BEV_EVENT_CONNECTED) {
		conn_handshake_done(c, bufferevent_openssl_get_ssl(bev));
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
	case CONN_STREAMING:
		/*
		 * A plain client may close its side only, and still read:
		 * the stream goes on (a write fails once it is gone).
		 */
		if (!c->tls && (what & BEV_EVENT_EOF) &&
		    (what & BEV_EVENT_READING)) {
			bufferevent_disable(bev, EV_READ);
			break;
		}
		/* FALLTHROUGH */
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
	if (c->state == CONN_WAITING && c->retrying) {
		conn_request_again(c);
		return;
	}
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
