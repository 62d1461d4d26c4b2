/*
 * The parts of the bench's OpenSSL floors that are the same in both:
 * see floor.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "floor.h"

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
	/* An answer is one SSL_write: its length must fit an int. */
	if ((f = fopen(eq + 1, "rb")) == NULL || fstat(fileno(f), &st) == -1 ||
	    st.st_size < 0 || st.st_size > (1 << 30)) {
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

int
floor_load_pages(int argc, char **argv, int first)
{
	int i;

	for (i = first; i < argc; i++) {
		if (npages == PAGES_MAX || load_page(&pages[npages], argv[i])) {
			fprintf(stderr, "floor: cannot load %s\n", argv[i]);
			return -1;
		}
		npages++;
	}
	return 0;
}

void
floor_answer(const char *req, size_t len, const char **bytes, size_t *n)
{
	static const char prefix[] = "gemini://localhost/";
	size_t pre = sizeof(prefix) - 1;
	size_t i;

	*bytes = not_found;
	*n = sizeof(not_found) - 1;
	if (len < pre + 2 || memcmp(req, prefix, pre) != 0 ||
	    memcmp(req + len - 2, "\r\n", 2) != 0)
		return;
	for (i = 0; i < npages; i++)
		if (strlen(pages[i].name) == len - pre - 2 &&
		    memcmp(pages[i].name, req + pre, len - pre - 2) == 0) {
			*bytes = pages[i].bytes;
			*n = pages[i].len;
			return;
		}
}

SSL_CTX *
floor_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx;

	/* A client gone mid-write is an error return, not a signal. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("floor: SIGPIPE");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
	    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384") != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 1) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
	return ctx;
}

int
floor_listen(const char *port, bool nonblocking)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int one = 1;
	long p = strtol(port, NULL, 10);
	int fd;

	if (p <= 0 || p > 65535) {
		fprintf(stderr, "floor: bad port %s\n", port);
		return -1;
	}
	sin.sin_port = htons((unsigned short)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM |
	    (nonblocking ? SOCK_NONBLOCK : 0), 0)) == -1) {
		perror("floor: socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1024) == -1) {
		perror("floor: listen");
		close(fd);
		return -1;
	}
	return fd;
}
