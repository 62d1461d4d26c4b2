/* Which files of a capsule are whole: the table, its views, the verdict. */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "lru_table.h"
#include "whole_table.h"

#define NBUCKETS	4096
#define NS_PER_MS	1000000LL
#define STATE_NEW	255	/* made, no state yet */

struct tentry {
	struct lru_node		 node;
	TAILQ_ENTRY(tentry)	 closed;	/* in CLOSED state */
	int64_t			 since_ms;
	struct whole_key	 key;
	uint8_t			 state;
	uint32_t		 len;
	char			 path[];	/* NUL-terminated */
};

TAILQ_HEAD(closed_list, tentry);

struct whole_table {
	struct lru_table	 table;		/* every entry pinned */
	struct closed_list	 closed;
};

struct whole_table *
whole_table_new(void)
{
	struct whole_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	/* Unseeded: the keys are the capsule's paths, not a client's. */
	if (lru_init(&t->table, NBUCKETS, 1, 0) == -1) {
		free(t);
		return NULL;
	}
	TAILQ_INIT(&t->closed);
	return t;
}

void
whole_table_clear(struct whole_table *t)
{
	struct lru_node *n;

	while ((n = lru_next(&t->table, NULL)) != NULL) {
		lru_remove(&t->table, n);
		free(LRU_ENTRY(n, struct tentry, node));
	}
	TAILQ_INIT(&t->closed);
}

void
whole_table_free(struct whole_table *t)
{
	if (t == NULL)
		return;
	whole_table_clear(t);
	lru_fini(&t->table);
	free(t);
}

size_t
whole_table_count(const struct whole_table *t)
{
	return lru_count(&t->table);
}

static struct tentry *
find(const struct whole_table *t, const char *path, size_t len)
{
	struct lru_node *n = lru_find(&t->table, path, len);

	return n != NULL ? LRU_ENTRY(n, struct tentry, node) : NULL;
}

/* The entry of path, made (CLOSED, out of the list) when new. */
static struct tentry *
get(struct whole_table *t, const char *path, size_t len, int64_t now_ms)
{
	struct tentry *e;

	if ((e = find(t, path, len)) != NULL)
		return e;
	if (lru_count(&t->table) >= WHOLE_TABLE_MAX ||
	    (e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	memcpy(e->path, path, len);
	e->len = (uint32_t)len;
	e->state = STATE_NEW;
	e->since_ms = now_ms;
	(void)lru_insert(&t->table, &e->node, e->path, len, 1);
	return e;
}

/* Moves e to state s; 1 when that is a change. */
static int
set_state(struct whole_table *t, struct tentry *e, enum whole_state s,
    int64_t now_ms)
{
	if (e->state == s)
		return 0;
	if (e->state == WHOLE_CLOSED)
		TAILQ_REMOVE(&t->closed, e, closed);
	if (s == WHOLE_CLOSED)
		TAILQ_INSERT_TAIL(&t->closed, e, closed);
	e->state = (uint8_t)s;
	e->since_ms = now_ms;
	return 1;
}

/* Everything beneath the directory dir ("/a/d/", n bytes): gone. */
static void
gone_beneath(struct whole_table *t, const char *dir, size_t n, int64_t now_ms)
{
	struct lru_node *p;
	struct tentry *e;

	for (p = lru_next(&t->table, NULL); p != NULL;
	    p = lru_next(&t->table, p)) {
		e = LRU_ENTRY(p, struct tentry, node);
		if (e->len > n && memcmp(e->path, dir, n) == 0)
			(void)set_state(t, e, WHOLE_GONE, now_ms);
	}
}

int
whole_table_event(struct whole_table *t, const char *path, size_t len,
    enum whole_event ev, int64_t now_ms)
{
	char dir[4096];
	struct tentry *e;
	int isnew;

	if (ev == WHOLE_EV_DIR_GONE) {
		if (len + 2 > sizeof(dir))
			return 0;
		memcpy(dir, path, len);
		dir[len++] = '/';
		gone_beneath(t, dir, len, now_ms);
		path = dir;
	}
	isnew = find(t, path, len) == NULL;
	if ((e = get(t, path, len, now_ms)) == NULL) {
		whole_table_clear(t);
		return -1;
	}
	switch (ev) {
	case WHOLE_EV_MODIFY:
	case WHOLE_EV_CREATE:
		return set_state(t, e, WHOLE_WRITING, now_ms) | isnew;
	case WHOLE_EV_ATTRIB:
		/* Metadata alone: a file being written stays so. */
		if (e->state == WHOLE_WRITING)
			return isnew;
		/* FALLTHROUGH */
	case WHOLE_EV_CLOSE:
	case WHOLE_EV_MOVED_IN:
		/* Whole (again): its stat is taken after the events read. */
		return set_state(t, e, WHOLE_CLOSED, now_ms) | isnew;
	case WHOLE_EV_GONE:
	case WHOLE_EV_DIR_GONE:
		return set_state(t, e, WHOLE_GONE, now_ms) | isnew;
	}
	return 0;
}

size_t
whole_table_confirm(struct whole_table *t,
    int (*fn)(void *, const char *, struct whole_key *), void *arg,
    int64_t now_ms)
{
	struct tentry *e, *next;
	struct whole_key key;
	size_t left = 0;

	for (e = TAILQ_FIRST(&t->closed); e != NULL; e = next) {
		next = TAILQ_NEXT(e, closed);
		switch (fn(arg, e->path, &key)) {
		case 1:
			e->key = key;
			(void)set_state(t, e, WHOLE_OK, now_ms);
			break;
		case -1:
			(void)set_state(t, e, WHOLE_GONE, now_ms);
			break;
		default:
			left++;
		}
	}
	return left;
}

size_t
whole_table_prune(struct whole_table *t, int64_t now_ns, int64_t now_ms)
{
	int64_t bound_ns = (WHOLE_BOUND_MS + 1000) * NS_PER_MS;
	struct lru_node *p, *next;
	struct tentry *e;
	size_t gone = 0;
	int drop;

	for (p = lru_next(&t->table, NULL); p != NULL; p = next) {
		next = lru_next(&t->table, p);
		e = LRU_ENTRY(p, struct tentry, node);
		drop = (e->state == WHOLE_OK &&
		    now_ns - e->key.ctime_ns > bound_ns &&
		    now_ms - e->since_ms > WHOLE_BOUND_MS) ||
		    (e->state == WHOLE_GONE &&
		    now_ms - e->since_ms > WHOLE_BOUND_MS + 1000);
		if (!drop)
			continue;
		lru_remove(&t->table, p);
		free(e);
		gone++;
	}
	return gone;
}

int
whole_table_lookup(const struct whole_table *t, const char *path, size_t len,
    int64_t *since_ms)
{
	struct tentry *e;
	size_t i;

	if ((e = find(t, path, len)) == NULL)
		for (i = 1; i < len && e == NULL; i++)
			if (path[i] == '/' && (e = find(t, path, i + 1)) !=
			    NULL && e->state != WHOLE_GONE)
				e = NULL;
	if (e == NULL || e->state == STATE_NEW)
		return -1;
	*since_ms = e->since_ms;
	return e->state;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct whole_entry *)a)->path,
	    ((const struct whole_entry *)b)->path);
}

