/*
 * The privileged process's CGI runners (runner/cgi_runner.h): one per
 * cgi-user of the configuration served, forked from it with that
 * configuration, linked to every server process's workers by socket
 * pairs (IPC_CGISOCK), started anew for each configuration a reload
 * commits (the old ones finish their programs and end), and restarted
 * when one dies.
 */
#ifndef ATTACHE_PRIV_CGI_H
#define ATTACHE_PRIV_CGI_H

#include <sys/types.h>

#include "priv_state.h"

/*
 * p->conf serves from now on: the runners it needs are started (those of
 * the configuration before are let go) and every server process linked
 * to them.
 */
void	priv_cgi_start(struct priv *p);

/* Gives server process c its workers' sockets to every runner. */
void	priv_cgi_link(struct priv *p, struct child *c);

/* The log file opened anew (fd stays the caller's). */
void	priv_cgi_reopen(struct priv *p, int fd);

/* pid was reaped: 1 when it was a runner (started again), else 0. */
int	priv_cgi_reaped(struct priv *p, pid_t pid, int st);

/* At the end: the runners told to end, and waited for a moment. */
void	priv_cgi_stop(struct priv *p);

#endif
