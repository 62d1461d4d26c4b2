/*
 * A connection's own state, below its reading, writing and events: its
 * end, the access line, its addresses, and what handlers may read of it.
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

#include "clock.h"
#include "conn_internal.h"
#include "conn_pool.h"
#include "fingerprint.h"
#include "jobs.h"
#include "log.h"
#include "tls_keys.h"

void
conn_free(struct conn *c)
{
	struct server *s = c->srv;
	const struct conf *conf = c->gen->conf;

	/*
	 * A handshake parked for its signature: driven once more, it fails
	 * and its job ends, before the SSL goes.
	 */
	if (c->ssl != NULL && c->bev == NULL && tls_key_cancel(c)) {
		tls_key_asker(c);
		(void)SSL_do_handshake(c->ssl);
		tls_key_asker(NULL);
		ERR_clear_error();
	}
	TAILQ_REMOVE(&s->conns, c, entry);
	if (c->stream != NULL) {
		const struct conn_stream_ops *ops = c->stream;

		c->stream = NULL;
		ops->gone(c, c->stream_arg);
	}
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
		    clock_ms());
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
	/* A copy: the caller's words may be gone by the access line. */
	c->why = NULL;
	if (why != NULL) {
		snprintf(c->why_kept, sizeof(c->why_kept), "%s", why);
		c->why = c->why_kept;
	}
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

struct ssl_st *
conn_ssl(const struct conn *c)
{
	return c->tls && c->bev != NULL ? bufferevent_openssl_get_ssl(c->bev) :
	    NULL;
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
	struct server *s = c->srv;

	if (s->jobs == NULL && (s->jobs = jobs_start()) == NULL)
		log_warn("worker %d: cannot start a background thread",
		    s->index);
	return s->jobs;
}

void *
conn_body_arg(const struct conn *c)
{
	return c->body_arg;
}
