/*
 * loadgen: a small, bounded load generator for attache's benchmark.
 *
 * Request mode: C threads, each doing blocking requests one after another:
 * connect, (TLS handshake), send the request line, read to EOF, close.  The
 * run stops after --requests requests in total or after --duration seconds,
 * whichever comes first; every socket has a send/receive timeout and an
 * alarm ends the process if anything still hangs, so a run always ends.
 *
 * Idle mode (--idle N, loadgen_idle.c): opens N connections, holds them,
 * reports.
 *
 * Output: one "key=value" per line, for bench.py and for people.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "loadgen.h"

static const char *const fail_names[FAIL_KINDS] = {
	"ok", "fail_connect", "fail_tls", "fail_io", "fail_status",
	"fail_notify", "fail_short",
};

struct options opt = {
	.proto = PROTO_GEMINI,
	.host = "127.0.0.1",
	.port = NULL,
	.sni = "localhost",
	.expect = NULL,
	.connections = 1,
	.requests = 1000,
	.duration = 10.0,
	.timeout = 15.0,
	.min_bytes = 0,
	.idle = 0,
	.hold = 3.0,
};

struct addrinfo *target, *target2;
SSL_CTX *ctx;
static atomic_long next_request;
double deadline;		/* monotonic seconds */


double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fputs(
	    "usage: loadgen --port N [options]\n"
	    "  --proto gemini|gopher  protocol (default gemini)\n"
	    "  --host ADDR            numeric address (default 127.0.0.1)\n"
	    "  --port N               port (required)\n"
	    "  --sni NAME             TLS server name (default localhost)\n"
	    "  --request STR          request line; \\r \\n \\t \\\\ are unescaped\n"
	    "                         (default gemini://localhost/\\r\\n, or \\r\\n)\n"
	    "  --expect PREFIX        a response must start with this\n"
	    "                         (default \"20 \" for gemini, none for gopher)\n"
	    "  --min-bytes N          a response must have at least N bytes\n"
	    "  --connections C        concurrent connections = threads (default 1)\n"
	    "  --requests N           total requests (default 1000)\n"
	    "  --duration S           stop starting requests after S seconds (10)\n"
	    "  --timeout S            send/receive timeout per socket (15)\n"
	    "  --resume               reuse the TLS session within each thread\n"
	    "  --tls12                limit TLS to version 1.2\n"
	    "  --idle N               idle mode: open N connections, hold, close\n"
	    "  --silent               idle mode: no TLS handshake either\n"
	    "  --port2 N              idle mode: every other connection here\n"
	    "  --hold S               idle mode: seconds to hold them (default 3)\n"
	    "  --verbose              print the first error of each thread\n",
	    f);
}

static char *unescape(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 1);
	size_t n = 0;

	if (!out) {
		perror("malloc");
		exit(2);
	}
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			switch (*s) {
			case 'r': out[n++] = '\r'; break;
			case 'n': out[n++] = '\n'; break;
			case 't': out[n++] = '\t'; break;
			case '\\': out[n++] = '\\'; break;
			default: out[n++] = '\\'; out[n++] = *s; break;
			}
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static double parse_num(const char *name, const char *v, double min, double max)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || d < min || d > max) {
		fprintf(stderr, "loadgen: bad value for --%s: %s\n", name, v);
		exit(2);
	}
	return d;
}

