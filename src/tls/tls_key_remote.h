/*
 * What the key objects (tls_keys.c) take from the channel their private
 * operations go through (tls_key_channel.c); tls alone includes it.
 */
#ifndef ATTACHE_TLS_KEY_REMOTE_H
#define ATTACHE_TLS_KEY_REMOTE_H

#include <stddef.h>

#include "tls_keys.h"

/* The errors a handshake's log line gives as its reason. */
enum {
	R_NO_CHANNEL = 1,
	R_UNREACHABLE,
	R_TIMEOUT,
	R_UNKNOWN,
	R_FAILED
};

/* Puts reason into OpenSSL's error queue, as the key process's library. */
void	tls_key_raise(int reason);

/*
 * The private operation op of the key named key, on in, over the calling
 * thread's channel: the result's length (in out, outmax at most), or -1
 * with the reason raised.  quick: the answer comes in tens of
 * microseconds, and is awaited briefly before the handshake parks.
 */
int	tls_key_remote(const unsigned char *key, enum tls_key_op op,
	    int padding, const unsigned char *in, size_t inlen,
	    unsigned char *out, size_t outmax, int quick);

#endif
