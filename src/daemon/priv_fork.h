/*
 * What every child of the privileged process (a server process, the key
 * process, a CGI runner) does first, before it becomes what it is.
 */
#ifndef ATTACHE_PRIV_FORK_H
#define ATTACHE_PRIV_FORK_H

/*
 * Signals are the privileged process's business: a stop sent to the
 * whole group (Ctrl-C, systemd) reaches it, and it tells its children.
 * So they ignore HUP, USR1, INT, TERM and PIPE, take CHLD as it comes,
 * and block nothing.  keep >= 0: every descriptor from 3 up but keep is
 * closed too.
 */
void	priv_fork_settle(int keep);

#endif
