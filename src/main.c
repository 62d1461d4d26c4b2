/* attache: a Gemini and Gopher server for capsule directories. */
#include <sys/prctl.h>

#include <fcntl.h>
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

#include "certlist.h"
#include "check.h"
#include "log.h"
#include "options.h"
#include "priv.h"
#include "priv_load.h"
#include "server_process.h"
#include "tls.h"

/* 1 when neither file of the site's certificate pair exists yet. */
static int
cert_pair_absent(const struct conf_site *s)
{
	struct tls_cert_info info;

	if (tls_pair_paths(s->certs, s->name, &info, NULL, 0) == -1)
		return 0;
	return access(info.crt_path, F_OK) == -1 &&
	    access(info.key_path, F_OK) == -1;
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
	char err[8192], *text = NULL;
	size_t i, len;
	SSL_CTX *ctx;

	if (o->config_file != NULL)
		conf = priv_read_conf(o->config_file, 0, NULL, &diag, 1,
		    &text, &len);
	free(text);
	for (i = 0; conf != NULL && i < conf->nsites; i++) {
		s = &conf->sites[i];
		/* A broken file: its sites that can be checked are. */
		if (s->name == NULL || s->capsule == NULL || s->certs == NULL ||
		    !conf_hostname_valid(s->name))
			continue;
		if (check_site(conf, s, &n) == 0)
			check_capsule(conf, s, &n);
		(void)certlist_load_site(&conf->sites[i], certlist_read_file,
		    NULL, &diag);
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

/* What both processes set up: the allocator, SIGPIPE, threads. */
static int
setup(void)
{
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
	/* Worker loops are told things from other threads: they need locks. */
	if (evthread_use_pthreads() == -1) {
		fprintf(stderr, "attache: cannot set up threads\n");
		return -1;
	}
	return 0;
}

/*
 * A server process, started by the privileged one (fork, then exec of
 * this file, priv_child.c): the socket is SERVER_PROCESS_FD.
 */
static int
serve(int argc, char *argv[])
{
	int fd = SERVER_PROCESS_FD;

	unsetenv(SERVER_PROCESS_ENV);
	/* The name the exec gave is the descriptor's number. */
	(void)prctl(PR_SET_NAME, "attache", 0, 0, 0);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 || setup() == -1)
		return 1;
	return server_process_serve(fd, argc, argv);
}

int
main(int argc, char *argv[])
{
	struct options opts;
	struct conf *conf;
	const char *sp = getenv(SERVER_PROCESS_ENV);

	if (sp != NULL && atoi(sp) == SERVER_PROCESS_FD)
		return serve(argc, argv);
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

	/* A reload asked for before there is anything to reload is no kill. */
	signal(SIGHUP, SIG_IGN);
	if (setup() == -1) {
		conf_free(conf);
		return 1;
	}
	return priv_run(&opts, conf, argc, argv);
}
