/* The privileged process: start, reload, reopen the log, stop. */
#include <sys/resource.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "bounds.h"
#include "ipc.h"
#include "log.h"
#include "notify.h"
#include "priv.h"
#include "priv_child.h"
#include "priv_cgi.h"
#include "priv_keys.h"
#include "priv_load.h"
#include "server_process.h"
#include "workers.h"

#define KILL_AFTER_SEC	15	/* a server process that does not stop */

/* Start-up problems go to stderr, reload ones to the log. */
struct reporter {
	const char	*file;
	int		 to_log;
};

static void
report(void *arg, unsigned line, const char *msg)
{
	const struct reporter *r = arg;

	log_problem(r->file, line, msg, r->to_log);
}

/* Only root can become another user; the user must exist. */
static int
check_user(const struct conf *conf, struct conf_diag *d)
{
	char msg[256];

	if (conf->user == NULL)
		return 0;
	if (geteuid() != 0) {
		snprintf(msg, sizeof(msg), "user %s: attache must be started "
		    "as root to serve as another user", conf->user);
		d->errors++;
		d->report(d->arg, conf->user_line, msg);
		return -1;
	}
	errno = 0;
	if (getpwnam(conf->user) == NULL) {
		snprintf(msg, sizeof(msg), "user %s: %s", conf->user,
		    errno != 0 ? strerror(errno) : "no such user");
		d->errors++;
		d->report(d->arg, conf->user_line, msg);
		return -1;
	}
	return 0;
}

/* Where each site is served, as URLs a reader can paste. */
static void
log_urls(const struct conf *conf)
{
	const struct conf_site *s;
	char port[8];
	size_t i;
	int v6;

	for (i = 0; i < conf->nsites; i++) {
		s = &conf->sites[i];
		v6 = strchr(s->name, ':') != NULL;
		port[0] = '\0';
		if (conf->gemini_port != GEMINI_DEFAULT_PORT)
			snprintf(port, sizeof(port), ":%d", conf->gemini_port);
		if (conf->gemini_port != 0)
			log_info("serving %s on gemini://%s%s%s%s/", s->capsule,
			    v6 ? "[" : "", s->name, v6 ? "]" : "", port);
		if (s->gopher_port != 0)
			log_info("serving %s on gopher://%s%s%s:%d/",
			    s->capsule, v6 ? "[" : "", s->name, v6 ? "]" : "",
			    conf_gopher_public_port(s));
	}
}

static void
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_state(msg);
}

/*
 * Reads the configuration, its certificates, its log file and binds its
 * sockets: everything a server process needs, nothing changed yet.
 */
static struct conf *
prepare(struct priv *p, struct bundle *b, struct listen_table *t,
    int *log_fd, struct conf_diag *d)
{
	struct listen_spec *specs;
	struct conf *conf;
	char *text;
	size_t len, nspecs;

	*log_fd = -1;
	bundle_init(b);
	bundle_init(&p->keys_new);
	memset(t, 0, sizeof(*t));
	if ((conf = priv_read_conf(p->config_file, p->argc, p->argv, d, 0,
	    &text, &len)) == NULL)
		return NULL;
	/* The number of workers is the first start's, for good. */
	if (p->nworkers == 0)
		p->nworkers = workers_count(conf);
	if (check_user(conf, d) == -1 ||
	    (*log_fd = priv_open_log(conf, d)) == -2) {
		free(text);
		goto fail;
	}
	/* At start the log goes where it says at once (reloads: at commit). */
	if (p->conf == NULL)
		(void)log_configure(conf->log_to, *log_fd >= 0 ? dup(*log_fd) :
		    -1, conf->log_style);
	if (priv_load(p, conf, text, len, b, &p->keys_new, d) == -1)
		goto fail;
	if ((specs = listen_plan(conf, &nspecs)) == NULL) {
		d->errors++;
		d->report(d->arg, 0, "out of memory");
		goto fail;
	}
	if (listen_table_bind(&p->table, specs, nspecs, p->nworkers, t,
	    d) == -1) {
		free(specs);
		goto fail;
	}
	free(specs);
	return conf;
fail:
	bundle_free(b);
	bundle_free(&p->keys_new);
	if (*log_fd >= 0)
		close(*log_fd);
	*log_fd = -1;
	conf_free(conf);
	return NULL;
}

