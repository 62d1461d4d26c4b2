/*
 * What the bench's two OpenSSL floors share (tls_floor.c, threads
 * blocking; tls_floor_ev.c, one thread on epoll): the pages held in
 * memory, the TLS context, the listening socket.
 */
#ifndef FLOOR_H
#define FLOOR_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#define PAGES_MAX	8
#define REQUEST_MAX	1024

struct page {
	char	 name[256];
	char	*bytes;		/* the header, then the file */
	size_t	 len;
};

/* The NAME=FILE arguments, from argv[first] on; -1 (said) if one fails. */
int floor_load_pages(int argc, char **argv, int first);
/* The answer for a request line (CRLF included): a page, or 51. */
void floor_answer(const char *req, size_t len, const char **bytes,
    size_t *n);
/* Same certificate, suites and ticket policy as attache (src/tls.c). */
SSL_CTX *floor_ctx(const char *cert, const char *key);
/* A socket listening on 127.0.0.1:port, or -1 (said). */
int floor_listen(const char *port, bool nonblocking);

#endif
