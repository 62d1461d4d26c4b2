/* Rendered menus and listings, valid while their source is unchanged. */
#include <sys/queue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "render_cache.h"

#define NBUCKETS	1024
#define ENTRIES_MAX	4096

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
	enum render_kind	 kind;
	char			*path;
	struct source		 src;
	struct render_blob	*blob;		/* one reference */
	struct entry		*next;		/* in its hash chain */
	TAILQ_ENTRY(entry)	 lru;		/* most recently used first */
};

TAILQ_HEAD(lru_list, entry);

struct render_cache {
	pthread_mutex_t		 lock;
	size_t			 max_bytes;
	size_t			 bytes;
	size_t			 nentries;
	struct lru_list		 lru;
	struct entry		*buckets[NBUCKETS];
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
	if (pthread_mutex_init(&rc->lock, NULL) != 0) {
		free(rc);
		return NULL;
	}
	rc->max_bytes = max_bytes;
	TAILQ_INIT(&rc->lru);
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
	free(e->path);
	free(e);
}

void
render_cache_free(struct render_cache *rc)
{
	struct entry *e;

	if (rc == NULL)
		return;
	while ((e = TAILQ_FIRST(&rc->lru)) != NULL) {
		TAILQ_REMOVE(&rc->lru, e, lru);
		entry_free(e);
	}
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

static size_t
hash(enum render_kind kind, const char *path)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)kind;

	for (; *path != '\0'; path++) {
		h ^= (unsigned char)*path;
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ h >> 32) & (NBUCKETS - 1);
}

static struct entry **
find(struct render_cache *rc, enum render_kind kind, const char *path)
{
	struct entry **e;

	for (e = &rc->buckets[hash(kind, path)]; *e != NULL; e = &(*e)->next)
		if ((*e)->kind == kind && strcmp((*e)->path, path) == 0)
			return e;
	return e;
}

/* Unlinks the entry *slot points at and frees it. */
static void
drop(struct render_cache *rc, struct entry **slot)
{
	struct entry *e = *slot;

	*slot = e->next;
	TAILQ_REMOVE(&rc->lru, e, lru);
	rc->bytes -= e->blob->len;
	rc->nentries--;
	entry_free(e);
}

struct render_blob *
render_cache_get(struct render_cache *rc, enum render_kind kind,
    const char *path, const struct stat *st)
{
	struct render_blob *b = NULL;
	struct entry **slot, *e;
	struct source src;

	source_of(st, &src);
	pthread_mutex_lock(&rc->lock);
	slot = find(rc, kind, path);
	if ((e = *slot) != NULL) {
		if (same_source(&e->src, &src)) {
			b = blob_ref(e->blob);
			TAILQ_REMOVE(&rc->lru, e, lru);
			TAILQ_INSERT_HEAD(&rc->lru, e, lru);
		} else
			drop(rc, slot);		/* edited since */
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
render_cache_put(struct render_cache *rc, enum render_kind kind,
    const char *path, const struct stat *st, struct evbuffer *body,
    const struct timespec *now)
{
	size_t len = evbuffer_get_length(body);
	struct render_blob *b;
	struct entry **slot, *e, *victim;

	if (!render_cache_would_keep(rc, st, len, now))
		return NULL;
	if ((b = malloc(sizeof(*b) + len)) == NULL)
		return NULL;
	atomic_init(&b->refs, 2);	/* the cache's and the caller's */
	b->len = len;
	if (evbuffer_copyout(body, b->data, len) != (ev_ssize_t)len ||
	    (e = calloc(1, sizeof(*e))) == NULL) {
		free(b);
		return NULL;
	}
	if ((e->path = strdup(path)) == NULL) {
		free(e);
		free(b);
		return NULL;
	}
	e->kind = kind;
	e->blob = b;
	source_of(st, &e->src);
	pthread_mutex_lock(&rc->lock);
	/* Another worker may have rendered it meanwhile: the newer wins. */
	if (*(slot = find(rc, kind, path)) != NULL)
		drop(rc, slot);
	/* The least recently used go first. */
	while ((victim = TAILQ_LAST(&rc->lru, lru_list)) != NULL &&
	    (rc->bytes + len > rc->max_bytes || rc->nentries >= ENTRIES_MAX))
		drop(rc, find(rc, victim->kind, victim->path));
	*find(rc, kind, path) = e;
	TAILQ_INSERT_HEAD(&rc->lru, e, lru);
	rc->bytes += len;
	rc->nentries++;
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

void
render_cache_stats(struct render_cache *rc, size_t *entries, size_t *bytes)
{
	pthread_mutex_lock(&rc->lock);
	*entries = rc->nentries;
	*bytes = rc->bytes;
	pthread_mutex_unlock(&rc->lock);
}
