/*
 * Messages between the privileged process and the server process, or the
 * key process: one datagram each on a SOCK_SEQPACKET socket pair
 * (boundaries kept), with file descriptors passed alongside (SCM_RIGHTS).
 */
#ifndef ATTACHE_IPC_H
#define ATTACHE_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define IPC_DATA_MAX	(16 * 1024)		/* payload of one message */
#define IPC_FDS_MAX	CONF_WORKERS_MAX	/* descriptors of one message */

enum ipc_type {
	/* privileged -> server: a configuration to serve */
	IPC_BUNDLE_BEGIN = 1,	/* u32 generation id, u32 workers */
	IPC_FILE,		/* path: a file the configuration names */
	IPC_FILE_DATA,		/* the next bytes of that file */
	IPC_ARGV,		/* no file: the options are the configuration */
	IPC_LISTEN,		/* u32 port, address: one socket per worker */
	IPC_LOG,		/* u32 to, u32 style; the log file, if any */
	IPC_COMMIT,		/* that is all: serve it */
	/* server -> privileged */
	IPC_RESULT,		/* u32 ok, u32 sites, u32 older generations */
	/* privileged -> server */
	IPC_REOPEN,		/* the log file opened anew */
	IPC_DRAIN,		/* stop accepting; exit once idle */
	IPC_STOP,		/* the same, within the stop grace */
	/* server -> privileged */
	IPC_DRAINING,		/* after IPC_DRAIN: no worker accepts now */
	/* privileged -> server, and -> key process: sockets between them,
	 * one per worker */
	IPC_KEYSOCK,
	/* privileged -> key process (after a bundle of keys, each file
	 * named by its certificate's id in hex, answered by IPC_RESULT) */
	IPC_KEYS_ACTIVE,	/* u32 generation id: it serves now */
	/*
	 * CGI (cgi_wire.h).  privileged -> server and -> a runner: u32
	 * runner index, u32 runners; a socket per worker (none: that runner
	 * is gone).
	 */
	IPC_CGISOCK,
	IPC_CGI_RUN,		/* worker -> runner: a request; its control
				 * socket, and its stdin when it has one */
	IPC_CGI_HOOK,		/* worker -> runner: a Titan hook to start */
	IPC_CGI_STARTED,	/* runner -> worker (control): u32 pid; the
				 * program's stdout */
	IPC_CGI_REFUSED,	/* u32 seconds to retry after (0: failed),
				 * then why */
	IPC_CGI_EXITED		/* u32 wait status */
};

struct ipc_msg {
	uint32_t	 type;
	size_t		 len;
	unsigned char	 data[IPC_DATA_MAX];
	int		 fds[IPC_FDS_MAX];
	int		 nfds;
};

/*
 * Sends one message (blocking; len <= IPC_DATA_MAX, nfds <= IPC_FDS_MAX).
 * The descriptors stay the caller's.  Returns 0, or -1 with errno set.
 */
int	ipc_send(int sock, uint32_t type, const void *data, size_t len,
	    const int *fds, int nfds);

/*
 * Receives one message; its descriptors are the caller's.  Returns 1, 0
 * at the end of the stream, or -1 with errno set (EAGAIN on a
 * non-blocking socket with nothing to read; EMSGSIZE for a message too
 * large or with too many descriptors, which are then closed).
 */
int	ipc_recv(int sock, struct ipc_msg *m);

/* Closes a message's descriptors that nobody took (set to -1). */
void	ipc_close_fds(struct ipc_msg *m);

/* u32 fields of a payload, in host order (both ends are this host). */
void	ipc_put32(unsigned char *p, uint32_t v);
uint32_t ipc_get32(const unsigned char *p);

#endif
