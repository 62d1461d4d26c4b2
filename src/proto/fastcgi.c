/* A FastCGI responder's answer to one request, on the worker's loop. */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "clock.h"
#include "conf.h"
#include "conf_cgi.h"
#include "conn.h"
#include "fastcgi.h"
#include "fcgi_prelude.h"
#include "fcgi_record.h"
#include "gemini_reply.h"
#include "generation.h"
#include "gopher_reply.h"
#include "log.h"
#include "program_env.h"
#include "program_reply.h"

#define FCGI_REQUEST_ID	1	/* one request per connection */
#define RESPONDER_MAX	(CONF_FASTCGI_PATH_MAX + 16)
#define FASTCGI_BUSY_SEC 5	/* 44's wait, when cgi-max are under way */

struct fastcgi {
	struct conn		*c;
	struct generation	*gen;		/* held until the end */
	struct fastcgi_share	*share;		/* the site's, in gen */
	int			 counted;	/* in share->running */
	struct program_reply	*reply;
	struct bufferevent	*bev;		/* to the responder */
	struct event		*timer;		/* no header, or a stall */
	struct event		*kick;		/* resumed: read what waits */
	struct fcgi_reader	 rd;
	struct fcgi_prelude	 prelude;	/* php-fpm's CGI headers */
	int			 timeout_sec;
	int			 paused;	/* the client is slow */
	int			 connected;
	int64_t			 last_ms;	/* the last output, or resume */
	/* Standard error: the line so far. */
	size_t			 errlen;
	int			 errcut;	/* the line was longer */
	char			 site[256];
	char			 responder[RESPONDER_MAX];
	char			 err[FASTCGI_ERR_LINE];
};

/*
 * The site's pace of standard error lines, over all its requests and
 * workers (GCRA): FASTCGI_ERR_BURST at once, then FASTCGI_ERR_PER_SEC a
 * second.  1 when a line may be logged now.
 */
static int
err_allowed(struct fastcgi_share *sh)
{
	const long long every = 1000 / FASTCGI_ERR_PER_SEC;
	const long long slack = (FASTCGI_ERR_BURST - 1) * every;
	long long now = (long long)clock_ms(), next, due;

	next = atomic_load(&sh->err_next);
	do {
		due = next > now ? next : now;
		if (due - now > slack)
			return 0;
	} while (!atomic_compare_exchange_weak(&sh->err_next, &next,
	    due + every));
	return 1;
}

/* The end: the responder's connection and everything of the request. */
static void
finish(struct fastcgi *f)
{
	unsigned n;

	/* Lines left out, said when the pace allows (else by the next). */
	if (f->share != NULL && atomic_load(&f->share->err_dropped) > 0 &&
	    err_allowed(f->share) &&
	    (n = atomic_exchange(&f->share->err_dropped, 0)) > 0)
		log_warn("%s %s: %u lines of standard error not logged",
		    f->site, f->responder, n);
	if (f->reply != NULL)
		program_reply_free(f->reply);
	if (f->bev != NULL)
		bufferevent_free(f->bev);
	if (f->timer != NULL)
		event_free(f->timer);
	if (f->kick != NULL)
		event_free(f->kick);
	if (f->counted)
		atomic_fetch_sub(&f->share->running, 1);
	generation_unref(f->gen);
	free(f);
}

static void
fail(struct fastcgi *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Says why in the reply's log line (42, or the connection closed). */
static void
fail(struct fastcgi *f, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	program_reply_fail(f->reply, why);
	finish(f);
}

/* One line of standard error to the log, within the budget. */
static void
err_line(struct fastcgi *f)
{
	char esc[FASTCGI_ERR_LINE * 4 + 1];
	unsigned n;

	if (!err_allowed(f->share))
		atomic_fetch_add(&f->share->err_dropped, 1);
	else {
		n = atomic_exchange(&f->share->err_dropped, 0);
		log_escape(f->err, f->errlen, esc, sizeof(esc));
		if (n > 0)
			log_warn("%s %s: stderr: %s%s (after %u lines not "
			    "logged)", f->site, f->responder, esc,
			    f->errcut ? "..." : "", n);
		else
			log_warn("%s %s: stderr: %s%s", f->site, f->responder,
			    esc, f->errcut ? "..." : "");
	}
	f->errlen = 0;
	f->errcut = 0;
}

static void
err_bytes(struct fastcgi *f, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n') {
			if (f->errlen > 0 && f->err[f->errlen - 1] == '\r')
				f->errlen--;
			err_line(f);
		} else if (f->errlen < sizeof(f->err))
			f->err[f->errlen++] = (char)p[i];
		else
			f->errcut = 1;
	}
}

