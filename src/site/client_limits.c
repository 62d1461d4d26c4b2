/* The limits on clients, shared by the workers: one hash table, one lock. */
#include <sys/random.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_limits.h"
#include "lru_table.h"

#define NBUCKETS	4096		/* chains stay short at 10,000 clients */
#define IDLE_MAX	65536		/* addresses kept for their rate alone */
#define PRUNE_STEP	4		/* idle entries looked at per close */
#define MILLI		1000		/* tokens are counted in thousandths */

/*
 * An address: pinned in the table while it has connections open, else
 * idle, in the table's order (oldest first) until its bucket is full again.
 */
struct entry {
	struct limits_key	 key;
	int			 conns;		/* open connections */
	int			 fresh;		/* no request yet: bucket full */
	int64_t			 tokens;	/* thousandths of a request */
	int64_t			 last_ms;	/* when tokens was right */
	int64_t			 full_ms;	/* idle: when the bucket is full */
	struct lru_node		 node;
};

struct limits {
	pthread_mutex_t		 lock;
	atomic_int		 total;		/* connections, all workers */
	atomic_int		 peak;		/* of total, since taken */
	struct lru_table	 table;		/* at most IDLE_MAX idle */
};

struct limits *
limits_new(void)
{
	struct limits *l;
	struct timespec ts;
	uint64_t seed;

	/* A seed of the hash: chains cannot be aimed at from outside. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(seed)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)ts.tv_sec;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if (lru_init(&l->table, NBUCKETS, IDLE_MAX, seed) == -1) {
		free(l);
		return NULL;
	}
	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		lru_fini(&l->table);
		free(l);
		return NULL;
	}
	atomic_init(&l->total, 0);
	atomic_init(&l->peak, 0);
	return l;
}

void
limits_free(struct limits *l)
{
	struct lru_node *n, *next;

	if (l == NULL)
		return;
	for (n = lru_next(&l->table, NULL); n != NULL; n = next) {
		next = lru_next(&l->table, n);
		free(LRU_ENTRY(n, struct entry, node));
	}
	lru_fini(&l->table);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void
limits_key_of(const struct sockaddr *sa, struct limits_key *k)
{
	const struct sockaddr_in *s4 = (const void *)sa;
	const struct sockaddr_in6 *s6 = (const void *)sa;

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		memcpy(k->a, &s6->sin6_addr, 16);
	else if (sa->sa_family == AF_INET6)
		/*
		 * One IPv6 client is one /64: a host picks any address of
		 * its network's /64 at will (privacy addresses), so
		 * counting whole addresses would limit nothing.
		 */
		memcpy(k->a, &s6->sin6_addr, LIMITS_V6_PREFIX_BYTES);
	else if (sa->sa_family == AF_INET) {
		k->a[10] = k->a[11] = 0xff;
		memcpy(k->a + 12, &s4->sin_addr, 4);
	}
}

enum limits_verdict
limits_total_open(struct limits *l, int max)
{
	int n = atomic_load_explicit(&l->total, memory_order_relaxed);

	do {
		if (n >= max)
			return LIMITS_TOTAL;
	} while (!atomic_compare_exchange_weak_explicit(&l->total, &n, n + 1,
	    memory_order_relaxed, memory_order_relaxed));
	/* A peak a little short is no harm: only the heap trim reads it. */
	if (n + 1 > atomic_load_explicit(&l->peak, memory_order_relaxed))
		atomic_store_explicit(&l->peak, n + 1, memory_order_relaxed);
	return LIMITS_OK;
}

int
limits_peak_take(struct limits *l)
{
	return atomic_exchange_explicit(&l->peak, limits_total(l),
	    memory_order_relaxed);
}

void
limits_total_close(struct limits *l)
{
	atomic_fetch_sub_explicit(&l->total, 1, memory_order_relaxed);
}

int
limits_total(struct limits *l)
{
	return atomic_load_explicit(&l->total, memory_order_relaxed);
}

static struct entry *
find(struct limits *l, const struct limits_key *k)
{
	struct lru_node *n;

	if ((n = lru_find(&l->table, k->a, sizeof(k->a))) == NULL)
		return NULL;
	return LRU_ENTRY(n, struct entry, node);
}