struct whole_view *
whole_table_view(const struct whole_table *t)
{
	size_t n = lru_count(&t->table), bytes = 0, i = 0;
	struct whole_entry *out;
	struct whole_view *v;
	struct lru_node *p;
	struct tentry *e;
	char *s;

	for (p = lru_next(&t->table, NULL); p != NULL;
	    p = lru_next(&t->table, p))
		bytes += LRU_ENTRY(p, struct tentry, node)->len + 1;
	if ((v = malloc(sizeof(*v) + n * sizeof(*out) + bytes)) == NULL)
		return NULL;
	out = (struct whole_entry *)(void *)(v + 1);
	s = (char *)(out + n);
	for (p = lru_next(&t->table, NULL); p != NULL;
	    p = lru_next(&t->table, p)) {
		e = LRU_ENTRY(p, struct tentry, node);
		memcpy(s, e->path, e->len + 1);
		out[i].path = s;
		out[i].len = e->len;
		out[i].state = e->state;
		out[i].since_ms = e->since_ms;
		out[i].key = e->key;
		s += e->len + 1;
		i++;
	}
	qsort(out, n, sizeof(*out), entry_cmp);
	v->n = n;
	v->entries = out;
	v->retired = NULL;
	return v;
}

void
whole_view_free(struct whole_view *v)
{
	free(v);
}

