/*
 * A worker's store of connection structures: fixed-size objects carved
 * from 64 KB blocks mapped for them alone, each block given back to the
 * system (munmap) as soon as it is empty.
 *
 * Why not malloc: a burst of connections interleaves their structures with
 * allocations that stay (libevent's per-descriptor entries, for one); once
 * the burst has closed, every page still holds something live, and the
 * heap cannot shrink, trimmed or not.  Blocks of their own can.
 *
 * Not locked: a pool is used by its worker's thread only.
 */
#ifndef ATTACHE_CONN_POOL_H
#define ATTACHE_CONN_POOL_H

#include <stddef.h>

#define CONN_POOL_BLOCK		(64 * 1024)

struct conn_pool;

/* A pool of objects of size bytes (at most a quarter of a block). */
struct conn_pool *conn_pool_new(size_t size);
/* Unmaps every block; every object must have been put back. */
void		 conn_pool_free(struct conn_pool *p);

/* A zeroed object, or NULL when out of memory. */
void		*conn_pool_get(struct conn_pool *p);
void		 conn_pool_put(struct conn_pool *p, void *obj);

/* Blocks mapped now, for tests and the bench. */
size_t		 conn_pool_blocks(const struct conn_pool *p);

#endif