/* The new configuration serves: keep what it needs, drop the rest. */
static void
commit(struct priv *p, struct conf *conf, struct bundle *b,
    struct listen_table *t, int log_fd)
{
	listen_table_close_unused(&p->table, t);
	listen_table_free(&p->table);
	p->table = *t;
	bundle_free(&p->bundle);
	p->bundle = *b;
	bundle_free(&p->keys);
	p->keys = p->keys_new;
	bundle_init(&p->keys_new);
	conf_free(p->conf);
	p->conf = conf;
	p->last_id = b->id;
	if (log_fd >= 0 || conf->log_to != CONF_LOG_FILE) {
		if (p->log_fd >= 0)
			close(p->log_fd);
		p->log_fd = log_fd;
		(void)log_configure(conf->log_to, log_fd >= 0 ?
		    dup(log_fd) : -1, conf->log_style);
	}
}

static void
reload(struct priv *p)
{
	struct reporter r = { p->config_file, 1 };
	struct conf_diag diag = { report, &r, 0 };
	struct priv_result res;
	struct listen_table t;
	struct bundle b;
	struct child *c, *old;
	struct conf *conf;
	unsigned older;
	int log_fd;

	notify_reloading();
	log_info("reloading %s", p->config_file != NULL ? p->config_file :
	    "the certificates and capsules");
	memset(&res, 0, sizeof(res));
	if ((conf = prepare(p, &b, &t, &log_fd, &diag)) == NULL)
		goto failed;
	if (workers_count(conf) != p->nworkers)
		log_warn("workers: the new value takes effect at the next "
		    "start; %d serve until then", p->nworkers);
	/* Its keys first: its handshakes need them as soon as it serves. */
	if (priv_keys_send(p, &p->keys_new) == -1) {
		diag.errors++;
		goto undo;
	}
	old = p->serving;
	if (old != NULL && priv_covers(old, conf)) {
		if (priv_send(old, &b, &t, log_fd, &res) == -1)
			goto undo;
	} else {
		/* Its sandbox is too small: a new server process. */
		if ((c = priv_spawn(p, conf, &b, &t, log_fd, &res)) == NULL)
			goto undo;
		p->serving = c;
		if (old != NULL)
			priv_drain(old);
	}
	commit(p, conf, &b, &t, log_fd);
	/* The old keys retire, once the old handshakes are done. */
	priv_keys_activate(p, p->last_id);
	/* Runners of the new configuration; the old finish their programs. */
	priv_cgi_start(p);
	older = res.older;
	TAILQ_FOREACH(c, &p->children, entry)
		older += c->draining;
	log_info("reloaded: %u sites (generation %lu; %u older still serving "
	    "connections)", res.nsites, p->last_id, older);
	notify_state("READY=1");
	return;
undo:
	diag.errors += res.problems;
	/* The keys sent retire; those served stay. */
	priv_keys_activate(p, p->last_id);
	listen_table_close_unused(&t, &p->table);
	listen_table_free(&t);
	bundle_free(&b);
	bundle_free(&p->keys_new);
	if (log_fd >= 0)
		close(log_fd);
	conf_free(conf);
failed:
	log_warn("reload failed: %u problem%s; still serving generation %lu",
	    diag.errors, diag.errors == 1 ? "" : "s", p->last_id);
	notify_state("READY=1");
}

/* SIGUSR1: the log file opened anew, for rotation. */
static void
reopen(struct priv *p)
{
	struct reporter r = { p->config_file, 1 };
	struct conf_diag diag = { report, &r, 0 };
	unsigned char style[4];
	struct child *c;
	int fd, cfd;

	if ((fd = priv_open_log(p->conf, &diag)) < 0)
		return;
	ipc_put32(style, (uint32_t)p->conf->log_style);
	TAILQ_FOREACH(c, &p->children, entry)
		if (ipc_send(c->ipc, IPC_REOPEN, style, 4, &fd, 1) == -1)
			log_warn("server process %d: %s", (int)c->pid,
			    strerror(errno));
	priv_cgi_reopen(p, fd);
	if ((cfd = dup(fd)) != -1)
		(void)log_configure(CONF_LOG_FILE, cfd, p->conf->log_style);
	close(p->log_fd);
	p->log_fd = fd;
	log_info("log file %s reopened", p->conf->log_file);
}

static void
kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct priv *p = arg;
	struct child *c;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(c, &p->children, entry) {
		log_warn("server process %d did not stop: killing it",
		    (int)c->pid);
		kill(c->pid, SIGKILL);
	}
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct priv *p = arg;
	struct timeval tv = { KILL_AFTER_SEC, 0 };

	(void)what;
	switch (sig) {
	case SIGHUP:
		if (!p->stopping)
			reload(p);
		break;
	case SIGUSR1:
		if (!p->stopping)
			reopen(p);
		break;
	case SIGCHLD:
		priv_reap(p);
		break;
	default:
		if (p->stopping)
			break;
		log_info("signal %d: stopping", (int)sig);
		notify_state("STOPPING=1");
		p->stopping = 1;
		priv_tell_all(p, IPC_STOP);
		if ((p->kill_timer = evtimer_new(p->base, kill_cb, p)) != NULL)
			evtimer_add(p->kill_timer, &tv);
		priv_reap(p);
		break;
	}
}

