/* CGI on the worker's loop: the script found, the runner asked, the
 * output read into a program reply (cgi.h). */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "capsule.h"
#include "cgi.h"
#include "cgi_wire.h"
#include "conf_cgi.h"
#include "conn.h"
#include "gemini_reply.h"
#include "gemini_request.h"
#include "generation.h"
#include "gopher_reply.h"
#include "gopher_request.h"
#include "ipc.h"
#include "log.h"
#include "program_reply.h"
#include "program_request.h"
#include "runner_link.h"
#include "titan_request.h"
#include "zone.h"

#define READ_CHUNK	(16 * 1024)	/* bytes of output read at once */
#define RUNNER_WAIT_MS	5000	/* a runner starting: asked again */
#define RUNNER_RETRY_MS	20

struct cgi_call {
	struct conn		*c;
	struct program_reply	*reply;
	int			 ctl;		/* to the runner: closed, the
						 * script's group is killed */
	int			 out;		/* the script's stdout */
	int			 in;		/* Titan: the body, until sent */
	int			 runner;
	int			 gopher;
	int			 timeout;	/* seconds */
	int			 paused;
	struct event		*ctl_ev;
	struct event		*out_ev;
	struct event		*timer;
	struct program_env	*env;		/* Titan: until the body is in */
	char			 site[256];
	char			 script[REQUEST_MAX + 1];
	char			 label[REQUEST_MAX + 300];
};

static void	call_free(struct cgi_call *);

/*
 * The script of path: the first regular file on it, when it is executable,
 * not hidden, reached without a symlink, and under a location with cgi on.
 * Only the prefixes a cgi location matches are looked at: a path that no
 * cgi location matches costs no system call.
 */
static int
find_script(const struct site *s, const char *path, size_t len, size_t *slen)
{
	const struct conf_location *loc;
	char pre[REQUEST_MAX + 1];
	struct stat st;
	size_t i;
	int fd, r;

	if (len == 0 || len > REQUEST_MAX || path[0] != '/')
		return 0;
	for (i = 0; i < s->conf->nlocations && !s->conf->locations[i].cgi; i++)
		;
	if (i == s->conf->nlocations)
		return 0;	/* nothing runs on this site */
	for (i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		memcpy(pre, path, i);
		pre[i] = '\0';
		if (capsule_path_hidden(pre, i))
			return 0;
		loc = conf_location_match(s->conf, pre);
		if (loc == NULL || !loc->cgi)
			continue;
		/* A file before this prefix makes it fail: no script. */
		if ((fd = capsule_open_plain(&s->capsule, pre,
		    O_PATH | O_CLOEXEC)) == -1)
			return 0;
		r = fstat(fd, &st);
		close(fd);
		if (r == -1)
			return 0;
		if (S_ISDIR(st.st_mode))
			continue;
		if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
			return 0;
		*slen = i;
		return 1;
	}
	return 0;
}

/* A refusal before the call was made: the protocol's own answer. */
static void
refuse(struct conn *c, int gopher, int status, const char *meta,
    const char *why)
{
	char msg[128];

	log_warn("%s %s: CGI: %s", conn_peer(c), conn_site(c)->conf->name, why);
	if (!gopher) {
		gemini_header_only(c, status, meta, why);
		return;
	}
	snprintf(msg, sizeof(msg), status == 44 ? "Busy: try again in %s "
	    "seconds" : "%s", meta);
	gopher_error(c, msg, why);
}

static void
src_pause(void *arg)
{
	struct cgi_call *k = arg;

	k->paused = 1;
	if (k->out_ev != NULL)
		event_del(k->out_ev);
	/* The client is slow, not the script: no stall while paused. */
	event_del(k->timer);
}

static void
src_resume(void *arg)
{
	struct cgi_call *k = arg;
	struct timeval tv = { k->timeout, 0 };

	k->paused = 0;
	if (k->out_ev != NULL)
		event_add(k->out_ev, NULL);
	event_add(k->timer, &tv);
}

