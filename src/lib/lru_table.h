/*
 * A hash table keyed by bytes, bounded, least recently used out first: the
 * one behind the client limits (client_limits.c) and the render caches
 * (render_cache.c).  Intrusive, in the manner of sys/queue.h: the owner
 * embeds a struct lru_node in its own entry, keeps the key's bytes there,
 * and gets the entry back with LRU_ENTRY.  The table allocates nothing but
 * its buckets and frees no entry: what leaves it (lru_remove, or a victim
 * returned by lru_insert or lru_unpin) is the owner's to free.  No lock:
 * each owner holds its own around every call.
 *
 * An entry is either in the recency order, where the bound counts it and
 * eviction may take it, or pinned (in use: a client with connections
 * open), found by lookups but never evicted nor counted against the bound.
 *
 * The search index's builder shares lru_hash alone.  Its word table grows
 * without bound, is never evicted from, and holds 4-byte term numbers
 * into an array that realloc moves, looked up by linear probing: a node of
 * 48 bytes per word, and an entry that cannot move, would make it bigger
 * and slower for nothing it needs.
 */
#ifndef ATTACHE_LRU_TABLE_H
#define ATTACHE_LRU_TABLE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

/* One entry's links, inside the owner's struct. */
struct lru_node {
	LIST_ENTRY(lru_node)	 chain;		/* in its bucket */
	TAILQ_ENTRY(lru_node)	 order;		/* tqe_prev NULL: pinned */
	const unsigned char	*key;		/* the owner's bytes */
	uint32_t		 keylen;
	uint32_t		 hash;		/* compared before the key */
};

LIST_HEAD(lru_chain, lru_node);
TAILQ_HEAD(lru_order, lru_node);

struct lru_table {
	struct lru_chain	*buckets;
	uint32_t		 mask;		/* buckets - 1 */
	uint64_t		 seed;
	size_t			 max;		/* entries in the order */
	size_t			 nordered;
	size_t			 count;		/* ordered and pinned */
	struct lru_order	 order;		/* least recently used first */
};

/* The entry of type `type` whose member `field` is node n. */
#define LRU_ENTRY(n, type, field)					\
	((type *)(void *)((char *)(n) - offsetof(type, field)))

/* Keys longer are refused by lru_find (NULL) and never inserted. */
#define LRU_KEY_MAX	UINT32_MAX

/*
 * FNV-1a (64 bits) over p[0..len), from seed's offset basis, the high half
 * folded into the low one since tables use the low bits.  A seed drawn at
 * random (client_limits.c) keeps a client from aiming keys at one chain.
 */
uint64_t	 lru_hash(uint64_t seed, const void *p, size_t len);

/*
 * An empty table of nbuckets chains (a power of two up to 2^31) holding
 * at most max entries (at least 1) in the order, besides pinned ones; 0,
 * or -1 for bad sizes or when out of memory.
 */
int		 lru_init(struct lru_table *t, size_t nbuckets, size_t max,
		    uint64_t seed);
/* Frees the buckets; the entries still in it are the owner's to free. */
void		 lru_fini(struct lru_table *t);

/* The entry with this key, or NULL; its place in the order is kept. */
struct lru_node	*lru_find(const struct lru_table *t, const void *key,
		    size_t keylen);
/*
 * Adds n, whose key key[0..keylen) (keylen at most LRU_KEY_MAX) must stay
 * where it is while n is in t and must not be in t already.  Pinned
 * (pin 1), or the most recently used; then, if the order holds more than
 * max, the least recently used entry leaves it and is returned, else NULL.
 */
struct lru_node	*lru_insert(struct lru_table *t, struct lru_node *n,
		    const void *key, size_t keylen, int pin);
/* Takes n out of t. */
void		 lru_remove(struct lru_table *t, struct lru_node *n);
/* n, not pinned, becomes the most recently used. */
void		 lru_touch(struct lru_table *t, struct lru_node *n);
/* n leaves the order: never evicted until unpinned. */
void		 lru_pin(struct lru_table *t, struct lru_node *n);
/* n, pinned, goes back as the most recently used; a victim as insert's. */
struct lru_node	*lru_unpin(struct lru_table *t, struct lru_node *n);
int		 lru_pinned(const struct lru_node *n);

/* The least recently used entry (not pinned), or NULL. */
struct lru_node	*lru_oldest(const struct lru_table *t);
/*
 * Every entry, pinned or not, in no useful order: the first with NULL,
 * then the one after n (n may be freed once this has returned).
 */
struct lru_node	*lru_next(const struct lru_table *t, const struct lru_node *n);
/* Entries in t, pinned ones included. */
size_t		 lru_count(const struct lru_table *t);

#endif
