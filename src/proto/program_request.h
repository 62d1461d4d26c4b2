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

#endif