static const char *
protocol_status(int s)
{
	switch (s) {
	case FCGI_CANT_MPX_CONN:
		return "cannot take another request on a connection";
	case FCGI_OVERLOADED:
		return "overloaded";
	case FCGI_UNKNOWN_ROLE:
		return "does not take the responder role";
	}
	return "refused the request";
}

/* Reads what the responder sent; 1 when f is over (freed). */
static int
take(struct fastcgi *f)
{
	struct evbuffer *in = bufferevent_get_input(f->bev);
	struct evbuffer_iovec v;
	struct fcgi_item it;
	size_t used, skip;

	while (!f->paused && evbuffer_get_length(in) > 0 &&
	    evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
		fcgi_read(&f->rd, v.iov_base, v.iov_len, &used, &it);
		switch (it.kind) {
		case FCGI_ITEM_MORE:
			break;
		case FCGI_ITEM_STDOUT:
			f->last_ms = clock_ms();
			skip = fcgi_prelude_skip(&f->prelude, it.data, it.len);
			if (f->prelude.state == FCGI_PRELUDE_TOO_LONG) {
				fail(f, "a CGI header block longer than %d "
				    "bytes from the responder",
				    FCGI_PRELUDE_MAX);
				return 1;
			}
			if (skip == it.len)
				break;
			if (program_reply_data(f->reply,
			    (const char *)it.data + skip, it.len - skip) ==
			    PROGRAM_REPLY_DONE) {
				/* Complete: what else comes is not read. */
				finish(f);
				return 1;
			}
			break;
		case FCGI_ITEM_STDERR:
			err_bytes(f, it.data, it.len);
			break;
		case FCGI_ITEM_END:
			if (f->errlen > 0)
				err_line(f);
			if (it.protocol_status != FCGI_REQUEST_COMPLETE) {
				fail(f, "the responder %s",
				    protocol_status(it.protocol_status));
				return 1;
			}
			program_reply_end(f->reply);
			finish(f);
			return 1;
		case FCGI_ITEM_ERROR:
			fail(f, "a malformed record from the responder: %s",
			    it.why);
			return 1;
		}
		if (evbuffer_drain(in, used) == -1) {
			fail(f, "out of memory");
			return 1;
		}
	}
	return 0;
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	take(arg);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct fastcgi *f = arg;
	int e = errno;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		f->connected = 1;
		return;
	}
	if (!f->connected) {
		fail(f, "cannot reach the responder: %s",
		    e != 0 ? strerror(e) : "error");
		return;
	}
	/* What came with the close is read first. */
	if (take(f))
		return;
	if (f->paused)
		return;
	if (what & BEV_EVENT_EOF)
		fail(f, "the responder closed the connection before "
		    "END_REQUEST");
	else
		fail(f, "the connection to the responder failed: %s",
		    e != 0 ? strerror(e) : "error");
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fastcgi *f = arg;
	struct timeval tv;
	int64_t idle;

	(void)fd;
	(void)what;
	if (!program_reply_begun(f->reply)) {
		fail(f, "no header from the responder within %d s",
		    f->timeout_sec);
		return;
	}
	idle = clock_ms() - f->last_ms;
	if (!f->paused && idle >= (int64_t)f->timeout_sec * 1000) {
		fail(f, "no output from the responder for %d s",
		    f->timeout_sec);
		return;
	}
	/* Paused, the client is slow: its own write timeout rules. */
	if (f->paused)
		idle = 0;
	idle = (int64_t)f->timeout_sec * 1000 - idle;
	tv.tv_sec = (time_t)(idle / 1000);
	tv.tv_usec = (suseconds_t)(idle % 1000) * 1000;
	if (evtimer_add(f->timer, &tv) == -1)
		fail(f, "cannot arm the timer");
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	take(arg);
}

