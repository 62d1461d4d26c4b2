/* Unit tests: the connection pool's blocks come and go with their objects. */
#include <stdint.h>
#include <string.h>

#include "conn_pool.h"
#include "unit.h"

#define N	2000

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED	0
#endif

int
main(void)
{
	static unsigned char *objs[N];
	struct conn_pool *p = conn_pool_new(1400);
	size_t i, j, zero = 1, distinct = 1, aligned = 1;

	CHECK(p != NULL);
	CHECK(conn_pool_new(0) == NULL);
	CHECK(conn_pool_new(CONN_POOL_BLOCK) == NULL);
	for (i = 0; i < N; i++) {
		objs[i] = conn_pool_get(p);
		CHECK(objs[i] != NULL);
		for (j = 0; j < 1400; j++)
			zero &= objs[i][j] == 0;
		aligned &= ((uintptr_t)objs[i] & 15) == 0;
		memset(objs[i], 0xa5, 1400);
	}
	CHECK(zero);
	CHECK(aligned);
	/* No two overlap: each still holds its own bytes. */
	for (i = 0; i < N; i++) {
		memset(objs[i], (int)(i & 0xff), 1400);
	}
	for (i = 0; i < N; i++)
		distinct &= objs[i][0] == (i & 0xff) &&
		    objs[i][1399] == (i & 0xff);
	CHECK(distinct);
	if (!SANITIZED)
		CHECK_INT(conn_pool_blocks(p), (N + 45) / 46);
	/* Every other one back, then a get: reused, and zeroed again. */
	for (i = 0; i < N; i += 2)
		conn_pool_put(p, objs[i]);
	objs[0] = conn_pool_get(p);
	zero = 1;
	for (j = 0; j < 1400; j++)
		zero &= objs[0][j] == 0;
	CHECK(zero);
	for (i = 0; i < N; i += 2)
		if (i != 0)
			objs[i] = conn_pool_get(p);
	if (!SANITIZED)
		CHECK_INT(conn_pool_blocks(p), (N + 45) / 46);
	/* All back: one block kept, the others unmapped. */
	for (i = 0; i < N; i++)
		conn_pool_put(p, objs[i]);
	if (!SANITIZED)
		CHECK_INT(conn_pool_blocks(p), 1);
	conn_pool_put(p, NULL);
	objs[0] = conn_pool_get(p);
	conn_pool_put(p, objs[0]);
	conn_pool_free(p);
	return unit_done("conn_pool");
}