/* Takes e out of the table and frees it. */
static void
drop(struct limits *l, struct entry *e)
{
	lru_remove(&l->table, &e->node);
	free(e);
}

/* The bucket at now: refilled at rate, at most burst. */
static void
refill(struct entry *e, int rate, int burst, int64_t now_ms)
{
	int64_t full = (int64_t)burst * MILLI;

	if (e->fresh) {
		e->fresh = 0;
		e->tokens = full;
	} else if (now_ms > e->last_ms)
		e->tokens += (now_ms - e->last_ms) * rate;
	if (e->tokens > full)
		e->tokens = full;
	e->last_ms = now_ms;
}

enum limits_verdict
limits_open(struct limits *l, const struct limits_key *k, int max_per_address,
    int *counted)
{
	enum limits_verdict v = LIMITS_OK;
	struct entry *e;

	*counted = 0;
	pthread_mutex_lock(&l->lock);
	if ((e = find(l, k)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			goto out;	/* not counted rather than refused */
		e->key = *k;
		e->fresh = 1;
		/* Pinned while open: never a victim, none returned. */
		lru_insert(&l->table, &e->node, e->key.a, sizeof(e->key.a), 1);
	} else if (max_per_address > 0 && e->conns >= max_per_address) {
		v = LIMITS_ADDRESS;
		goto out;
	} else if (e->conns == 0)
		lru_pin(&l->table, &e->node);	/* no longer idle */
	e->conns++;
	*counted = 1;
out:
	pthread_mutex_unlock(&l->lock);
	return v;
}

void
limits_close(struct limits *l, const struct limits_key *k, int rate,
    int burst, int64_t now_ms)
{
	struct lru_node *n;
	struct entry *e;
	int i = 0;

	pthread_mutex_lock(&l->lock);
	if ((e = find(l, k)) == NULL || e->conns <= 0)
		goto out;		/* never counted: nothing to undo */
	if (--e->conns > 0)
		goto out;
	/* Idle now: kept only while its bucket is not full again. */
	if (rate > 0 && !e->fresh)
		refill(e, rate, burst, now_ms);
	if (rate <= 0 || e->fresh || e->tokens >= (int64_t)burst * MILLI)
		drop(l, e);
	else {
		e->full_ms = now_ms + ((int64_t)burst * MILLI - e->tokens +
		    rate - 1) / rate;
		/* Past IDLE_MAX idle, the oldest is forgotten. */
		if ((n = lru_unpin(&l->table, &e->node)) != NULL) {
			free(LRU_ENTRY(n, struct entry, node));
			i++;
		}
	}
	/* Forget a few addresses whose buckets have filled up since. */
	for (; i < PRUNE_STEP && (n = lru_oldest(&l->table)) != NULL; i++) {
		e = LRU_ENTRY(n, struct entry, node);
		if (e->full_ms > now_ms)
			break;
		drop(l, e);
	}
out:
	pthread_mutex_unlock(&l->lock);
}

int
limits_request(struct limits *l, const struct limits_key *k, int rate,
    int burst, int64_t now_ms)
{
	struct entry *e;
	int64_t missing;
	int wait = 0;

	if (rate <= 0 || burst <= 0)
		return 0;
	pthread_mutex_lock(&l->lock);
	if ((e = find(l, k)) == NULL)
		goto out;		/* uncounted (out of memory): let it be */
	refill(e, rate, burst, now_ms);
	if (e->tokens >= MILLI)
		e->tokens -= MILLI;
	else {
		missing = MILLI - e->tokens;
		/* Whole seconds, rounded up: the earliest time it would go. */
		wait = (int)((missing + (int64_t)rate * MILLI - 1) /
		    ((int64_t)rate * MILLI));
		if (wait < 1)
			wait = 1;
	}
out:
	pthread_mutex_unlock(&l->lock);
	return wait;
}

size_t
limits_addresses(struct limits *l)
{
	size_t n;

	pthread_mutex_lock(&l->lock);
	n = lru_count(&l->table);
	pthread_mutex_unlock(&l->lock);
	return n;
}
