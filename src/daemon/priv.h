/*
 * The privileged process: the small part of attache that keeps what a
 * reload needs and nothing that talks to clients.  It reads the
 * configuration file and the certificates (keys may be readable by root
 * alone), generates missing pairs, binds the listening sockets (ports
 * below 1024), opens the log file, and hands all of it to the server
 * process, which serves as the configured user inside its sandbox.
 *
 * A reload goes to the running server process when its sandbox already
 * covers the new capsules (it builds a new generation); otherwise a new
 * server process takes over the sockets and the old one drains.
 */
#ifndef ATTACHE_PRIV_H
#define ATTACHE_PRIV_H

#include "conf.h"
#include "options.h"

/* The privileged process's main: returns the exit status. */
int	priv_run(const struct options *opts, struct conf *conf, int argc,
	    char **argv);

#endif
