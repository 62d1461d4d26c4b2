/* Rendered menus and listings, valid while their source is unchanged. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "lru_table.h"
#include "render_cache.h"

#define NBUCKETS	1024
#define ENTRIES_MAX	4096
/* A key: the kind's byte, then the path (no longer one is kept). */
#define KEY_MAX		(1 + PATH_MAX)

struct render_blob {
	atomic_uint		 refs;
	size_t			 len;
	unsigned char		 data[];
};

/* What identifies the source's version. */
struct source {
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;
	struct timespec		 mtime;
	struct timespec		 ctime;
};

struct entry {
	struct source		 src;
	struct render_blob	*blob;		/* one reference */
	struct lru_node		 node;
	unsigned char		 key[];		/* see key_of */
};

struct render_cache {
	pthread_mutex_t		 lock;
	size_t			 max_bytes;
	size_t			 bytes;
	struct lru_table	 table;		/* at most ENTRIES_MAX */
};

static void
source_of(const struct stat *st, struct source *s)
{
	memset(s, 0, sizeof(*s));
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime = st->st_mtim;
	s->ctime = st->st_ctim;
}

static int
same_source(const struct source *a, const struct source *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

struct render_cache *
render_cache_new(size_t max_bytes)
{
	struct render_cache *rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	/* Unseeded: keys are the capsule's paths, at most ENTRIES_MAX. */
	if (lru_init(&rc->table, NBUCKETS, ENTRIES_MAX, 0) == -1) {
		free(rc);
		return NULL;
	}
	if (pthread_mutex_init(&rc->lock, NULL) != 0) {
		lru_fini(&rc->table);
		free(rc);
		return NULL;
	}
	rc->max_bytes = max_bytes;
	return rc;
}

void
render_blob_unref(struct render_blob *b)
{
	if (b != NULL && atomic_fetch_sub_explicit(&b->refs, 1,
	    memory_order_acq_rel) == 1)
		free(b);
}

static struct render_blob *
blob_ref(struct render_blob *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

static void
entry_free(struct entry *e)
{
	render_blob_unref(e->blob);
	free(e);
}

void
render_cache_free(struct render_cache *rc)
{
	struct lru_node *n;

	if (rc == NULL)
		return;
	while ((n = lru_oldest(&rc->table)) != NULL) {
		lru_remove(&rc->table, n);
		entry_free(LRU_ENTRY(n, struct entry, node));
	}
	lru_fini(&rc->table);
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

/* The key of kind and path[0..len) in key[len + 1]: its length. */
static size_t
key_of(enum render_kind kind, const char *path, size_t len,
    unsigned char *key)
{
	key[0] = (unsigned char)kind;
	memcpy(key + 1, path, len);
	return len + 1;
}

static struct entry *
find(struct render_cache *rc, const unsigned char *key, size_t keylen)
{
	struct lru_node *n;

	if ((n = lru_find(&rc->table, key, keylen)) == NULL)
		return NULL;
	return LRU_ENTRY(n, struct entry, node);
}

/* Frees e, out of the table already. */
static void
forget(struct render_cache *rc, struct entry *e)
{
	rc->bytes -= e->blob->len;
	entry_free(e);
}

/* Takes e out of the cache and frees it. */
static void
drop(struct render_cache *rc, struct entry *e)
{
	lru_remove(&rc->table, &e->node);
	forget(rc, e);
}

struct render_blob *
render_cache_get(struct render_cache *rc, enum render_kind kind,
    const char *path, const struct stat *st)
{
	unsigned char key[KEY_MAX];
	struct render_blob *b = NULL;
	struct source src;
	struct entry *e;
	size_t pathlen = strlen(path), keylen;

	if (pathlen > KEY_MAX - 1)
		return NULL;		/* never kept */
	keylen = key_of(kind, path, pathlen, key);
	source_of(st, &src);
	pthread_mutex_lock(&rc->lock);
	/* Edited since: kept as the last whole version until replaced. */
	if ((e = find(rc, key, keylen)) != NULL &&
	    same_source(&e->src, &src)) {
		b = blob_ref(e->blob);
		lru_touch(&rc->table, &e->node);
	}
	pthread_mutex_unlock(&rc->lock);
	return b;
}

struct render_blob *
render_cache_last(struct render_cache *rc, enum render_kind kind,
    const char *path)
{
	unsigned char key[KEY_MAX];
	struct render_blob *b = NULL;
	struct entry *e;
	size_t pathlen = strlen(path), keylen;

	if (pathlen > KEY_MAX - 1)
		return NULL;
	keylen = key_of(kind, path, pathlen, key);
	pthread_mutex_lock(&rc->lock);
	if ((e = find(rc, key, keylen)) != NULL) {
		b = blob_ref(e->blob);
		lru_touch(&rc->table, &e->node);
	}
	pthread_mutex_unlock(&rc->lock);
	return b;
}

/* 1 when the source changed less than RENDER_SETTLE_SEC before now. */
static int
too_young(const struct stat *st, const struct timespec *now)
{
	const struct timespec *t = &st->st_ctim;

	if (st->st_mtim.tv_sec > t->tv_sec ||
	    (st->st_mtim.tv_sec == t->tv_sec && st->st_mtim.tv_nsec >
	    t->tv_nsec))
		t = &st->st_mtim;
	return now->tv_sec - t->tv_sec < RENDER_SETTLE_SEC ||
	    (now->tv_sec - t->tv_sec == RENDER_SETTLE_SEC &&
	    now->tv_nsec < t->tv_nsec);
}

int
render_cache_would_keep(const struct render_cache *rc, const struct stat *st,
    size_t len, const struct timespec *now)
{
	return len <= RENDER_BLOB_MAX && len <= rc->max_bytes &&
	    !too_young(st, now);
}

struct render_blob *
render_blob_new(struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body);
	struct render_blob *b;

	if ((b = malloc(sizeof(*b) + len)) == NULL)
		return NULL;
	atomic_init(&b->refs, 1);
	b->len = len;
	if (evbuffer_copyout(body, b->data, len) != (ev_ssize_t)len) {
		free(b);
		return NULL;
	}
	return b;
}

struct render_blob *
render_cache_put(struct render_cache *rc, enum render_kind kind,
    const char *path, const struct stat *st, struct evbuffer *body,
    const struct timespec *now)
{
	if (!render_cache_would_keep(rc, st, evbuffer_get_length(body), now))
		return NULL;
	return render_cache_keep(rc, kind, path, st, body);
}

struct render_blob *
render_cache_keep(struct render_cache *rc, enum render_kind kind,
    const char *path, const struct stat *st, struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body), pathlen = strlen(path);
	size_t keylen;
	struct lru_node *n;
	struct render_blob *b;
	struct entry *e, *old;

	if (len > RENDER_BLOB_MAX || len > rc->max_bytes ||
	    pathlen > KEY_MAX - 1 || (b = render_blob_new(body)) == NULL)
		return NULL;
	if ((e = calloc(1, sizeof(*e) + 1 + pathlen)) == NULL) {
		free(b);
		return NULL;
	}
	atomic_init(&b->refs, 2);	/* the cache's and the caller's */
	keylen = key_of(kind, path, pathlen, e->key);
	e->blob = b;
	source_of(st, &e->src);
	pthread_mutex_lock(&rc->lock);
	/* Another worker may have rendered it meanwhile: the newer wins. */
	if ((old = find(rc, e->key, keylen)) != NULL)
		drop(rc, old);
	/* The least recently used go first: for the bytes, then the count. */
	while (rc->bytes + len > rc->max_bytes &&
	    (n = lru_oldest(&rc->table)) != NULL)
		drop(rc, LRU_ENTRY(n, struct entry, node));
	if ((n = lru_insert(&rc->table, &e->node, e->key, keylen, 0)) != NULL)
		forget(rc, LRU_ENTRY(n, struct entry, node));
	rc->bytes += len;
	pthread_mutex_unlock(&rc->lock);
	return b;
}

static void
blob_sent(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	render_blob_unref(arg);
}

int
render_blob_add(struct render_blob *b, struct evbuffer *out)
{
	if (b->len == 0)
		return 0;
	/* out's reference, dropped by blob_sent once the bytes are gone. */
	blob_ref(b);
	if (evbuffer_add_reference(out, b->data, b->len, blob_sent, b) ==
	    -1) {
		render_blob_unref(b);
		return -1;
	}
	return 0;
}

size_t
render_blob_len(const struct render_blob *b)
{
	return b->len;
}

const unsigned char *
render_blob_data(const struct render_blob *b)
{
	return b->data;
}

void
render_cache_stats(struct render_cache *rc, size_t *entries, size_t *bytes)
{
	pthread_mutex_lock(&rc->lock);
	*entries = lru_count(&rc->table);
	*bytes = rc->bytes;
	pthread_mutex_unlock(&rc->lock);
}