static void
src_gone(void *arg)
{
	struct cgi_call *k = arg;

	k->c = NULL;
	call_free(k);
}

static const struct program_source source = {
	src_pause,
	src_resume,
	src_gone
};

static void
call_free(struct cgi_call *k)
{
	if (k->ctl_ev != NULL)
		event_free(k->ctl_ev);
	if (k->out_ev != NULL)
		event_free(k->out_ev);
	if (k->timer != NULL)
		event_free(k->timer);
	/* Our end closed: the runner kills what is left of the script. */
	if (k->ctl != -1)
		close(k->ctl);
	if (k->out != -1)
		close(k->out);
	if (k->in != -1)
		close(k->in);
	program_reply_free(k->reply);
	free(k->env);
	free(k);
}

/* The answer ended (or was decided): nothing more to read. */
static void
call_done(struct cgi_call *k)
{
	call_free(k);
}

static void
out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cgi_call *k = arg;
	struct timeval tv = { k->timeout, 0 };
	char buf[READ_CHUNK];
	ssize_t n;

	(void)what;
	n = read((int)fd, buf, sizeof(buf));
	if (n > 0) {
		if (!k->paused)
			event_add(k->timer, &tv);
		if (program_reply_data(k->reply, buf, (size_t)n) ==
		    PROGRAM_REPLY_DONE)
			call_done(k);
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0)
		program_reply_end(k->reply);
	else
		program_reply_fail(k->reply, strerror(errno));
	call_done(k);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cgi_call *k = arg;
	char why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), program_reply_begun(k->reply) ?
	    "no output for %d s: killed" : "no header within %d s: killed",
	    k->timeout);
	program_reply_fail(k->reply, why);
	call_done(k);
}

/* The runner's answers on the request's control socket. */
static void
ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cgi_call *k = arg;
	char why[300], meta[16];
	struct ipc_msg m;
	size_t n;
	int r;

	(void)what;
	if ((r = ipc_recv((int)fd, &m)) == -1 && (errno == EAGAIN ||
	    errno == EINTR))
		return;
	if (r != 1) {
		/* The runner closed: after the exit, or it went away. */
		event_free(k->ctl_ev);
		k->ctl_ev = NULL;
		if (k->out == -1) {
			program_reply_fail(k->reply, "the CGI runner went "
			    "away");
			call_done(k);
		}
		return;
	}
	switch (m.type) {
	case IPC_CGI_STARTED:
		if (m.nfds != 1 || k->out != -1)
			break;
		k->out = m.fds[0];
		m.nfds = 0;
		(void)fcntl(k->out, F_SETFL, O_NONBLOCK);
		if ((k->out_ev = event_new(conn_base(k->c), k->out,
		    EV_READ | EV_PERSIST, out_cb, k)) == NULL ||
		    (!k->paused && event_add(k->out_ev, NULL) == -1)) {
			program_reply_fail(k->reply, "out of memory");
			call_done(k);
			return;
		}
		break;
	case IPC_CGI_REFUSED:
		n = m.len > 4 ? m.len - 4 : 0;
		if (n >= sizeof(why))
			n = sizeof(why) - 1;
		memcpy(why, m.data + 4, n);
		why[n] = '\0';
		if (m.len >= 4 && ipc_get32(m.data) > 0) {
			/* cgi-max: a 44 as if the script said it. */
			snprintf(meta, sizeof(meta), "44 %u\r\n",
			    ipc_get32(m.data));
			log_warn("%s %s: %s", conn_peer(k->c), k->label, why);
			if (program_reply_data(k->reply, meta, strlen(meta)) ==
			    PROGRAM_REPLY_MORE)
				program_reply_end(k->reply);
		} else
			program_reply_fail(k->reply, why);
		ipc_close_fds(&m);
		call_done(k);
		return;
	case IPC_CGI_EXITED:
		break;
	}
	ipc_close_fds(&m);
}

