/*
 * A connection's first steps (conn_start.c), as the worker's loop sees
 * them from outside net/.
 */
#ifndef ATTACHE_CONN_START_H
#define ATTACHE_CONN_START_H

/*
 * For the worker's channel to the key process (tls_key_channel_park):
 * the answer a connection's parked handshake waited for is in; it goes
 * on from the worker's loop.
 */
void	conn_key_answered(void *conn);

#endif
