/*
 * What a connection tells a program (CGI or FastCGI) of itself: the
 * fields of struct program_request (program_env.h) that come from the
 * connection, its TLS and its client certificate, as text in a buffer
 * the caller keeps while it builds the environment.
 */
#ifndef ATTACHE_PROGRAM_REQUEST_H
#define ATTACHE_PROGRAM_REQUEST_H

#include "program_env.h"

struct conn;

struct program_conn_text {
	struct program_cert	 cert;
	char			 hash[65];
	char			 cn[256];
	char			 subject[512];
	char			 issuer[512];
	char			 not_before[32];
	char			 not_after[32];
};

/*
 * Sets r's software, server_name, server_port, document_root,
 * remote_addr, tls_version, tls_cipher and cert (from t, filled) for c.
 */
void	program_request_from_conn(struct conn *c, struct program_request *r,
	    struct program_conn_text *t);

struct conf_location;
struct titan_request;

/*
 * A Titan upload to a program (a CGI script or a FastCGI responder)
 * under loc: the program decides who may, so only the location's zone
 * and max, the site's titan-max-size, are checked here.  1 when c was
 * answered (refused); else 0, with r zeroed and set for the upload (its
 * URL, line's len bytes, copied into url, REQUEST_MAX + 1 bytes).
 */
int	program_titan_admit(struct conn *c, const struct conf_location *loc,
	    const struct titan_request *req, long long max, const char *line,
	    size_t len, char *url, struct program_request *r);

#endif
