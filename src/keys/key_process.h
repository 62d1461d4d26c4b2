/*
 * The key process: the one process that holds the private keys of the
 * certificates served.  The privileged process forks it, and it talks to
 * nothing but its socket to the privileged process (keys in, sockets in)
 * and the sockets of the server processes' workers, where each request is
 * a digest or block to sign with a key named by its certificate
 * (tls_keys.h), answered with the signature.  It serves as the configured
 * user, non-dumpable, confined by Landlock to no file at all and no TCP.
 *
 * One thread per worker's socket answers that worker's requests in turn:
 * workers sign in parallel, as they did with the keys in hand.
 */
#ifndef ATTACHE_KEY_PROCESS_H
#define ATTACHE_KEY_PROCESS_H

#include "key_table.h"

/*
 * The key process's main, on ctl (its socket to the privileged process),
 * after becoming user (NULL: as started) and entering its sandbox.
 * Returns its exit status once ctl closes.
 */
int	key_process_serve(int ctl, const char *user);

/*
 * Answers the requests on fd with the keys of t until fd ends: one
 * worker's socket (a thread of the key process; the unit tests' signer).
 */
void	key_process_answer(struct key_table *t, int fd);

#endif
