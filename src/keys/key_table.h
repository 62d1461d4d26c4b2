/*
 * The keys the key process holds, each named by its certificate's SHA-256
 * (tls_keys.h), and which of them the running configuration uses.
 *
 * A reload sends its keys first (key_table_begin, key_table_put): from
 * then on they sign, beside the old ones, so that the new generation finds
 * its keys as soon as it serves.  Once the generation switch is done, or
 * has failed, key_table_activate names the configuration that serves: a
 * key it does not use is kept KEY_RETIRE_SEC longer, for the handshakes
 * still under the old generation, then dropped by key_table_sweep.
 *
 * Lookups come from the threads that answer the server processes, changes
 * from the key process's main thread: a read-write lock, held for the scan
 * only (a key found is the caller's reference).
 */
#ifndef ATTACHE_KEY_TABLE_H
#define ATTACHE_KEY_TABLE_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "tls_keys.h"

/*
 * How long a key the configuration no longer uses still signs: a
 * handshake accepted under the old generation ends within its request's
 * deadline (10 s from the connect), and the switch itself takes a moment.
 */
#define KEY_RETIRE_SEC	60

struct key_table;

struct key_table *key_table_new(void);
void	key_table_free(struct key_table *t);

/* The keys of configuration gen come next (until key_table_activate). */
void	key_table_begin(struct key_table *t, unsigned long gen);

/*
 * Adds the key of id to the configuration begun (key taken, also on
 * failure; a key already held under that id is kept instead).  0, or -1.
 */
int	key_table_put(struct key_table *t,
	    const unsigned char id[TLS_KEY_ID_LEN], EVP_PKEY *key);

/*
 * Configuration gen serves (the one begun, or the one before: its reload
 * failed): its keys sign on, the others retire at now + KEY_RETIRE_SEC.
 */
void	key_table_activate(struct key_table *t, unsigned long gen, time_t now);

/* Drops the keys retired by now; returns how many are left. */
size_t	key_table_sweep(struct key_table *t, time_t now);

/* The key of id, with a reference for the caller, or NULL. */
EVP_PKEY *key_table_get(struct key_table *t,
	    const unsigned char id[TLS_KEY_ID_LEN]);

#endif