static void parse_args(int argc, char **argv)
{
	enum { O_PROTO = 1, O_HOST, O_PORT, O_SNI, O_REQUEST, O_EXPECT,
	       O_MINBYTES, O_CONN, O_REQS, O_DUR, O_TIMEOUT, O_RESUME,
	       O_TLS12, O_IDLE, O_HOLD, O_VERBOSE, O_HELP, O_SILENT,
	       O_PORT2 };
	static const struct option longopts[] = {
		{ "proto", required_argument, NULL, O_PROTO },
		{ "host", required_argument, NULL, O_HOST },
		{ "port", required_argument, NULL, O_PORT },
		{ "sni", required_argument, NULL, O_SNI },
		{ "request", required_argument, NULL, O_REQUEST },
		{ "expect", required_argument, NULL, O_EXPECT },
		{ "min-bytes", required_argument, NULL, O_MINBYTES },
		{ "connections", required_argument, NULL, O_CONN },
		{ "requests", required_argument, NULL, O_REQS },
		{ "duration", required_argument, NULL, O_DUR },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "resume", no_argument, NULL, O_RESUME },
		{ "tls12", no_argument, NULL, O_TLS12 },
		{ "idle", required_argument, NULL, O_IDLE },
		{ "silent", no_argument, NULL, O_SILENT },
		{ "port2", required_argument, NULL, O_PORT2 },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *request = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_PROTO:
			if (strcmp(optarg, "gemini") == 0)
				opt.proto = PROTO_GEMINI;
			else if (strcmp(optarg, "gopher") == 0)
				opt.proto = PROTO_GOPHER;
			else {
				fprintf(stderr, "loadgen: bad --proto: %s\n", optarg);
				exit(2);
			}
			break;
		case O_HOST: opt.host = optarg; break;
		case O_PORT: opt.port = optarg; break;
		case O_SNI: opt.sni = optarg; break;
		case O_REQUEST: request = optarg; break;
		case O_EXPECT: opt.expect = optarg; break;
		case O_MINBYTES:
			opt.min_bytes = (long long)parse_num("min-bytes", optarg, 0, 1e15);
			break;
		case O_CONN:
			opt.connections = (long)parse_num("connections", optarg, 1, 4096);
			break;
		case O_REQS:
			opt.requests = (long)parse_num("requests", optarg, 1, 1e8);
			break;
		case O_DUR: opt.duration = parse_num("duration", optarg, 0.01, 3600); break;
		case O_TIMEOUT: opt.timeout = parse_num("timeout", optarg, 0.01, 600); break;
		case O_RESUME: opt.resume = true; break;
		case O_TLS12: opt.tls12 = true; break;
		case O_IDLE: opt.idle = (long)parse_num("idle", optarg, 1, 1e6); break;
		case O_SILENT: opt.silent = true; break;
		case O_PORT2: opt.port2 = optarg; break;
		case O_HOLD: opt.hold = parse_num("hold", optarg, 0, 3600); break;
		case O_VERBOSE: opt.verbose = true; break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc || !opt.port) {
		usage(stderr);
		exit(2);
	}
	if (!request)
		request = opt.proto == PROTO_GEMINI ? "gemini://localhost/\\r\\n" : "\\r\\n";
	opt.request = unescape(request, &opt.request_len);
	if (!opt.expect && opt.proto == PROTO_GEMINI)
		opt.expect = "20 ";
	if (opt.expect && !*opt.expect)
		opt.expect = NULL;
}

void note_error(struct worker *w, const char *what, const char *detail)
{
	if (w->first_error[0])
		return;
	snprintf(w->first_error, sizeof w->first_error, "%s: %s", what, detail);
}

static void note_ssl_error(struct worker *w, const char *what, SSL *ssl, int ret)
{
	char buf[160];
	int e = SSL_get_error(ssl, ret);
	unsigned long code = ERR_peek_error();

	if (code)
		ERR_error_string_n(code, buf, sizeof buf);
	else if (e == SSL_ERROR_SYSCALL)
		snprintf(buf, sizeof buf, "syscall: %s", errno ? strerror(errno) : "EOF");
	else
		snprintf(buf, sizeof buf, "SSL_get_error %d", e);
	note_error(w, what, buf);
	ERR_clear_error();
}

