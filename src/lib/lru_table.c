/* A bounded hash table keyed by bytes, least recently used out first. */
#include <stdlib.h>
#include <string.h>

#include "lru_table.h"

uint64_t
lru_hash(uint64_t seed, const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = seed ^ 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	/* A product's low bits see only its factors' low bits. */
	return h ^ h >> 32;
}

int
lru_init(struct lru_table *t, size_t nbuckets, size_t max, uint64_t seed)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	if (nbuckets == 0 || (nbuckets & (nbuckets - 1)) != 0 ||
	    nbuckets > (size_t)1 << 31 || max == 0)
		return -1;
	if ((t->buckets = calloc(nbuckets, sizeof(*t->buckets))) == NULL)
		return -1;
	for (i = 0; i < nbuckets; i++)
		LIST_INIT(&t->buckets[i]);
	t->mask = (uint32_t)(nbuckets - 1);
	t->seed = seed;
	t->max = max;
	TAILQ_INIT(&t->order);
	return 0;
}

void
lru_fini(struct lru_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
}

struct lru_node *
lru_find(const struct lru_table *t, const void *key, size_t keylen)
{
	struct lru_node *n;
	uint32_t h;

	if (keylen > LRU_KEY_MAX)
		return NULL;
	h = (uint32_t)lru_hash(t->seed, key, keylen);
	LIST_FOREACH(n, &t->buckets[h & t->mask], chain)
		if (n->hash == h && n->keylen == keylen && (keylen == 0 ||
		    memcmp(n->key, key, keylen) == 0))
			return n;
	return NULL;
}

/* The least recently used leaves the order if it holds more than max. */
static struct lru_node *
evict(struct lru_table *t)
{
	struct lru_node *n;

	if (t->nordered <= t->max)
		return NULL;
	n = TAILQ_FIRST(&t->order);
	lru_remove(t, n);
	return n;
}

struct lru_node *
lru_insert(struct lru_table *t, struct lru_node *n, const void *key,
    size_t keylen, int pin)
{
	n->key = key;
	n->keylen = (uint32_t)keylen;
	n->hash = (uint32_t)lru_hash(t->seed, key, keylen);
	LIST_INSERT_HEAD(&t->buckets[n->hash & t->mask], n, chain);
	t->count++;
	if (pin) {
		n->order.tqe_prev = NULL;
		return NULL;
	}
	TAILQ_INSERT_TAIL(&t->order, n, order);
	t->nordered++;
	return evict(t);
}

void
lru_remove(struct lru_table *t, struct lru_node *n)
{
	LIST_REMOVE(n, chain);
	if (!lru_pinned(n)) {
		TAILQ_REMOVE(&t->order, n, order);
		t->nordered--;
	}
	t->count--;
}

void
lru_touch(struct lru_table *t, struct lru_node *n)
{
	if (TAILQ_NEXT(n, order) == NULL)
		return;			/* the most recent already */
	TAILQ_REMOVE(&t->order, n, order);
	TAILQ_INSERT_TAIL(&t->order, n, order);
}

void
lru_pin(struct lru_table *t, struct lru_node *n)
{
	TAILQ_REMOVE(&t->order, n, order);
	n->order.tqe_prev = NULL;
	t->nordered--;
}

struct lru_node *
lru_unpin(struct lru_table *t, struct lru_node *n)
{
	TAILQ_INSERT_TAIL(&t->order, n, order);
	t->nordered++;
	return evict(t);
}

int
lru_pinned(const struct lru_node *n)
{
	return n->order.tqe_prev == NULL;
}

struct lru_node *
lru_oldest(const struct lru_table *t)
{
	return TAILQ_FIRST(&t->order);
}

struct lru_node *
lru_next(const struct lru_table *t, const struct lru_node *n)
{
	size_t i = 0;

	if (n != NULL) {
		if (LIST_NEXT(n, chain) != NULL)
			return LIST_NEXT(n, chain);
		i = (size_t)(n->hash & t->mask) + 1;
	}
	for (; i <= t->mask; i++)
		if (!LIST_EMPTY(&t->buckets[i]))
			return LIST_FIRST(&t->buckets[i]);
	return NULL;
}

size_t
lru_count(const struct lru_table *t)
{
	return t->count;
}
