/*
 * loadgen's idle mode (--idle N): opens N connections, as fast as the
 * threads can, and holds them.  Each is plain TCP, or TCP and a TLS
 * handshake on a Gemini port, or (--silent) a connect and nothing else on
 * any port; with --port2 every other one goes there.  Prints "ready ..."
 * once they are open, holds them --hold seconds, reports how many the
 * server closed meanwhile, and how long the connects took: a connect that
 * waits a second is a SYN the server's accept queue dropped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "loadgen.h"

#define STALL_S		0.1	/* a connect slower than this is a stall */

static void *idle_worker(void *arg)
{
	struct worker *w = arg;
	const struct addrinfo *to;

	w->fds = calloc((size_t)w->idle_want, sizeof *w->fds);
	w->ssls = calloc((size_t)w->idle_want, sizeof *w->ssls);
	w->lat = calloc((size_t)w->idle_want + 1, sizeof *w->lat);
	if (!w->fds || !w->ssls || !w->lat) {
		perror("calloc");
		exit(2);
	}
	for (long i = 0; i < w->idle_want && now() < deadline; i++) {
		double t0 = now();
		int fd;

		/* Threads take turns by index: half the connections each. */
		to = target2 != NULL && (i + w->index) % 2 ? target2 : target;
		fd = tcp_connect(w, to);
		if (fd == -1) {
			w->fails[FAIL_CONNECT]++;
			continue;
		}
		w->lat[w->nlat++] = now() - t0;
		if (opt.proto == PROTO_GEMINI && !opt.silent) {
			SSL *ssl = tls_handshake(w, fd, NULL);

			if (!ssl) {
				w->fails[FAIL_TLS]++;
				close(fd);
				continue;
			}
			w->ssls[w->opened] = ssl;
		}
		w->fds[w->opened++] = fd;
	}
	return NULL;
}

/* The connect times of all threads, sorted, and the stalls among them. */
static void print_connects(struct worker *ws, long nthreads)
{
	size_t n = 0, k = 0, stalls = 0;
	double *all;

	for (long i = 0; i < nthreads; i++)
		n += ws[i].nlat;
	if ((all = malloc((n ? n : 1) * sizeof *all)) == NULL) {
		perror("malloc");
		exit(2);
	}
	for (long i = 0; i < nthreads; i++)
		for (size_t j = 0; j < ws[i].nlat; j++) {
			all[k++] = ws[i].lat[j];
			stalls += ws[i].lat[j] > STALL_S;
		}
	qsort(all, n, sizeof *all, cmp_double);
	printf("connect_p50_ms=%.3f\nconnect_p99_ms=%.3f\nconnect_max_ms=%.3f\n"
	       "connect_stalls=%zu\n", percentile(all, n, 50) * 1e3,
	       percentile(all, n, 99) * 1e3, n ? all[n - 1] * 1e3 : 0.0,
	       stalls);
	free(all);
}

int run_idle(struct worker *ws, long nthreads)
{
	long fails[FAIL_KINDS] = { 0 };
	long opened = 0, dropped = 0;
	double t0 = now(), t_ready;

	deadline = t0 + opt.duration;
	for (long i = 0; i < nthreads; i++)
		ws[i].idle_want = opt.idle / nthreads + (i < opt.idle % nthreads);
	start_workers(ws, nthreads, idle_worker);
	for (long i = 0; i < nthreads; i++) {
		opened += ws[i].opened;
		for (int k = 0; k < FAIL_KINDS; k++)
			fails[k] += ws[i].fails[k];
	}
	t_ready = now();
	printf("ready opened=%ld\n", opened);
	fflush(stdout);
	if (opt.hold > 0) {
		struct timespec ts = {
			.tv_sec = (time_t)opt.hold,
			.tv_nsec = (long)((opt.hold - (double)(time_t)opt.hold) * 1e9),
		};
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	/* Count the connections the server closed while they were held. */
	for (long i = 0; i < nthreads; i++) {
		for (long j = 0; j < ws[i].opened; j++) {
			struct pollfd p = { .fd = ws[i].fds[j], .events = POLLRDHUP };

			if (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
				dropped++;
		}
	}
	for (long i = 0; i < nthreads; i++) {
		for (long j = 0; j < ws[i].opened; j++) {
			SSL_free(ws[i].ssls[j]);
			close(ws[i].fds[j]);
		}
		free(ws[i].fds);
		free(ws[i].ssls);
	}
	printf("mode=idle\nproto=%s\nwanted=%ld\nopened=%ld\n",
	       opt.proto == PROTO_GEMINI ? "gemini" : "gopher", opt.idle, opened);
	print_fails(fails);
	{
		long failed = 0;

		for (int k = 1; k < FAIL_KINDS; k++)
			failed += fails[k];
		/* Connections the --duration deadline left unopened. */
		printf("not_attempted=%ld\n", opt.idle - opened - failed);
	}
	printf("open_s=%.3f\nheld_s=%.3f\ndropped_by_server=%ld\n",
	       t_ready - t0, now() - t_ready, dropped);
	print_connects(ws, nthreads);
	for (long i = 0; i < nthreads; i++)
		free(ws[i].lat);
	print_first_errors(ws, nthreads);
	return opened == opt.idle ? 0 : 1;
}
