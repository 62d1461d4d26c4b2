/*
 * tls_floor: the least a server on OpenSSL 3 can do per Gemini request,
 * for the bench's reference rows.  Threads (one per core) block in accept
 * on one socket, then: SSL_new, handshake, read the request line, write
 * "20 <type>" and a page held in memory, close_notify, close.  No event
 * loop, no file system, no log, no limits, no client certificate asked
 * for: whatever attache spends beyond this is attache's; what this
 * spends is the library's (and the kernel's) floor.
 *
 *	tls_floor PORT CERT KEY THREADS NAME=FILE...
 *
 * A request for gemini://localhost/NAME gets FILE's bytes (read once, at
 * start); anything else gets 51.  Same certificate, suites and ticket
 * policy as attache (src/tls.c), so that the handshakes match (floor.c,
 * shared with tls_floor_ev.c).  Not a server: loopback only, started and
 * stopped by bench.py.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor.h"

static SSL_CTX *ctx;
static int listen_fd;

/* All of buf, or -1: SSL_write may take less with partial writes on. */
static int
write_all(SSL *ssl, const char *buf, size_t len)
{
	while (len > 0) {
		int chunk = len > (1 << 30) ? 1 << 30 : (int)len;
		int n = SSL_write(ssl, buf, chunk);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
serve_one(int fd)
{
	char req[REQUEST_MAX + 3];
	const char *answer;
	size_t len;
	SSL *ssl;
	int n;

	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		goto done;
	if (SSL_accept(ssl) != 1 ||
	    (n = SSL_read(ssl, req, sizeof(req))) <= 0)
		goto done;
	floor_answer(req, (size_t)n, &answer, &len);
	if (write_all(ssl, answer, len) == -1)
		goto done;
	SSL_shutdown(ssl);
done:
	SSL_free(ssl);
	ERR_clear_error();
	close(fd);
}

static void *
serve(void *arg)
{
	int fd;

	(void)arg;
	for (;;) {
		if ((fd = accept(listen_fd, NULL, NULL)) == -1) {
			if (errno != EINTR && errno != ECONNABORTED)
				sleep(1);	/* EMFILE and the like */
			continue;
		}
		serve_one(fd);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t;
	long threads;
	int i;

	if (argc < 6) {
		fprintf(stderr, "usage: tls_floor PORT CERT KEY THREADS "
		    "NAME=FILE...\n");
		return 2;
	}
	if (floor_load_pages(argc, argv, 5) == -1 ||
	    (ctx = floor_ctx(argv[2], argv[3])) == NULL)
		return 1;
	threads = strtol(argv[4], NULL, 10);
	if (threads < 1 || threads > 64) {
		fprintf(stderr, "tls_floor: THREADS: 1 to 64\n");
		return 2;
	}
	if ((listen_fd = floor_listen(argv[1], false)) == -1)
		return 1;
	for (i = 1; i < threads; i++)
		if (pthread_create(&t, NULL, serve, NULL) != 0) {
			fprintf(stderr, "tls_floor: cannot start a thread\n");
			return 1;
		}
	serve(NULL);
	return 0;
}