/*
 * Sends the request to the runner and starts the reply: 0, or -1 with
 * nothing changed (answered by the caller: status and why).
 */
static int
call_send(struct cgi_call *k, int *status, const char **why)
{
	unsigned char buf[IPC_DATA_MAX];
	struct timeval tv = { k->timeout, 0 };
	struct cgi_run run;
	int sv[2], fds[2], nfds = 1;
	size_t len;

	run.site = k->site;
	run.script = k->script;
	run.env = program_env_wire(k->env, &run.envlen);
	*status = 42;
	if ((len = cgi_wire_pack(buf, sizeof(buf), &run)) == 0) {
		*why = "request too large for the runner";
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0, sv) == -1) {
		*why = "no socket for the runner";
		return -1;
	}
	fds[0] = sv[1];
	if (k->in != -1)
		fds[nfds++] = k->in;
	if (runner_link_send(k->runner, conn_worker(k->c), IPC_CGI_RUN, buf,
	    len, fds, nfds) == -1) {
		/* 0: its sockets are not (or no longer) there: it is starting. */
		*status = errno == EAGAIN ? 44 : errno == ENOTCONN ||
		    errno == EPIPE || errno == ECONNREFUSED ? 0 : 42;
		*why = errno == EAGAIN ? "the CGI runner is busy" :
		    "no CGI runner";
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	if (k->in != -1)
		close(k->in);
	k->in = -1;
	k->ctl = sv[0];
	free(k->env);
	k->env = NULL;
	if ((k->reply = program_reply_new(k->c, k->gopher, k->script, k->label,
	    &source, k)) == NULL ||
	    (k->ctl_ev = event_new(conn_base(k->c), k->ctl, EV_READ |
	    EV_PERSIST, ctl_cb, k)) == NULL ||
	    event_add(k->ctl_ev, NULL) == -1 ||
	    (k->timer = evtimer_new(conn_base(k->c), timer_cb, k)) == NULL ||
	    event_add(k->timer, &tv) == -1) {
		if (k->reply != NULL) {
			/* Streaming already: end it here. */
			program_reply_fail(k->reply, "out of memory");
			call_free(k);
			return 0;
		}
		close(k->ctl);
		k->ctl = -1;
		*why = "out of memory";
		return -1;
	}
	return 0;
}

/* A call for c to the script of path[0..slen), the rest PATH_INFO. */
static struct cgi_call *
call_new(struct conn *c, struct program_request *pr, const char *path,
    size_t slen, int gopher)
{
	const struct generation *g = conn_generation(c);
	const struct site *s = conn_site(c);
	char file[PATH_MAX + REQUEST_MAX + 2];
	struct program_conn_text t;
	struct cgi_call *k;

	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->env = malloc(sizeof(*k->env))) == NULL) {
		free(k);
		return NULL;
	}
	k->c = c;
	k->ctl = k->out = k->in = -1;
	k->gopher = gopher;
	k->runner = conf_cgi_runner(g->conf, (size_t)(s - g->sites));
	k->timeout = conf_cgi_timeout(g->conf, s->conf);
	snprintf(k->site, sizeof(k->site), "%s", s->conf->name);
	memcpy(k->script, path, slen);
	k->script[slen] = '\0';
	snprintf(k->label, sizeof(k->label), "%s %s", k->site, k->script);
	snprintf(file, sizeof(file), "%s%s", s->root, k->script);
	program_request_from_conn(c, pr, &t);
	pr->script_name = k->script;
	pr->path_info = path + slen;
	pr->script_filename = file;
	if (program_env_build(pr, k->env) == -1) {
		log_warn("%s %s: not run: %s", conn_peer(c), k->label,
		    k->env->why);
		free(k->env);
		k->env = NULL;
	}
	return k;
}

