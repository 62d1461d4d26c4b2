/* The systemd notify protocol, without libsystemd: a datagram to a socket. */
#ifndef ATTACHE_NOTIFY_H
#define ATTACHE_NOTIFY_H

/*
 * Sends state ("READY=1", "RELOADING=1", "STOPPING=1", ...) to the socket
 * NOTIFY_SOCKET names (a path, or "@name" for an abstract one).  Without
 * NOTIFY_SOCKET it does nothing; a failure is logged, never fatal.
 */
void	notify_state(const char *state);

#endif
