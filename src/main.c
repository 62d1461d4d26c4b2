/* attache: a Gemini and Gopher server for capsule directories. */
#include <sys/resource.h>

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/ssl.h>

#include "check.h"
#include "control.h"
#include "log.h"
#include "options.h"
#include "tls.h"

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(base, NULL);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	control_tick(arg);
}

static void
reload_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	control_reload(arg);
}

/* 1 when neither file of the site's certificate pair exists yet. */
static int
cert_pair_absent(const struct conf_site *s)
{
	char crt[4096], key[4096];

	if (snprintf(crt, sizeof(crt), "%s/%s.crt", s->certs, s->name) >=
	    (int)sizeof(crt) ||
	    snprintf(key, sizeof(key), "%s/%s.key", s->certs, s->name) >=
	    (int)sizeof(key))
		return 0;
	return access(crt, F_OK) == -1 && access(key, F_OK) == -1;
}

/* A configuration file's problems: "FILE:LINE: message" lines. */
struct file_problems {
	struct check_report	*r;
	const char		*file;
};

static void
file_problem(void *arg, unsigned line, const char *msg)
{
	struct file_problems *p = arg;

	check_problem(p->r, 1, p->file, line, "%s", msg);
}

/* --check: every problem on its own line; the exit status says if any. */
static int
run_check(const struct options *o, struct conf *conf)
{
	struct check_report n = { stdout, 0, 0 };
	struct file_problems where = { &n, o->config_file };
	struct conf_diag diag = { file_problem, &where, 0 };
	const struct conf_site *s;
	char err[8192];
	SSL_CTX *ctx;
	size_t i;

	if (o->config_file != NULL)
		conf = control_read_conf(o->config_file, 0, NULL, &diag, 1);
	for (i = 0; conf != NULL && i < conf->nsites; i++) {
		s = &conf->sites[i];
		/* A broken file: its sites that can be checked are. */
		if (s->name == NULL || s->capsule == NULL || s->certs == NULL ||
		    !conf_hostname_valid(s->name))
			continue;
		if (check_site(conf, s, &n) == 0)
			check_capsule(conf, s, &n);
		/* A missing pair is no problem: the first start makes it. */
		if (conf->gemini_port == 0 || cert_pair_absent(s))
			continue;
		ctx = tls_site_context_new(s->certs, s->name,
		    (const char *const *)s->aliases, s->naliases, 0, NULL,
		    err, sizeof(err));
		if (ctx == NULL)
			check_setting(&n, conf, s->certs_line, s->certs, "%s",
			    err);
		SSL_CTX_free(ctx);
	}
	conf_free(conf);
	printf("%d error%s, %d warning%s\n", n.errors, n.errors == 1 ? "" :
	    "s", n.warnings, n.warnings == 1 ? "" : "s");
	return n.errors > 0 ? 1 : 0;
}

/*
 * Every connection costs a descriptor; a Debian session allows 1024 by
 * default.  The hard limit is ours to take.
 */
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

static struct event *
add_signal(struct event_base *base, int sig, event_callback_fn cb,
    void *arg)
{
	struct event *ev;

	if ((ev = evsignal_new(base, sig, cb, arg)) != NULL &&
	    evsignal_add(ev, NULL) == -1) {
		event_free(ev);
		ev = NULL;
	}
	return ev;
}

int
main(int argc, char *argv[])
{
	struct options opts;
	struct control ctl;
	struct conf *conf;
	struct event_base *base = NULL;
	struct event *ev[4] = { NULL, NULL, NULL, NULL };
	struct timeval tick = { CONTROL_TICK_SEC, 0 };
	struct check_report problems = { stderr, 0, 0 };
	struct file_problems where = { &problems, NULL };
	struct conf_diag diag = { file_problem, &where, 0 };
	sigset_t stops, unblocked;
	rlim_t from, to;
	int status = 1, started = 0;
	size_t i;

	switch (options_parse(argc, argv, &opts, &conf, stderr)) {
	case OPTIONS_HELP:
		conf_free(conf);
		options_usage(stdout);
		return 0;
	case OPTIONS_VERSION:
		conf_free(conf);
		printf("attache %s\n", ATTACHE_VERSION);
		return 0;
	case OPTIONS_ERROR:
		return 1;
	case OPTIONS_RUN:
		break;
	}
	if (opts.check)
		return run_check(&opts, conf);

	memset(&ctl, 0, sizeof(ctl));
	ctl.argc = argc;
	ctl.argv = argv;
	ctl.config_file = opts.config_file;
	where.file = opts.config_file;
	if (conf == NULL &&
	    (conf = control_read_conf(opts.config_file, argc, argv,
	    &diag, 0)) == NULL)
		return 1;

	/*
	 * Streamed files pass through 64 KB buffers that come and go; without
	 * this, glibc gives the top of the heap back to the kernel after each
	 * and takes it again, a page fault per 4 KB.  Only a tuning: other
	 * allocators (AddressSanitizer's) refuse it, and that is fine.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	/* A client that goes away mid-write must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	/* A reload asked for before there is anything to reload is no kill. */
	signal(SIGHUP, SIG_IGN);
	raise_open_files(&from, &to);

	/* Worker loops are told things from this thread: they need locks. */
	if (evthread_use_pthreads() == -1 || (base = event_base_new()) == NULL) {
		fprintf(stderr, "attache: cannot create the event loop\n");
		conf_free(conf);
		return 1;
	}
	/*
	 * The ports answer as soon as the workers run, before the handlers
	 * below exist: a SIGTERM meanwhile waits for them instead of killing
	 * the server with requests in flight.
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stops, &unblocked);
	if (control_start(&ctl, conf) == -1)
		goto out;
	started = 1;
	if ((ev[0] = add_signal(base, SIGINT, stop_cb, base)) == NULL ||
	    (ev[1] = add_signal(base, SIGTERM, stop_cb, base)) == NULL ||
	    (ev[2] = add_signal(base, SIGHUP, reload_cb, &ctl)) == NULL) {
		log_warn("cannot handle signals");
		goto out;
	}
	if ((ev[3] = event_new(base, -1, EV_PERSIST, tick_cb, &ctl)) == NULL ||
	    event_add(ev[3], &tick) == -1) {
		log_warn("cannot arm the memory timer");
		goto out;
	}
	pthread_sigmask(SIG_SETMASK, &unblocked, NULL);
	if (from == to)
		log_info("open files: limit %llu", (unsigned long long)to);
	else
		log_info("open files: limit raised from %llu to %llu",
		    (unsigned long long)from, (unsigned long long)to);
	log_info("%d worker%s; Ctrl-C or SIGTERM stops, SIGHUP reloads",
	    ctl.nworkers, ctl.nworkers == 1 ? "" : "s");
	if (event_base_dispatch(base) == -1)
		log_warn("event loop failed");
	else
		status = 0;
out:
	if (started)
		control_stop(&ctl);
	for (i = 0; i < 4; i++)
		if (ev[i] != NULL)
			event_free(ev[i]);
	event_base_free(base);
	return status;
}