/* Every connection is a file descriptor: take the hard limit. */
static void
raise_open_files(rlim_t *from, rlim_t *to)
{
	struct rlimit rl;

	*from = *to = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	*from = *to = rl.rlim_cur;
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		*to = rl.rlim_cur;
}

static int
start(struct priv *p)
{
	static const int sigs[] = { SIGHUP, SIGUSR1, SIGCHLD, SIGINT,
	    SIGTERM };
	struct reporter r = { p->config_file, 0 };
	struct conf_diag diag = { report, &r, 0 };
	struct priv_result res;
	struct listen_table t;
	struct bundle b;
	struct conf *conf;
	int log_fd;
	size_t i;

	for (i = 0; i < 5; i++)
		if ((p->ev_sig[i] = evsignal_new(p->base, sigs[i], signal_cb,
		    p)) == NULL || evsignal_add(p->ev_sig[i], NULL) == -1) {
			fprintf(stderr, "attache: cannot handle signals\n");
			return -1;
		}
	if ((conf = prepare(p, &b, &t, &log_fd, &diag)) == NULL)
		return -1;
	/* The key process first, with the keys: the server signs with it. */
	if (priv_keys_start(p, conf->user) == -1 ||
	    priv_keys_send(p, &p->keys_new) == -1 ||
	    (p->serving = priv_spawn(p, conf, &b, &t, log_fd, &res)) == NULL) {
		listen_table_close_unused(&t, NULL);
		listen_table_free(&t);
		bundle_free(&b);
		bundle_free(&p->keys_new);
		if (log_fd >= 0)
			close(log_fd);
		conf_free(conf);
		return -1;
	}
	p->log_fd = -1;
	commit(p, conf, &b, &t, log_fd);
	priv_keys_activate(p, p->last_id);
	priv_cgi_start(p);
	return 0;
}

int
priv_run(const struct options *opts, struct conf *conf, int argc,
    char **argv)
{
	struct priv p;
	rlim_t from, to;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.argc = argc;
	p.argv = argv;
	p.config_file = opts->config_file;
	p.log_fd = -1;
	p.status = 1;
	/* Server processes run it anew (priv_child.c), the same file. */
	if ((p.exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "attache: /proc/self/exe: %s\n",
		    strerror(errno));
		conf_free(conf);
		return 1;
	}
	TAILQ_INIT(&p.children);
	bundle_init(&p.bundle);
	bundle_init(&p.keys);
	bundle_init(&p.keys_new);
	p.kp.ipc = -1;
	for (i = 0; i < PRIV_RUNNERS_MAX; i++)
		p.cgi[i].ipc = -1;
	/* Read again by prepare, as every reload reads it. */
	conf_free(conf);
	raise_open_files(&from, &to);
	if ((p.base = event_base_new()) == NULL) {
		fprintf(stderr, "attache: cannot create the event loop\n");
		return 1;
	}
	if (start(&p) == -1)
		goto out;
	p.status = 0;
	log_urls(p.conf);
	if (from == to)
		log_info("open files: limit %llu", (unsigned long long)to);
	else
		log_info("open files: limit raised from %llu to %llu",
		    (unsigned long long)from, (unsigned long long)to);
	log_info("%d worker%s; Ctrl-C or SIGTERM stops, SIGHUP reloads",
	    p.nworkers, p.nworkers == 1 ? "" : "s");
	notify_state("READY=1");
	if (event_base_loop(p.base, EVLOOP_NO_EXIT_ON_EMPTY) == -1)
		p.status = 1;
out:
	/* The children are gone (or never were); what is left is ours. */
	while (!TAILQ_EMPTY(&p.children)) {
		struct child *c = TAILQ_FIRST(&p.children);

		TAILQ_REMOVE(&p.children, c, entry);
		kill(c->pid, SIGKILL);
		priv_child_free(c);
	}
	/* The servers are gone: no signature is needed any more. */
	priv_keys_stop(&p);
	priv_cgi_stop(&p);
	listen_table_close_unused(&p.table, NULL);
	listen_table_free(&p.table);
	bundle_free(&p.bundle);
	bundle_free(&p.keys);
	bundle_free(&p.keys_new);
	conf_free(p.conf);
	if (p.log_fd >= 0)
		close(p.log_fd);
	for (i = 0; i < 5; i++)
		if (p.ev_sig[i] != NULL)
			event_free(p.ev_sig[i]);
	if (p.kill_timer != NULL)
		event_free(p.kill_timer);
	event_base_free(p.base);
	close(p.exe);
	return p.status;
}