/* A connected TCP socket with timeouts, or -1. */
int tcp_connect(struct worker *w, const struct addrinfo *to)
{
	struct timeval tv;
	int one = 1;
	int fd;

	fd = socket(to->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		note_error(w, "socket", strerror(errno));
		return -1;
	}
	tv.tv_sec = (time_t)opt.timeout;
	tv.tv_usec = (suseconds_t)((opt.timeout - (double)tv.tv_sec) * 1e6);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, to->ai_addr, to->ai_addrlen) == -1) {
		note_error(w, "connect", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* TLS handshake on fd; returns the SSL or NULL (fd left open). */
SSL *tls_handshake(struct worker *w, int fd, SSL_SESSION *sess)
{
	SSL *ssl = SSL_new(ctx);
	int r;

	if (!ssl) {
		note_error(w, "SSL_new", "failed");
		return NULL;
	}
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, opt.sni);
	if (sess)
		SSL_set_session(ssl, sess);
	r = SSL_connect(ssl);
	if (r != 1) {
		note_ssl_error(w, "handshake", ssl, r);
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

void record_latency(struct worker *w, double t)
{
	if (w->nlat == w->caplat) {
		size_t cap = w->caplat ? w->caplat * 2 : 1024;
		double *p = realloc(w->lat, cap * sizeof *p);

		if (!p) {
			perror("realloc");
			exit(2);
		}
		w->lat = p;
		w->caplat = cap;
	}
	w->lat[w->nlat++] = t;
}

/* Checks the start of a response against --expect as bytes arrive. */
struct prefix_check {
	char head[64];
	size_t have;
};

static void prefix_feed(struct prefix_check *pc, const char *buf, size_t n)
{
	size_t room = sizeof pc->head - 1 - pc->have;

	if (n > room)
		n = room;
	memcpy(pc->head + pc->have, buf, n);
	pc->have += n;
	pc->head[pc->have] = '\0';
}

static bool prefix_ok(const struct prefix_check *pc)
{
	size_t n;

	if (!opt.expect)
		return pc->have > 0;
	n = strlen(opt.expect);
	return pc->have >= n && memcmp(pc->head, opt.expect, n) == 0;
}

static void note_bad_prefix(struct worker *w, const struct prefix_check *pc)
{
	char shown[64];
	size_t i;

	for (i = 0; i < pc->have && i < sizeof shown - 1; i++) {
		unsigned char ch = (unsigned char)pc->head[i];
		shown[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '.';
	}
	shown[i] = '\0';
	note_error(w, "unexpected response", shown);
}

static enum fail gemini_fetch(struct worker *w, SSL_SESSION **sess)
{
	static _Thread_local char buf[65536];
	struct prefix_check pc = { .have = 0 };
	unsigned long long got = 0;
	enum fail result = FAIL_NONE;
	SSL *ssl;
	int fd, r, e;

	fd = tcp_connect(w, target);
	if (fd == -1)
		return FAIL_CONNECT;
	ssl = tls_handshake(w, fd, opt.resume ? *sess : NULL);
	if (!ssl) {
		close(fd);
		return FAIL_TLS;
	}
	if (SSL_session_reused(ssl))
		w->resumed++;
	r = SSL_write(ssl, opt.request, (int)opt.request_len);
	if (r <= 0) {
		note_ssl_error(w, "write", ssl, r);
		result = FAIL_IO;
		goto out;
	}
	for (;;) {
		errno = 0;
		r = SSL_read(ssl, buf, sizeof buf);
		if (r > 0) {
			if (pc.have < sizeof pc.head - 1)
				prefix_feed(&pc, buf, (size_t)r);
			got += (unsigned long long)r;
			continue;
		}
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			break;		/* close_notify: a complete response */
		if (e == SSL_ERROR_SYSCALL || (e == SSL_ERROR_SSL &&
		    ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
			if (errno == 0 || e == SSL_ERROR_SSL) {
				note_error(w, "read", "EOF without close_notify");
				ERR_clear_error();
				result = FAIL_NOTIFY;
				break;
			}
		}
		note_ssl_error(w, "read", ssl, r);
		result = FAIL_IO;
		break;
	}
	w->bytes += got;
	if (result == FAIL_NONE) {
		if (!prefix_ok(&pc)) {
			note_bad_prefix(w, &pc);
			result = FAIL_STATUS;
		} else if ((long long)got < opt.min_bytes) {
			note_error(w, "short response", "fewer bytes than --min-bytes");
			result = FAIL_SHORT;
		}
		/* Answer the close_notify, as clients do; it also keeps the
		 * session resumable. */
		SSL_shutdown(ssl);
		ERR_clear_error();
	}
out:
	if (opt.resume && result == FAIL_NONE) {
		SSL_SESSION *s = SSL_get1_session(ssl);

		if (s) {
			SSL_SESSION_free(*sess);
			*sess = s;
		}
	}
	SSL_free(ssl);
	close(fd);
	return result;
}

static enum fail gopher_fetch(struct worker *w)
{
	static _Thread_local char buf[65536];
	struct prefix_check pc = { .have = 0 };
	unsigned long long got = 0;
	enum fail result = FAIL_NONE;
	size_t sent = 0;
	ssize_t n;
	int fd;

	fd = tcp_connect(w, target);
	if (fd == -1)
		return FAIL_CONNECT;
	while (sent < opt.request_len) {
		n = send(fd, opt.request + sent, opt.request_len - sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			note_error(w, "send", strerror(errno));
			close(fd);
			return FAIL_IO;
		}
		sent += (size_t)n;
	}
	for (;;) {
		n = recv(fd, buf, sizeof buf, 0);
		if (n > 0) {
			if (pc.have < sizeof pc.head - 1)
				prefix_feed(&pc, buf, (size_t)n);
			got += (unsigned long long)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		note_error(w, "recv", errno == EAGAIN ? "timeout" : strerror(errno));
		result = FAIL_IO;
		break;
	}
	w->bytes += got;
	close(fd);
	if (result != FAIL_NONE)
		return result;
	if (!prefix_ok(&pc)) {
		note_bad_prefix(w, &pc);
		return FAIL_STATUS;
	}
	if ((long long)got < opt.min_bytes) {
		note_error(w, "short response", "fewer bytes than --min-bytes");
		return FAIL_SHORT;
	}
	return FAIL_NONE;
}

static void *request_worker(void *arg)
{
	struct worker *w = arg;
	SSL_SESSION *sess = NULL;

	while (now() < deadline &&
	       atomic_fetch_add(&next_request, 1) < opt.requests) {
		double t0 = now();
		enum fail f = opt.proto == PROTO_GEMINI ? gemini_fetch(w, &sess)
							: gopher_fetch(w);

		w->done++;
		w->fails[f]++;
		if (f == FAIL_NONE)
			record_latency(w, now() - t0);
	}
	SSL_SESSION_free(sess);
	return NULL;
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double percentile(const double *sorted, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void on_alarm(int sig)
{
	static const char msg[] = "loadgen: hard time limit reached, exiting\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
		/* nothing more to do */
	}
	_exit(3);
}

static void raise_nofile(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)want
		    ? (rlim_t)want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void start_workers(struct worker *ws, long n, void *(*fn)(void *))
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (long i = 0; i < n; i++) {
		ws[i].index = i;
		int e = pthread_create(&ws[i].tid, &attr, fn, &ws[i]);

		if (e) {
			fprintf(stderr, "loadgen: pthread_create: %s\n", strerror(e));
			exit(2);
		}
	}
	pthread_attr_destroy(&attr);
	for (long i = 0; i < n; i++)
		pthread_join(ws[i].tid, NULL);
}

void print_fails(const long *fails)
{
	long total = 0;

	for (int k = 1; k < FAIL_KINDS; k++)
		total += fails[k];
	printf("failures=%ld\n", total);
	for (int k = 1; k < FAIL_KINDS; k++)
		printf("%s=%ld\n", fail_names[k], fails[k]);
}

void print_first_errors(const struct worker *ws, long n)
{
	for (long i = 0; i < n; i++) {
		if (!ws[i].first_error[0])
			continue;
		if (opt.verbose)
			printf("error_thread_%ld=%s\n", i, ws[i].first_error);
		else {
			printf("first_error=%s\n", ws[i].first_error);
			break;
		}
	}
}

static int run_requests(struct worker *ws, long nthreads)
{
	long fails[FAIL_KINDS] = { 0 };
	long done = 0, resumed = 0;
	unsigned long long bytes = 0;
	size_t nlat = 0, k = 0;
	double *lat, t0, elapsed, cpu0, cpu;

	cpu0 = cpu_seconds();
	t0 = now();
	deadline = t0 + opt.duration;
	start_workers(ws, nthreads, request_worker);
	elapsed = now() - t0;
	cpu = cpu_seconds() - cpu0;

	for (long i = 0; i < nthreads; i++) {
		done += ws[i].done;
		resumed += ws[i].resumed;
		bytes += ws[i].bytes;
		nlat += ws[i].nlat;
		for (int f = 0; f < FAIL_KINDS; f++)
			fails[f] += ws[i].fails[f];
	}
	lat = malloc((nlat ? nlat : 1) * sizeof *lat);
	if (!lat) {
		perror("malloc");
		exit(2);
	}
	for (long i = 0; i < nthreads; i++) {
		if (ws[i].nlat)
			memcpy(lat + k, ws[i].lat, ws[i].nlat * sizeof *lat);
		k += ws[i].nlat;
		free(ws[i].lat);
	}
	qsort(lat, nlat, sizeof *lat, cmp_double);

	printf("mode=requests\nproto=%s\nconnections=%ld\nresume=%d\n",
	       opt.proto == PROTO_GEMINI ? "gemini" : "gopher", nthreads,
	       opt.resume ? 1 : 0);
	printf("requests=%ld\nok=%ld\n", done, fails[FAIL_NONE]);
	print_fails(fails);
	if (opt.proto == PROTO_GEMINI)
		printf("resumed=%ld\n", resumed);
	printf("elapsed_s=%.3f\nrps=%.1f\n", elapsed, elapsed > 0 ? (double)done / elapsed : 0);
	printf("p50_ms=%.3f\np90_ms=%.3f\np99_ms=%.3f\nmax_ms=%.3f\n",
	       percentile(lat, nlat, 50) * 1e3, percentile(lat, nlat, 90) * 1e3,
	       percentile(lat, nlat, 99) * 1e3, nlat ? lat[nlat - 1] * 1e3 : 0.0);
	printf("bytes=%llu\nmb_s=%.1f\n", bytes,
	       elapsed > 0 ? (double)bytes / 1e6 / elapsed : 0);
	printf("client_cpu_s=%.3f\n", cpu);
	print_first_errors(ws, nthreads);
	free(lat);
	return fails[FAIL_NONE] == done ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct worker *ws;
	long nthreads;
	int e, rc;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	/* The hard limit: start-up, the run, one timeout per stuck socket. */
	alarm((unsigned)(opt.duration + (opt.idle ? opt.hold : 0) + 2 * opt.timeout + 10));

	e = getaddrinfo(opt.host, opt.port, &hints, &target);
	if (e) {
		fprintf(stderr, "loadgen: %s:%s: %s\n", opt.host, opt.port, gai_strerror(e));
		return 2;
	}
	if (opt.port2 && (e = getaddrinfo(opt.host, opt.port2, &hints, &target2))) {
		fprintf(stderr, "loadgen: %s:%s: %s\n", opt.host, opt.port2, gai_strerror(e));
		return 2;
	}
	if (opt.proto == PROTO_GEMINI) {
		ctx = SSL_CTX_new(TLS_client_method());
		if (!ctx) {
			fprintf(stderr, "loadgen: SSL_CTX_new failed\n");
			return 2;
		}
		/* Self-signed certificates, TOFU: nothing to verify against. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		if (opt.tls12)
			SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
		/* Sessions are kept by each thread itself (SSL_get1_session). */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}

	nthreads = opt.connections;
	if (opt.idle) {
		if (nthreads > opt.idle)
			nthreads = opt.idle;
		raise_nofile(opt.idle + 64);
	} else {
		if (nthreads > opt.requests)
			nthreads = opt.requests;
		raise_nofile(nthreads + 64);
	}
	ws = calloc((size_t)nthreads, sizeof *ws);
	if (!ws) {
		perror("calloc");
		return 2;
	}
	atomic_init(&next_request, 0);
	rc = opt.idle ? run_idle(ws, nthreads) : run_requests(ws, nthreads);
	free(ws);
	free(opt.request);
	freeaddrinfo(target);
	if (target2)
		freeaddrinfo(target2);
	SSL_CTX_free(ctx);
	return rc;
}
