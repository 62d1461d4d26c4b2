/* Connection structures in blocks of their own, unmapped once empty. */
#include <sys/mman.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn_pool.h"

#define ALIGN		16

/*
 * Under AddressSanitizer every object is its own allocation, so that a
 * use after conn_pool_put is caught as one after free would be.
 */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_MALLOC	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_MALLOC	1
#endif
#endif
#ifndef POOL_MALLOC
#define POOL_MALLOC	0
#endif

/* At the start of each block, which is aligned to its size. */
struct block {
	LIST_ENTRY(block)	 link;		/* in pool->avail while not full */
	void			*free;		/* objects put back: a list */
	size_t			 carved;	/* objects handed out once */
	size_t			 used;
};

LIST_HEAD(block_list, block);

struct conn_pool {
	size_t			 size;		/* of an object, aligned */
	size_t			 per_block;
	size_t			 nblocks;
	struct block_list	 avail;		/* blocks with room */
	struct block		*spare;		/* one empty block kept */
};

static size_t
first_offset(void)
{
	return (sizeof(struct block) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

struct conn_pool *
conn_pool_new(size_t size)
{
	struct conn_pool *p;

	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (size == 0 || size > CONN_POOL_BLOCK / 4 ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->size = size;
	p->per_block = (CONN_POOL_BLOCK - first_offset()) / size;
	LIST_INIT(&p->avail);
	return p;
}

/* A block aligned to CONN_POOL_BLOCK: map twice its size, cut the rest. */
static struct block *
block_map(void)
{
	uintptr_t start, aligned;
	void *m;

	m = mmap(NULL, 2 * CONN_POOL_BLOCK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	start = (uintptr_t)m;
	aligned = (start + CONN_POOL_BLOCK - 1) &
	    ~(uintptr_t)(CONN_POOL_BLOCK - 1);
	if (aligned > start)
		(void)munmap(m, aligned - start);
	(void)munmap((void *)(aligned + CONN_POOL_BLOCK),
	    start + CONN_POOL_BLOCK - aligned);
	/* Fresh anonymous pages are zero: the header is clear. */
	return (struct block *)aligned;
}

static void
block_unmap(struct conn_pool *p, struct block *b)
{
	(void)munmap(b, CONN_POOL_BLOCK);
	p->nblocks--;
}

void *
conn_pool_get(struct conn_pool *p)
{
	struct block *b;
	void *obj;

	if (POOL_MALLOC)
		return calloc(1, p->size);
	if ((b = LIST_FIRST(&p->avail)) == NULL) {
		if ((b = p->spare) != NULL)
			p->spare = NULL;
		else if ((b = block_map()) == NULL)
			return NULL;
		else
			p->nblocks++;
		LIST_INSERT_HEAD(&p->avail, b, link);
	}
	if (b->free != NULL) {
		obj = b->free;
		memcpy(&b->free, obj, sizeof(void *));
	} else
		obj = (char *)b + first_offset() + b->carved++ * p->size;
	if (++b->used == p->per_block)
		LIST_REMOVE(b, link);
	memset(obj, 0, p->size);
	return obj;
}

void
conn_pool_put(struct conn_pool *p, void *obj)
{
	struct block *b;

	if (obj == NULL)
		return;
	if (POOL_MALLOC) {
		free(obj);
		return;
	}
	b = (struct block *)((uintptr_t)obj & ~(uintptr_t)(CONN_POOL_BLOCK - 1));
	if (b->used-- == p->per_block)
		LIST_INSERT_HEAD(&p->avail, b, link);
	memcpy(obj, &b->free, sizeof(void *));
	b->free = obj;
	if (b->used > 0)
		return;
	/* Empty: one is kept against churn at the edge, the others go. */
	LIST_REMOVE(b, link);
	b->free = NULL;
	b->carved = 0;
	if (p->spare == NULL) {
		p->spare = b;
		return;
	}
	block_unmap(p, b);
}

void
conn_pool_free(struct conn_pool *p)
{
	struct block *b;

	if (p == NULL)
		return;
	while ((b = LIST_FIRST(&p->avail)) != NULL) {
		LIST_REMOVE(b, link);
		block_unmap(p, b);
	}
	if (p->spare != NULL)
		block_unmap(p, p->spare);
	free(p);
}

size_t
conn_pool_blocks(const struct conn_pool *p)
{
	return p->nblocks;
}