/* The first entry not before path[0..len), as strcmp orders them. */
static size_t
lower_bound(const struct whole_view *v, const char *path, size_t len)
{
	size_t lo = 0, hi = v->n, mid, m;
	const struct whole_entry *e;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		e = &v->entries[mid];
		m = e->len < len ? e->len : len;
		if ((c = memcmp(e->path, path, m)) == 0)
			c = e->len < len ? -1 : e->len > len ? 1 : 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct whole_entry *
exact(const struct whole_view *v, const char *path, size_t len)
{
	size_t i = lower_bound(v, path, len);

	if (i < v->n && v->entries[i].len == len &&
	    memcmp(v->entries[i].path, path, len) == 0)
		return &v->entries[i];
	return NULL;
}

const struct whole_entry *
whole_view_lookup(const struct whole_view *v, const char *path, size_t len)
{
	const struct whole_entry *e;
	size_t i;

	if (v == NULL || v->n == 0)
		return NULL;
	if ((e = exact(v, path, len)) != NULL)
		return e;
	/* A directory above it, removed: "/a/", then "/a/b/". */
	for (i = 1; i < len; i++)
		if (path[i] == '/' && (e = exact(v, path, i + 1)) != NULL &&
		    e->state == WHOLE_GONE)
			return e;
	return NULL;
}

void
whole_view_in_dir(const struct whole_view *v, const char *dirpath,
    void (*fn)(void *, const struct whole_entry *, const char *, size_t),
    void *arg)
{
	size_t n = strlen(dirpath), i, rest;
	const struct whole_entry *e;
	const char *name, *slash;

	if (v == NULL)
		return;
	for (i = lower_bound(v, dirpath, n); i < v->n; i++) {
		e = &v->entries[i];
		if (e->len < n || memcmp(e->path, dirpath, n) != 0)
			break;
		name = e->path + n;
		rest = e->len - n;
		slash = memchr(name, '/', rest);
		if (rest > 0 && (slash == NULL || slash == name + rest - 1))
			fn(arg, e, name, rest);
	}
}

void
whole_key_of(const struct stat *st, struct whole_key *k)
{
	k->dev = (uint64_t)st->st_dev;
	k->ino = (uint64_t)st->st_ino;
	k->size = (int64_t)st->st_size;
	k->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL +
	    st->st_mtim.tv_nsec;
	k->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000LL +
	    st->st_ctim.tv_nsec;
}

int
whole_key_same(const struct whole_key *a, const struct whole_key *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

int
whole_settled(int64_t ctime_ns, const struct whole_now *now)
{
	int64_t bound = WHOLE_BOUND_MS * NS_PER_MS;

	/* Stamped far ahead: the clock went back; nothing to reason on. */
	return now->rt_ns - ctime_ns > bound || ctime_ns - now->rt_ns > bound;
}

/*
 * A file that exists: whole, being written, or not known yet.  After an
 * ask was answered, what the view cannot explain (a version it has no
 * event for: changed through a name not watched) is judged as if the
 * view had nothing on it.
 */
static enum whole_verdict
judge_file(const struct whole_entry *e, const struct whole_key *b,
    int fresh, int synced, const struct whole_now *now)
{
	if (e == NULL)
		return fresh ? WHOLE_TRUSTED : WHOLE_ASK;
	switch (e->state) {
	case WHOLE_OK:
		if (!fresh)
			return WHOLE_ASK;
		return whole_key_same(&e->key, b) || synced ? WHOLE_TRUSTED :
		    WHOLE_ASK;
	case WHOLE_WRITING:
		if (now->mono_ms - e->since_ms > WHOLE_BOUND_MS)
			return WHOLE_AS_IS;
		/* Its close may be on its way: asked first, then believed. */
		return synced ? WHOLE_BEING_WRITTEN : WHOLE_ASK;
	case WHOLE_GONE:
		/* Made again: its creation not seen yet, or never to be. */
		return synced && fresh ? WHOLE_TRUSTED : WHOLE_ASK;
	default:
		return WHOLE_ASK;	/* its stat is being taken */
	}
}

/*
 * A file not found: really missing, or removed to be written again.  One
 * the view says changed lately and not removed is, once asked: its
 * removal is not seen yet (a checkout between removing and writing it
 * again), or was made through another name; the view forgets it after
 * the bound.
 */
static enum whole_verdict
judge_missing(const struct whole_entry *e, int fresh, int synced,
    const struct whole_now *now)
{
	if (e == NULL)
		return fresh || synced ? WHOLE_MISSING : WHOLE_ASK;
	if (e->state != WHOLE_GONE)
		return synced ? WHOLE_BEING_WRITTEN : WHOLE_ASK;
	return now->mono_ms - e->since_ms > WHOLE_BOUND_MS ? WHOLE_MISSING :
	    WHOLE_BEING_WRITTEN;
}

enum whole_verdict
whole_judge(const struct whole_sight *sight, const char *path, size_t len,
    const struct whole_key *b, const struct whole_key *dir,
    const struct whole_now *now)
{
	const struct whole_key *k = b != NULL ? b : dir;
	const struct whole_entry *e;
	int fresh;

	if (k == NULL || whole_settled(k->ctime_ns, now))
		return b != NULL ? WHOLE_SETTLED : WHOLE_MISSING;
	if (sight->view == NULL)
		return b != NULL ? WHOLE_UNWATCHED : WHOLE_MISSING;
	e = whole_view_lookup(sight->view, path, len);
	/* Where nothing is watched, nothing is known of it. */
	if (e == NULL && sight->partial)
		return b != NULL ? WHOLE_UNWATCHED : WHOLE_MISSING;
	/* Every change made before its stat is in the view. */
	fresh = k->ctime_ns < sight->sync_ns - now->margin_ns;
	if (b != NULL)
		return judge_file(e, b, fresh, sight->synced, now);
	return judge_missing(e, fresh, sight->synced, now);
}
