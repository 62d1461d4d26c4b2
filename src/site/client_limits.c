/* The limits on clients, shared by the workers: one hash table, one lock. */
#include <sys/queue.h>
#include <sys/random.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_limits.h"

#define NBUCKETS	4096		/* chains stay short at 10,000 clients */
#define IDLE_MAX	65536		/* addresses kept for their rate alone */
#define PRUNE_STEP	4		/* idle entries looked at per close */
#define MILLI		1000		/* tokens are counted in thousandths */

struct entry {
	struct limits_key	 key;
	int			 conns;		/* open connections */
	int			 fresh;		/* no request yet: bucket full */
	int64_t			 tokens;	/* thousandths of a request */
	int64_t			 last_ms;	/* when tokens was right */
	int64_t			 full_ms;	/* idle: when the bucket is full */
	struct entry		*next;		/* in its hash chain */
	TAILQ_ENTRY(entry)	 idle;		/* conns == 0: oldest first */
};

TAILQ_HEAD(idle_list, entry);

struct limits {
	pthread_mutex_t		 lock;
	atomic_int		 total;		/* connections, all workers */
	atomic_int		 peak;		/* of total, since taken */
	uint64_t		 seed;		/* of the hash: chains cannot
						 * be aimed at from outside */
	size_t			 nentries;
	size_t			 nidle;
	struct idle_list	 idle_list;
	struct entry		*buckets[NBUCKETS];
};

struct limits *
limits_new(void)
{
	struct limits *l;
	struct timespec ts;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return NULL;
	}
	atomic_init(&l->total, 0);
	atomic_init(&l->peak, 0);
	TAILQ_INIT(&l->idle_list);
	if (getrandom(&l->seed, sizeof(l->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(l->seed)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		l->seed = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)ts.tv_sec;
	}
	return l;
}

void
limits_free(struct limits *l)
{
	struct entry *e, *next;
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < NBUCKETS; i++)
		for (e = l->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void
limits_key(const struct sockaddr *sa, struct limits_key *k)
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

static size_t
hash(const struct limits *l, const struct limits_key *k)
{
	uint64_t h = l->seed ^ 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(k->a); i++) {
		h ^= k->a[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 31;
	return (size_t)(h & (NBUCKETS - 1));
}

static struct entry **
find(struct limits *l, const struct limits_key *k)
{
	struct entry **e;

	for (e = &l->buckets[hash(l, k)]; *e != NULL; e = &(*e)->next)
		if (memcmp((*e)->key.a, k->a, sizeof(k->a)) == 0)
			return e;
	return e;
}

/* Unlinks and frees the entry *slot points at (it is idle). */
static void
drop(struct limits *l, struct entry **slot)
{
	struct entry *e = *slot;

	*slot = e->next;
	TAILQ_REMOVE(&l->idle_list, e, idle);
	l->nidle--;
	l->nentries--;
	free(e);
}

static void
drop_idle(struct limits *l, struct entry *e)
{
	drop(l, find(l, &e->key));
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
	struct entry **slot, *e;

	*counted = 0;
	pthread_mutex_lock(&l->lock);
	slot = find(l, k);
	if ((e = *slot) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			goto out;	/* not counted rather than refused */
		e->key = *k;
		e->fresh = 1;
		*slot = e;
		l->nentries++;
	} else if (max_per_address > 0 && e->conns >= max_per_address) {
		v = LIMITS_ADDRESS;
		goto out;
	} else if (e->conns == 0) {
		TAILQ_REMOVE(&l->idle_list, e, idle);
		l->nidle--;
	}
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
	struct entry **slot, *e;
	int i;

	pthread_mutex_lock(&l->lock);
	slot = find(l, k);
	if ((e = *slot) == NULL || e->conns <= 0)
		goto out;		/* never counted: nothing to undo */
	if (--e->conns > 0)
		goto out;
	/* Idle now: kept only while its bucket is not full again. */
	if (rate > 0 && !e->fresh)
		refill(e, rate, burst, now_ms);
	if (rate <= 0 || e->fresh || e->tokens >= (int64_t)burst * MILLI) {
		*slot = e->next;
		l->nentries--;
		free(e);
	} else {
		e->full_ms = now_ms + ((int64_t)burst * MILLI - e->tokens +
		    rate - 1) / rate;
		TAILQ_INSERT_TAIL(&l->idle_list, e, idle);
		l->nidle++;
	}
	/* Forget a few addresses whose buckets have filled up since. */
	for (i = 0; i < PRUNE_STEP && (e = TAILQ_FIRST(&l->idle_list)) !=
	    NULL; i++) {
		if (e->full_ms > now_ms && l->nidle <= IDLE_MAX)
			break;
		drop_idle(l, e);
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
	if ((e = *find(l, k)) == NULL)
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
	n = l->nentries;
	pthread_mutex_unlock(&l->lock);
	return n;
}