static void
src_pause(void *arg)
{
	struct fastcgi *f = arg;

	f->paused = 1;
	/* Cannot fail for a socket's bufferevent; take() stops anyway. */
	(void)bufferevent_disable(f->bev, EV_READ);
}

static void
src_resume(void *arg)
{
	struct fastcgi *f = arg;

	f->paused = 0;
	f->last_ms = clock_ms();
	/* If it failed, what waits is still read, then the timer ends it. */
	(void)bufferevent_enable(f->bev, EV_READ);
	/* Not from within the reply's call: on the loop's next turn. */
	event_active(f->kick, EV_TIMEOUT, 0);
}

static void
src_gone(void *arg)
{
	struct fastcgi *f = arg;

	/* The client went: closing the connection aborts the request. */
	finish(f);
}

static const struct program_source fastcgi_source = {
	src_pause,
	src_resume,
	src_gone
};

static int
put_output(void *arg, const void *data, size_t len)
{
	return evbuffer_add(arg, data, len);
}

/* The PARAMS: env, a param of the location replacing its namesake. */
static int
write_params(struct evbuffer *out, const struct conf_location *loc,
    const struct program_env *env)
{
	const struct program_var *v;
	struct fcgi_params *p;
	size_t i, j;
	int rv = -1;

	if ((p = malloc(sizeof(*p))) == NULL)
		return -1;
	fcgi_params_init(p, put_output, out, FCGI_REQUEST_ID);
	for (i = 0; i < env->n; i++) {
		v = &env->var[i];
		for (j = 0; j < loc->nparams; j++)
			if (strlen(loc->params[j].name) == v->namelen &&
			    memcmp(loc->params[j].name, v->name,
			    v->namelen) == 0)
				break;
		if (j < loc->nparams)
			continue;
		if (fcgi_params_add(p, v->name, v->namelen, v->value,
		    v->valuelen) == -1)
			goto out;
	}
	for (j = 0; j < loc->nparams; j++)
		if (fcgi_params_add(p, loc->params[j].name,
		    strlen(loc->params[j].name), loc->params[j].value,
		    strlen(loc->params[j].value)) == -1)
			goto out;
	rv = fcgi_params_end(p);
out:
	free(p);
	return rv;
}

/* STDIN: the body, taken from its buffer, then the empty record. */
static int
write_stdin(struct evbuffer *out, struct evbuffer *body)
{
	unsigned char *p;
	size_t n;

	while (body != NULL && (n = evbuffer_get_length(body)) > 0) {
		if (n > FCGI_CONTENT_MAX)
			n = FCGI_CONTENT_MAX;
		if ((p = evbuffer_pullup(body, (ev_ssize_t)n)) == NULL ||
		    fcgi_write_stream(put_output, out, FCGI_STDIN,
		    FCGI_REQUEST_ID, p, n) == -1 ||
		    evbuffer_drain(body, n) == -1)
			return -1;
	}
	return fcgi_write_stream(put_output, out, FCGI_STDIN, FCGI_REQUEST_ID,
	    NULL, 0);
}

/* The responder's address; its name for the log in f->responder. */
static socklen_t
responder_addr(struct fastcgi *f, const struct conf_location *loc,
    struct sockaddr_storage *ss)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (loc->fastcgi == CONF_FASTCGI_UNIX) {
		snprintf(f->responder, sizeof(f->responder), "unix:%s",
		    loc->fastcgi_addr);
		un->sun_family = AF_UNIX;
		/* Checked by the configuration: it fits. */
		snprintf(un->sun_path, sizeof(un->sun_path), "%s",
		    loc->fastcgi_addr);
		return sizeof(*un);
	}
	if (inet_pton(AF_INET, loc->fastcgi_addr, &in->sin_addr) == 1) {
		snprintf(f->responder, sizeof(f->responder), "%s:%d",
		    loc->fastcgi_addr, loc->fastcgi_port);
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)loc->fastcgi_port);
		return sizeof(*in);
	}
	snprintf(f->responder, sizeof(f->responder), "[%s]:%d",
	    loc->fastcgi_addr, loc->fastcgi_port);
	if (inet_pton(AF_INET6, loc->fastcgi_addr, &in6->sin6_addr) != 1)
		return 0;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)loc->fastcgi_port);
	return sizeof(*in6);
}

