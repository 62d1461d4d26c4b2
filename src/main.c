/* attache: a Gemini and Gopher server for one capsule directory. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/ssl.h>

#include "check.h"
#include "config.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "workers.h"

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(base, NULL);
}

/* 1 when neither file of the certificate pair exists yet. */
static int
cert_pair_absent(const struct config *cfg)
{
	char crt[4096], key[4096];

	if (snprintf(crt, sizeof(crt), "%s/%s.crt", cfg->certs,
	    cfg->hostname) >= (int)sizeof(crt) ||
	    snprintf(key, sizeof(key), "%s/%s.key", cfg->certs,
	    cfg->hostname) >= (int)sizeof(key))
		return 0;
	return access(crt, F_OK) == -1 && access(key, F_OK) == -1;
}

/* --check: every problem on its own line; the exit status says if any. */
static int
run_check(const struct config *cfg)
{
	struct check_report n = { stdout, 0, 0 };
	char err[1024];
	SSL_CTX *ctx;

	check_options(cfg, &n);
	check_capsule(cfg, &n);
	/* A missing pair is no problem: the first start generates it. */
	if (cfg->gemini_port != 0 && !cert_pair_absent(cfg)) {
		ctx = tls_context_new(cfg->certs, cfg->hostname, 0, NULL,
		    err, sizeof(err));
		if (ctx == NULL)
			check_problem(&n, 1, cfg->certs, 0, "%s", err);
		SSL_CTX_free(ctx);
	}
	printf("%d error%s, %d warning%s\n", n.errors, n.errors == 1 ? "" :
	    "s", n.warnings, n.warnings == 1 ? "" : "s");
	return n.errors > 0 ? 1 : 0;
}

static void
print_urls(const struct config *cfg, int nworkers)
{
	const char *h = cfg->hostname;
	int v6 = strchr(h, ':') != NULL;
	char port[8] = "";

	/* gemini://host/ when on the default port, gemini://host:N/ else. */
	if (cfg->gemini_port != 1965)
		snprintf(port, sizeof(port), ":%d", cfg->gemini_port);
	if (cfg->gemini_port != 0)
		log_info("serving %s on gemini://%s%s%s%s/", cfg->capsule,
		    v6 ? "[" : "", h, v6 ? "]" : "", port);
	if (cfg->gopher_port != 0)
		log_info("serving %s on gopher://%s%s%s:%d/", cfg->capsule,
		    v6 ? "[" : "", h, v6 ? "]" : "",
		    config_gopher_public_port(cfg));
	log_info("%d worker%s; Ctrl-C or SIGTERM stops", nworkers,
	    nworkers == 1 ? "" : "s");
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct tls_cert_info info;
	struct workers *workers = NULL;
	struct event_base *base = NULL;
	struct event *ev_int = NULL, *ev_term = NULL;
	SSL_CTX *ctx = NULL;
	char err[1024];
	int status = 1, nworkers;

	config_defaults(&cfg);
	switch (config_parse_args(&cfg, argc, argv, stderr)) {
	case CONFIG_HELP:
		config_usage(stdout);
		return 0;
	case CONFIG_VERSION:
		printf("attache %s\n", ATTACHE_VERSION);
		return 0;
	case CONFIG_ERROR:
		return 1;
	case CONFIG_RUN:
		break;
	}
	if (cfg.check)
		return run_check(&cfg);

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
	if (check_path_inside(cfg.certs, cfg.capsule)) {
		fprintf(stderr, "attache: %s: certificate directory is inside "
		    "the capsule %s; refusing to serve its keys\n", cfg.certs,
		    cfg.capsule);
		return 1;
	}
	if (server_probe(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "attache: %s\n", err);
		return 1;
	}
	if (cfg.gemini_port != 0) {
		ctx = tls_context_new(cfg.certs, cfg.hostname, 1, &info, err,
		    sizeof(err));
		if (ctx == NULL) {
			fprintf(stderr, "attache: %s\n", err);
			return 1;
		}
		log_info("%s certificate %s, SHA-256 fingerprint %s",
		    info.generated ? "generated" : "loaded", info.crt_path,
		    info.fingerprint);
	}
	/* Worker loops are stopped from this thread: they need locks. */
	if (evthread_use_pthreads() == -1 || (base = event_base_new()) == NULL) {
		fprintf(stderr, "attache: cannot create the event loop\n");
		goto out;
	}
	ev_int = evsignal_new(base, SIGINT, stop_cb, base);
	ev_term = evsignal_new(base, SIGTERM, stop_cb, base);
	if (ev_int == NULL || ev_term == NULL || evsignal_add(ev_int, NULL) ||
	    evsignal_add(ev_term, NULL)) {
		fprintf(stderr, "attache: cannot handle signals\n");
		goto out;
	}
	nworkers = workers_count(&cfg);
	if ((workers = workers_start(&cfg, ctx, nworkers, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "attache: %s\n", err);
		goto out;
	}
	print_urls(&cfg, nworkers);
	if (event_base_dispatch(base) == -1)
		log_warn("event loop failed");
	else
		status = 0;
out:
	workers_stop(workers);
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_term != NULL)
		event_free(ev_term);
	if (base != NULL)
		event_base_free(base);
	SSL_CTX_free(ctx);
	return status;
}
