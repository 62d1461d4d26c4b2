/* Error and access logging, to stderr. */
#ifndef ATTACHE_LOG_H
#define ATTACHE_LOG_H

#include <stddef.h>

void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * One access line: time, client, protocol, site, request (control
 * characters and quotes escaped as \xNN), status, bytes sent, duration in
 * ms, "cert=" and the start of the client certificate's fingerprint when
 * there was one (cert may be NULL), and why the request failed when it did
 * (why may be NULL).
 */
void	log_access(const char *client, const char *proto, const char *site,
	    const char *req, size_t reqlen, const char *status, size_t bytes,
	    long ms, const char *cert, const char *why);

/* Escapes s into out for a log line; always NUL-terminates. */
void	log_escape(const char *s, size_t len, char *out, size_t outsz);

#endif