/* The connection, and the request written out for it to send. */
static int
open_responder(struct fastcgi *f, const struct conf_location *loc,
    const struct program_env *env, struct evbuffer *body, const char **why)
{
	struct sockaddr_storage ss;
	struct evbuffer *out;
	socklen_t sl;
	int fd;

	*why = "out of memory";
	if ((sl = responder_addr(f, loc, &ss)) == 0) {
		*why = "the responder's address is not valid";
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1 &&
	    errno != EINPROGRESS) {
		*why = strerror(errno);
		close(fd);
		return -1;
	}
	if ((f->bev = bufferevent_socket_new(conn_base(f->c), fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		return -1;
	}
	bufferevent_setcb(f->bev, read_cb, NULL, event_cb, f);
	/* With no address: wait for the connect under way, then write. */
	if (bufferevent_socket_connect(f->bev, NULL, 0) == -1)
		return -1;
	out = bufferevent_get_output(f->bev);
	if (fcgi_write_begin(put_output, out, FCGI_REQUEST_ID, FCGI_RESPONDER,
	    0) == -1 || write_params(out, loc, env) == -1 ||
	    write_stdin(out, body) == -1)
		return -1;
	if (bufferevent_enable(f->bev, EV_READ | EV_WRITE) == -1)
		return -1;
	*why = NULL;
	return 0;
}

int
fastcgi_start(struct conn *c, const struct conf_location *loc,
    const struct program_env *env, struct evbuffer *body, int gopher,
    const char *page_path)
{
	char label[CONF_FASTCGI_PATH_MAX + 1400], busy[16];
	struct timeval tv;
	struct fastcgi *f;
	const char *why;
	int max;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		log_warn("%s: out of memory for a FastCGI request",
		    conn_peer(c));
		goto refuse;
	}
	f->c = c;
	f->gen = generation_ref(conn_generation(c));
	f->timeout_sec = conf_cgi_timeout(conn_generation(c)->conf,
	    conn_site(c)->conf);
	f->last_ms = clock_ms();
	fcgi_reader_init(&f->rd, FCGI_REQUEST_ID);
	snprintf(f->site, sizeof(f->site), "%s", conn_site(c)->conf->name);
	/* The name for the log before anything can fail. */
	(void)responder_addr(f, loc, &(struct sockaddr_storage){ 0 });
	snprintf(label, sizeof(label), "%s %s (FastCGI %s)", f->site,
	    page_path, f->responder);
	if ((f->reply = program_reply_new(c, gopher, page_path, label,
	    &fastcgi_source, f)) == NULL) {
		log_warn("%s %s: cannot stream an answer", conn_peer(c), label);
		finish(f);
		goto refuse;
	}
	/* cgi-max: a 44, as if the responder said it. */
	f->share = &f->gen->fastcgi[conn_site(c) - f->gen->sites];
	max = conf_cgi_max(f->gen->conf, conn_site(c)->conf);
	if (atomic_fetch_add(&f->share->running, 1) >= (unsigned)max) {
		atomic_fetch_sub(&f->share->running, 1);
		log_warn("%s %s: cgi-max (%d) requests under way", conn_peer(c),
		    label, max);
		snprintf(busy, sizeof(busy), "44 %d\r\n", FASTCGI_BUSY_SEC);
		if (program_reply_data(f->reply, busy, strlen(busy)) ==
		    PROGRAM_REPLY_MORE)
			program_reply_end(f->reply);
		finish(f);
		return 0;
	}
	f->counted = 1;
	tv.tv_sec = f->timeout_sec;
	tv.tv_usec = 0;
	if ((f->timer = evtimer_new(conn_base(c), timer_cb, f)) == NULL ||
	    (f->kick = event_new(conn_base(c), -1, 0, kick_cb, f)) == NULL ||
	    evtimer_add(f->timer, &tv) == -1)
		fail(f, "out of memory");
	else if (open_responder(f, loc, env, body, &why) == -1)
		fail(f, "cannot reach the responder: %s", why);
	return 0;
refuse:
	/* Nothing started: the protocol's own refusal. */
	if (gopher)
		gopher_error(c, "Server error", "FastCGI: out of memory");
	else
		gemini_header_only(c, 42, "Server error",
		    "FastCGI: out of memory");
	return -1;
}
