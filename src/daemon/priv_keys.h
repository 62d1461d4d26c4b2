/*
 * The privileged process's key process (keys/key_process.h): forked as
 * the configured user, handed each configuration's keys before its
 * generation serves, linked to every server process's workers by socket
 * pairs, and started again, with the keys and new sockets, when it dies.
 */
#ifndef ATTACHE_PRIV_KEYS_H
#define ATTACHE_PRIV_KEYS_H

#include <sys/types.h>

#include "priv_state.h"

/* Starts the key process, serving as user (NULL: as we run).  0, or -1. */
int	priv_keys_start(struct priv *p, const char *user);

/*
 * Sends the keys of a configuration (each file named by its certificate's
 * id in hex) and waits until the key process holds them.  0, or -1
 * (logged).
 */
int	priv_keys_send(struct priv *p, const struct bundle *keys);

/* Configuration id serves: the keys no other uses retire (key_table.h). */
void	priv_keys_activate(struct priv *p, unsigned long id);

/*
 * Gives server process c a socket to the key process for each worker
 * (IPC_KEYSOCK).  0, or -1 (logged; its handshakes fail until the next
 * key process).
 */
int	priv_keys_link(struct priv *p, struct child *c);

/*
 * pid was reaped with status st: when it is the key process, says so,
 * starts another (at once, or after a second if the last one died young)
 * and returns 1; otherwise 0.
 */
int	priv_keys_reaped(struct priv *p, pid_t pid, int st);

/* At the end: the key process told to end, and waited for. */
void	priv_keys_stop(struct priv *p);

/*
 * In a process just forked (the key process, which gets its keys over its
 * socket): wipes its copy of the keys the privileged process keeps.
 */
void	priv_keys_forget(struct priv *p);

#endif
