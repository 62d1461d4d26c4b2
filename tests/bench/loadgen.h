/*
 * loadgen's parts: loadgen.c (options, request mode, output) and
 * loadgen_idle.c (idle mode: connections that are opened and held).
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

enum proto { PROTO_GEMINI, PROTO_GOPHER };

/* What went wrong with one request; FAIL_NONE is success. */
enum fail {
	FAIL_NONE,
	FAIL_CONNECT,	/* socket/connect */
	FAIL_TLS,	/* TLS handshake */
	FAIL_IO,	/* send or receive error, timeout, reset */
	FAIL_STATUS,	/* response did not start with the expected prefix */
	FAIL_NOTIFY,	/* Gemini: EOF without close_notify */
	FAIL_SHORT,	/* fewer bytes than --min-bytes */
	FAIL_KINDS
};

struct options {
	enum proto proto;
	const char *host;
	const char *port;
	const char *port2;	/* idle mode: every other connection here */
	const char *sni;
	char *request;
	size_t request_len;
	const char *expect;
	long connections;
	long requests;
	double duration;
	double timeout;
	long long min_bytes;
	bool resume;
	bool tls12;
	long idle;
	bool silent;		/* idle mode: no TLS handshake either */
	double hold;
	bool verbose;
};

/* One thread's results. */
struct worker {
	pthread_t tid;
	long index;
	double *lat;		/* latencies of successful requests, seconds */
	size_t nlat, caplat;
	long done;
	long fails[FAIL_KINDS];
	long resumed;
	unsigned long long bytes;
	char first_error[200];
	/* idle mode */
	long idle_want;
	int *fds;
	SSL **ssls;
	long opened;
};

extern struct options opt;
extern struct addrinfo *target, *target2;
extern SSL_CTX *ctx;
extern double deadline;		/* monotonic seconds */

double	now(void);
void	note_error(struct worker *w, const char *what, const char *detail);
int	tcp_connect(struct worker *w, const struct addrinfo *to);
SSL	*tls_handshake(struct worker *w, int fd, SSL_SESSION *sess);
void	record_latency(struct worker *w, double t);
int	cmp_double(const void *a, const void *b);
double	percentile(const double *sorted, size_t n, double p);
void	start_workers(struct worker *ws, long n, void *(*fn)(void *));
void	print_fails(const long *fails);
void	print_first_errors(const struct worker *ws, long n);

/* Idle mode: opens opt.idle connections, holds them, reports. */
int	run_idle(struct worker *ws, long nthreads);

#endif