/* Sends the call, or answers why not (-1). */
static int
call_go(struct cgi_call *k)
{
	struct conn *c = k->c;
	const char *why;
	int status;

	if (k->env == NULL) {
		refuse(c, k->gopher, 59, "Bad request",
		    "request not fit for a program's environment");
		call_free(k);
		return -1;
	}
	if (k->runner == -1) {
		refuse(c, k->gopher, 42, "The program failed", "no CGI runner");
		call_free(k);
		return -1;
	}
	if (call_send(k, &status, &why) == -1) {
		/*
		 * Its runner is starting (the server's first moments, or a
		 * runner that died and is started again): a request that has
		 * no body to give is asked again shortly, RUNNER_WAIT_MS at
		 * most.
		 */
		if (status == 0 && k->in == -1 &&
		    conn_waited_ms(c) < RUNNER_WAIT_MS) {
			call_free(k);
			conn_retry(c, RUNNER_RETRY_MS);
			return 0;
		}
		if (status == 0)
			status = 42;
		refuse(c, k->gopher, status, status == 44 ? "5" :
		    "The program failed", why);
		call_free(k);
		return -1;
	}
	return 0;
}

int
cgi_gemini(struct conn *c, const struct gemini_request *req,
    const char *url, size_t urllen)
{
	char line[REQUEST_MAX + 1];
	struct program_request pr;
	struct cgi_call *k;
	size_t slen;

	if (!find_script(conn_site(c), req->path, req->pathlen, &slen))
		return 0;
	if (urllen > REQUEST_MAX)
		urllen = REQUEST_MAX;
	memcpy(line, url, urllen);
	line[urllen] = '\0';
	memset(&pr, 0, sizeof(pr));
	pr.proto = PROGRAM_GEMINI;
	pr.url = line;
	pr.query = req->has_query ? req->query : NULL;
	if ((k = call_new(c, &pr, req->path, slen, 0)) == NULL) {
		gemini_header_only(c, 40, "Temporary failure", "out of memory");
		return 1;
	}
	(void)call_go(k);
	return 1;
}

int
cgi_gopher(struct conn *c, const char *path, size_t len,
    const struct gopher_request *req)
{
	char url[REQUEST_MAX + 300], sel[REQUEST_MAX + 1], search[REQUEST_MAX + 1];
	struct program_request pr;
	struct cgi_call *k;
	size_t slen;

	if (!find_script(conn_site(c), path, len, &slen))
		return 0;
	memset(&pr, 0, sizeof(pr));
	pr.proto = PROGRAM_GOPHER;
	snprintf(sel, sizeof(sel), "%.*s", (int)req->sellen, req->selector);
	pr.selector = sel;
	if (req->has_search) {
		snprintf(search, sizeof(search), "%.*s", (int)req->searchlen,
		    req->search);
		pr.search = search;
	}
	snprintf(url, sizeof(url), "gopher://%s:%d/1%s",
	    conn_site(c)->conf->name, conn_local_port(c), path);
	pr.url = url;
	if ((k = call_new(c, &pr, path, slen, 1)) == NULL) {
		gopher_error(c, "Server out of memory", "out of memory");
		return 1;
	}
	(void)call_go(k);
	return 1;
}

/* A Titan body on its way to a script: the call, until it is sent. */
struct titan_in {
	struct cgi_call	*k;
	long long	 got;
};

