/*
 * What a worker and a CGI runner say to each other (pure).  A worker
 * sends IPC_CGI_RUN on its socket to the runner: the site's name, the
 * script's path (URL path, decoded, beneath the capsule) and the
 * program's environment (program_env.h's wire form), with two or three
 * descriptors: the control socket of this request (a SOCK_SEQPACKET
 * pair's end), and the program's stdin when it has one (a Titan body).
 * On the control socket the runner answers IPC_CGI_STARTED with the
 * program's stdout, or IPC_CGI_REFUSED; later IPC_CGI_EXITED.  The worker
 * closes its end to have the program's process group killed.
 *
 * IPC_CGI_HOOK is the same message without descriptors, for a site's
 * titan-hook (the script path is then "").
 */
#ifndef ATTACHE_CGI_WIRE_H
#define ATTACHE_CGI_WIRE_H

#include <stddef.h>

struct cgi_run {
	const char	*site;		/* NUL-terminated, into the data */
	const char	*script;
	const char	*env;		/* wire form */
	size_t		 envlen;
};

/* Packs r into out; returns the length, or 0 when it does not fit. */
size_t	cgi_wire_pack(unsigned char *out, size_t outsz,
	    const struct cgi_run *r);

/* Reads a packed request (pointers into data); 0, or -1 if malformed. */
int	cgi_wire_parse(const unsigned char *data, size_t len,
	    struct cgi_run *r);

#endif
