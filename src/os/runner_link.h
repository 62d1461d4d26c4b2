/*
 * A server process's sockets to its CGI runners: one per worker and
 * runner, replaced whole when the privileged process starts another
 * runner (a reload, a restart).  The main thread sets them; a worker
 * sends on its own under a lock held for one non-blocking send, so that
 * a socket is never closed under a send.
 */
#ifndef ATTACHE_RUNNER_LINK_H
#define ATTACHE_RUNNER_LINK_H

#include <stddef.h>

#define RUNNER_LINKS_MAX	16	/* runners: distinct cgi-users */

/*
 * The sockets of runner index, one per worker (taken; n 0: that runner
 * is gone); those it replaces are closed.  Main thread.
 */
void	runner_link_set(int index, int *fds, int n);
/* Closes every socket (the process ends). */
void	runner_link_close_all(void);

/*
 * Sends one message to runner index on worker's socket, without waiting.
 * Returns 0, or -1 with errno: ENOTCONN (no runner), EAGAIN (its queue is
 * full), or the send's.
 */
int	runner_link_send(int index, int worker, unsigned type,
	    const void *data, size_t len, const int *fds, int nfds);

#endif