static int
titan_data(struct conn *c, const char *p, size_t len)
{
	struct titan_in *ti = conn_body_arg(c);
	ssize_t w;

	while (len > 0) {
		if ((w = write(ti->k->in, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s %s: body: %s", conn_peer(c), ti->k->label,
			    strerror(errno));
			gemini_header_only(c, 40, "Temporary failure",
			    "body not kept");
			return -1;
		}
		p += w;
		len -= (size_t)w;
		ti->got += w;
	}
	return 0;
}

static void
titan_complete(struct conn *c)
{
	struct titan_in *ti = conn_body_arg(c);
	struct cgi_call *k = ti->k;

	ti->k = NULL;
	if (lseek(k->in, 0, SEEK_SET) == -1) {
		gemini_header_only(c, 40, "Temporary failure", "body not kept");
		call_free(k);
		conn_respond(c);
		return;
	}
	if (call_go(k) == -1)
		conn_respond(c);
}

static void
titan_expired(struct conn *c)
{
	gemini_header_only(c, 40, "Upload timed out", "body too slow");
}

static void
titan_release(struct conn *c)
{
	struct titan_in *ti = conn_body_arg(c);

	if (ti->k != NULL)
		call_free(ti->k);
	free(ti);
}

static const struct conn_body_ops titan_body = {
	.data = titan_data,
	.complete = titan_complete,
	.expired = titan_expired,
	.release = titan_release,
};

int
cgi_titan(struct conn *c, const struct titan_request *req, const char *url,
    size_t urllen)
{
	const struct site *s = conn_site(c);
	char line[REQUEST_MAX + 1];
	struct program_request pr;
	struct titan_in *ti;
	struct cgi_call *k;
	size_t slen;

	if (!find_script(s, req->path, req->pathlen, &slen))
		return 0;
	if (program_titan_admit(c, conf_location_match(s->conf, req->path),
	    req, s->conf->titan_max_size, url, urllen, line, &pr))
		return 1;
	if ((k = call_new(c, &pr, req->path, slen, 0)) == NULL ||
	    (ti = calloc(1, sizeof(*ti))) == NULL) {
		if (k != NULL)
			call_free(k);
		gemini_header_only(c, 40, "Temporary failure", "out of memory");
		return 1;
	}
	if (k->env == NULL) {
		free(ti);
		(void)call_go(k);	/* refused */
		return 1;
	}
	/* The body in memory (at most titan-max-size), then stdin. */
	if ((k->in = memfd_create("attache-titan", MFD_CLOEXEC)) == -1) {
		log_warn("%s %s: memfd: %s", conn_peer(c), k->label,
		    strerror(errno));
		gemini_header_only(c, 40, "Temporary failure", "no memfd");
		call_free(k);
		free(ti);
		return 1;
	}
	ti->k = k;
	if (conn_read_body(c, (off_t)req->size, &titan_body, ti) == -1) {
		gemini_header_only(c, 40, "Temporary failure",
		    "cannot arm the timer");
		call_free(k);
		free(ti);
	}
	return 1;
}

void
cgi_titan_hook(struct conn *c, const char *path, long long size,
    const char *mime, const char *cert_hex)
{
	const struct generation *g = conn_generation(c);
	const struct site *s = conn_site(c);
	char file[PATH_MAX + REQUEST_MAX + 2];
	unsigned char buf[IPC_DATA_MAX];
	struct program_hook h;
	struct program_env *env;
	struct cgi_run run;
	size_t len;
	int runner;

	if (s->conf->titan_hook == NULL ||
	    (runner = conf_cgi_runner(g->conf, (size_t)(s - g->sites))) == -1)
		return;
	if ((env = malloc(sizeof(*env))) == NULL) {
		log_warn("%s: titan-hook not run: out of memory", s->conf->name);
		return;
	}
	snprintf(file, sizeof(file), "%s%s", s->root, path);
	memset(&h, 0, sizeof(h));
	h.software = "attache/" ATTACHE_VERSION;
	h.server_name = s->conf->name;
	h.document_root = s->root;
	h.path = path;
	h.file = file;
	h.size = size;
	h.mime = mime;
	h.cert_hex = cert_hex;
	run.site = s->conf->name;
	run.script = "";
	if (program_env_hook(&h, env) == -1) {
		log_warn("%s: titan-hook not run: %s", s->conf->name, env->why);
		free(env);
		return;
	}
	run.env = program_env_wire(env, &run.envlen);
	if ((len = cgi_wire_pack(buf, sizeof(buf), &run)) == 0 ||
	    runner_link_send(runner, conn_worker(c), IPC_CGI_HOOK, buf, len,
	    NULL, 0) == -1)
		log_warn("%s: titan-hook not run: %s", s->conf->name,
		    len == 0 ? "too large" : strerror(errno));
	free(env);
}
