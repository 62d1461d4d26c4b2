/*
 * The PROXY protocol header a front end (HAProxy) sends before anything
 * else, versions 1 (text) and 2 (binary), read strictly as its
 * specification asks (pure): whatever is not exactly a header is refused,
 * nothing is guessed.
 */
#ifndef ATTACHE_PROXY_HEADER_H
#define ATTACHE_PROXY_HEADER_H

#include <sys/socket.h>
#include <stddef.h>

#define PROXY_V1_MAX		107	/* the longest v1 line, CRLF included */
#define PROXY_V2_FIXED		16	/* signature, command, family, length */
/*
 * The longest v2 header taken: 16 bytes and the stated length.  The
 * addresses take at most 216 (AF_UNIX); the rest is TLVs, which a sender
 * keeps within one segment.
 */
#define PROXY_HEADER_MAX	1024

enum proxy_status {
	PROXY_INCOMPLETE,	/* a valid start: more bytes are needed */
	PROXY_DONE,		/* a whole header of h->len bytes */
	PROXY_INVALID		/* not a header: close the connection */
};

struct proxy_header {
	int			 version;	/* 1 or 2 */
	/*
	 * 1 when src and dst hold the client's connection (TCP over IPv4 or
	 * IPv6); 0 for v2 LOCAL (health checks), v1 UNKNOWN and the
	 * families the server has no use for: then the socket's own
	 * addresses stand.
	 */
	int			 has_addresses;
	struct sockaddr_storage	 src;		/* the client */
	struct sockaddr_storage	 dst;		/* what it connected to */
	size_t			 len;		/* bytes of the header */
};

/*
 * Reads the header at the start of buf[0..len), the bytes received so far.
 * PROXY_INCOMPLETE as long as they are the start of a valid header (a
 * wrong first byte is refused at once); PROXY_DONE with h filled; or
 * PROXY_INVALID with *why saying what is wrong, for the log.
 */
enum proxy_status proxy_header_parse(const unsigned char *buf, size_t len,
		    struct proxy_header *h, const char **why);

#endif
