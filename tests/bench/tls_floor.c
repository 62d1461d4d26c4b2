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
 * policy as attache (src/tls.c), so that the handshakes match.  Not a
 * server: loopback only, started and stopped by bench.py.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGES_MAX	8
#define REQUEST_MAX	1024

struct page {
	char	 name[256];
	char	*bytes;		/* the header, then the file */
	size_t	 len;
};

static SSL_CTX *ctx;
static int listen_fd;
static struct page pages[PAGES_MAX];
static size_t npages;
static const char not_found[] = "51 Not found\r\n";

static int
load_page(struct page *p, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct stat st;
	FILE *f;
	int hlen;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof(p->name))
		return -1;
	memcpy(p->name, arg, (size_t)(eq - arg));
	p->name[eq - arg] = '\0';
	if ((f = fopen(eq + 1, "rb")) == NULL || fstat(fileno(f), &st) == -1) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	p->len = (size_t)st.st_size + 64;
	if ((p->bytes = malloc(p->len)) == NULL) {
		fclose(f);
		return -1;
	}
	hlen = snprintf(p->bytes, 64, "20 %s\r\n",
	    strstr(p->name, ".gmi") != NULL ? "text/gemini" :
	    "application/octet-stream");
	if (hlen < 0 || hlen >= 64 || fread(p->bytes + hlen, 1,
	    (size_t)st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p->len = (size_t)hlen + (size_t)st.st_size;
	return 0;
}

static const struct page *
find_page(const char *req, size_t len)
{
	static const char prefix[] = "gemini://localhost/";
	size_t n = sizeof(prefix) - 1;
	size_t i;

	if (len < n + 2 || memcmp(req, prefix, n) != 0 ||
	    memcmp(req + len - 2, "\r\n", 2) != 0)
		return NULL;
	for (i = 0; i < npages; i++)
		if (strlen(pages[i].name) == len - n - 2 &&
		    memcmp(pages[i].name, req + n, len - n - 2) == 0)
			return &pages[i];
	return NULL;
}

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
	const struct page *p;
	SSL *ssl;
	int n;

	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		goto done;
	if (SSL_accept(ssl) != 1 ||
	    (n = SSL_read(ssl, req, sizeof(req))) <= 0)
		goto done;
	if ((p = find_page(req, (size_t)n)) != NULL) {
		if (write_all(ssl, p->bytes, p->len) == -1)
			goto done;
	} else if (write_all(ssl, not_found, sizeof(not_found) - 1) == -1)
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

static int
listen_on(const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int one = 1;
	long p = strtol(port, NULL, 10);

	if (p <= 0 || p > 65535)
		return -1;
	sin.sin_port = htons((unsigned short)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((listen_fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(listen_fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(listen_fd, 1024) == -1)
		return -1;
	return 0;
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
	for (i = 5; i < argc; i++) {
		if (npages == PAGES_MAX || load_page(&pages[npages], argv[i])) {
			fprintf(stderr, "tls_floor: cannot load %s\n", argv[i]);
			return 1;
		}
		npages++;
	}
	threads = strtol(argv[4], NULL, 10);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
	    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384") != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 1) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
	if (threads < 1 || threads > 64 || listen_on(argv[1]) == -1) {
		perror("tls_floor: listen");
		return 1;
	}
	for (i = 1; i < threads; i++)
		if (pthread_create(&t, NULL, serve, NULL) != 0) {
			fprintf(stderr, "tls_floor: cannot start a thread\n");
			return 1;
		}
	serve(NULL);
	return 0;
}
