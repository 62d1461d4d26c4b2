/*
 * The server process's main thread: it receives each configuration from
 * the privileged process (a bundle), confines itself before the first,
 * builds a generation from each, starts the workers and hands them every
 * new generation; it drains on the privileged process's word.
 */
#ifndef ATTACHE_SERVER_PROCESS_H
#define ATTACHE_SERVER_PROCESS_H

#include "conf.h"

/*
 * Serves: runs until told to stop or drain, and every connection is done.
 * ipc is the socket to the privileged process; argc and argv are the
 * options, the configuration when there is no file.  Returns the exit
 * status.
 */
int	server_process_serve(int ipc, int argc, char **argv);

/* The exit status of a server process whose first configuration failed. */
#define CONTROL_EXIT_CONFIG	3

/*
 * The privileged process starts a server process by fork and exec of its
 * own executable, this variable set to the number of the descriptor that
 * is its socket (SERVER_PROCESS_FD): main() then serves.  The exec leaves
 * nothing of the privileged process's memory (keys it read, parsed or
 * generated) in the process that talks to clients.
 */
#define SERVER_PROCESS_ENV	"ATTACHE_SERVER_PROCESS"
#define SERVER_PROCESS_FD	3

#endif
