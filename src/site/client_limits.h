/*
 * The limits on clients: open connections in all and per address, and a
 * request rate per address (a token bucket: `rate` tokens a second, at
 * most `burst` kept, one per request).  One table is shared by every
 * worker, under one lock held for a hash lookup: any worker may take any
 * of one address's connections (they share the accept queues), so
 * per-worker counts would allow workers times the limit.  The
 * table outlives the generations (the main thread owns it); the values
 * come from the generation a connection was accepted under.
 */
#ifndef ATTACHE_CLIENT_LIMITS_H
#define ATTACHE_CLIENT_LIMITS_H

#include <sys/socket.h>
#include <stdint.h>

struct limits;

/* An IPv6 client is counted by its network's /64. */
#define LIMITS_V6_PREFIX_BYTES	8

/* A client: 16 bytes, IPv4 as v4-mapped IPv6, IPv6 as its /64. */
struct limits_key {
	unsigned char	 a[16];
};

enum limits_verdict {
	LIMITS_OK,
	LIMITS_TOTAL,		/* max-connections reached */
	LIMITS_ADDRESS		/* max-connections-per-address reached */
};

/* An empty table; NULL when out of memory. */
struct limits	*limits_new(void);
/* Frees it; every connection must be closed (limits_close) by then. */
void		 limits_free(struct limits *l);

/* The key of an IPv4 or IPv6 socket address: the address, or its /64. */
void		 limits_key_of(const struct sockaddr *sa, struct limits_key *k);

/*
 * A new connection in all: LIMITS_OK (counted: limits_total_close it) or
 * LIMITS_TOTAL when max connections are open already.
 */
enum limits_verdict limits_total_open(struct limits *l, int max);
void		 limits_total_close(struct limits *l);
/* Connections open, over all workers. */
int		 limits_total(struct limits *l);
/* The most open at once since the last call (then: open now). */
int		 limits_peak_take(struct limits *l);

/*
 * A new connection of address k: LIMITS_OK (counted: limits_close it),
 * or LIMITS_ADDRESS when max_per_address (0: no limit) are open already.
 * -1 out of memory is LIMITS_OK too, uncounted: *counted tells.
 */
enum limits_verdict limits_open(struct limits *l, const struct limits_key *k,
		    int max_per_address, int *counted);
void		 limits_close(struct limits *l, const struct limits_key *k,
		    int rate, int burst, int64_t now_ms);

/*
 * One request of k, at now_ms (a monotonic clock, milliseconds), under a
 * rate of `rate` requests a second (0: no limit) and a bucket of `burst`.
 * Returns 0 when it may go ahead, otherwise the whole seconds until it
 * could (at least 1).  k must be open (limits_open counted it).
 */
int		 limits_request(struct limits *l, const struct limits_key *k,
		    int rate, int burst, int64_t now_ms);

/* Addresses in the table, for tests and the log. */
size_t		 limits_addresses(struct limits *l);

#endif
