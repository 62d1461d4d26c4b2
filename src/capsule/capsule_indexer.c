/*
 * The capsule service's thread: watches every directory of the capsule
 * (capsule_watch.c) and publishes which files are being written, at once
 * and after every event; then, unless search and changes are both off,
 * builds the index with the checker's walk and, after each batch of
 * changes (a short quiet time), reindexes the files changed since the
 * full index into a small second segment, publishing a new snapshot.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "capsule_indexer.h"
#include "capsule_snapshot.h"
#include "capsule_walk.h"
#include "capsule_watch.h"
#include "clock.h"
#include "log.h"
#include "search_index.h"

#define INDEX_FILE_MAX	(16 * 1024 * 1024)	/* text read; larger: name */
#define QUIET_MS	100	/* a batch ends after this without event, */
#define BATCH_MS	500	/* or this long after it began */
#define RECLAIM_MS	200	/* the next try to free old snapshots */
#define DIRTY_MAX	2000	/* files changed since the full index */
#define RETRY_MS	5000	/* after running out of memory */
#define HOLD_MS		20	/* a batch waits for files being written */
#define GONE_HOLD_MS	250	/* and for files removed, this long */
#define EMPTY_NS	1000000000LL	/* see read_whole */
#define PUMP_MS		2	/* events are read this often during a build */
#define TEST_DELAY_ENV	"ATTACHE_TEST_INDEX_DELAY_MS"

struct indexer {
	const struct indexer_env *env;
	struct capsule_watch	*watch;
	struct watch_ops	 ops;		/* what events mean here */
	struct index_segment	*base;		/* the full index */
	char			**dirty;	/* paths changed since */
	size_t			 ndirty, capdirty;
	size_t			 batch;		/* of them, in this batch */
	int			 pending;	/* a batch is under way */
	long			 first_ms, last_ms;
	long			 hold_ms;	/* not before (being written) */
	long			 build_at;	/* the first build, not before */
	long			 pumped_ms;
	int			 full;		/* a full walk is due */
	struct index_builder	*b;
};

static int
stopped(const struct indexer *ix)
{
	return atomic_load(ix->env->stop) != 0;
}

/*
 * Reads the events waiting and publishes which files are being written,
 * complete up to the moment before they were read, answering the asks
 * made until then.
 */
static void
sync_pass(struct indexer *ix)
{
	const struct indexer_env *env = ix->env;
	uint64_t asked = env->asks(env->service);
	int64_t sync_ns = clock_real_ns();

	(void)capsule_watch_read(ix->watch, env->index ? &ix->ops : NULL);
	env->whole(env->service, capsule_watch_view(ix->watch), sync_ns, asked,
	    capsule_watch_partial(ix->watch));
}

/*
 * During a long build: the events and asks waiting are taken now, so that
 * readers of a file being written never wait for the index.
 */
static void
pump(struct indexer *ix)
{
	struct pollfd pfd[2];
	long now = clock_ms();
	uint64_t v;

	if (now - ix->pumped_ms < PUMP_MS)
		return;
	ix->pumped_ms = now;
	pfd[0].fd = ix->env->wakefd;
	pfd[1].fd = capsule_watch_fd(ix->watch);
	pfd[0].events = pfd[1].events = POLLIN;
	pfd[0].revents = pfd[1].revents = 0;
	if (poll(pfd, pfd[1].fd != -1 ? 2 : 1, 0) <= 0)
		return;
	/* The wakeup is drained; a failure only means another wakes us. */
	if ((pfd[0].revents & POLLIN) &&
	    read(ix->env->wakefd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warn("capsule indexer: wakeup: %s", strerror(errno));
	sync_pass(ix);
}

/*
 * Reads the text of the file open at fd (stat st) as one whole version:
 * under a read lease when one can be had (no one writes meanwhile), else
 * checking that its stat did not move.  0, 1 (being written: not now),
 * or -1.
 */
static int
read_whole(int fd, const struct stat *st, char **text, size_t *len,
    const char **why)
{
	int lease = st->st_size > 0 ? capsule_lease(fd) : 2, r;

	/*
	 * Empty and changed lately: truncated by a writer about to write, or
	 * made by one not holding it yet (a lease cannot tell): indexed once
	 * it has stayed so for a while.
	 */
	if (lease == 1 || (lease == 2 && capsule_changed_within(st, 0)) ||
	    (st->st_size == 0 && capsule_changed_within(st, EMPTY_NS)))
		return 1;
	r = capsule_read_whole(fd, st, INDEX_FILE_MAX, text, len, why);
	if (lease == 0)
		capsule_unlease(fd);
	return r;
}

/*
 * Adds the file open at fd (taken), at path, to the builder.  whole: only
 * as one version (read_whole); 1 when it is being written.
 */
static int
index_fd(struct index_builder *b, int fd, const char *path, int whole)
{
	const char *name = strrchr(path, '/') + 1, *why;
	struct stat st;
	size_t len = 0;
	char *text = NULL;
	int r = 0;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	/* Too large to read: by its name, as other files. */
	if (index_kind_of(name, strlen(name)) != INDEX_NAME) {
		if (whole && st.st_size <= INDEX_FILE_MAX)
			r = read_whole(fd, &st, &text, &len, &why);
		else
			text = capsule_read_file(fd, INDEX_FILE_MAX, &len,
			    &why);
	}
	close(fd);
	if (r == 1)
		return 1;
	r = index_builder_add(b, path, (int64_t)st.st_mtim.tv_sec, text, len);
	if (r == 0)
		index_builder_identify(b, (uint64_t)st.st_dev,
		    (uint64_t)st.st_ino);
	free(text);
	return r;
}

static int
walk_dir(void *arg, int fd, const char *path)
{
	struct indexer *ix = arg;

	(void)fd;
	if (stopped(ix))
		return -1;
	capsule_watch_dir(ix->watch, path);
	return 0;
}

static int
walk_file(void *arg, int dirfd, const char *name, const char *path,
    const struct stat *st)
{
	struct indexer *ix = arg;
	int fd;

	(void)st;
	if (stopped(ix))
		return -1;
	pump(ix);
	if (capsule_name_reserved(name, strlen(name)))
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return 0;
	return index_fd(ix->b, fd, path, 0);
}

/* Forgets the first n paths changed (the index holds them now). */
static void
dirty_drop(struct indexer *ix, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		free(ix->dirty[i]);
	memmove(ix->dirty, ix->dirty + n, (ix->ndirty - n) *
	    sizeof(*ix->dirty));
	ix->ndirty -= n;
	ix->batch = ix->ndirty;
}

static void
publish(struct indexer *ix, struct index_segment *changes,
    unsigned char *dead)
{
	struct capsule_snapshot *snap;

	snap = capsule_snapshot_new(index_segment_ref(ix->base), changes, dead,
	    ix->env->words);
	if (snap == NULL) {
		log_warn("capsule %s: out of memory for the index",
		    ix->env->name);
		return;
	}
	ix->env->publish(ix->env->service, snap);
}

/*
 * The whole capsule walked and indexed again: 0, or -1.  What changed
 * while it ran (its events are read as it goes) stays to be indexed again.
 */
static int
full_build(struct indexer *ix)
{
	struct capsule_walker w = { ix, walk_dir, walk_file, NULL, NULL };
	struct index_segment *seg;
	size_t before = ix->ndirty;
	long t0 = clock_ms();

	ix->full = 0;
	if ((ix->b = index_builder_new(ix->env->words)) == NULL ||
	    capsule_walk(&w, ix->env->cap->rootfd, "/") == -1) {
		index_builder_free(ix->b);
		ix->b = NULL;
		if (!stopped(ix))
			log_warn("capsule %s: out of memory for the index",
			    ix->env->name);
		return -1;
	}
	seg = index_builder_finish(ix->b);
	ix->b = NULL;
	if (seg == NULL) {
		log_warn("capsule %s: out of memory for the index",
		    ix->env->name);
		return -1;
	}
	index_segment_unref(ix->base);
	ix->base = seg;
	dirty_drop(ix, before);
	publish(ix, NULL, NULL);
	if (ix->ndirty > 0 && !ix->pending) {
		ix->pending = 1;
		ix->first_ms = ix->last_ms = clock_ms();
	}
	/*
	 * The build's scratch (per-word buffers, file texts) is freed now:
	 * give it back to the system rather than keep it for the next build.
	 */
#ifndef ATTACHE_SANITIZED
	(void)malloc_trim(0);
#endif
	log_info("capsule %s: indexed %zu files (%zu pages) in %ld ms; the "
	    "index takes %zu KB", ix->env->name, seg->ndocs, seg->npages,
	    clock_ms() - t0, (seg->bytes + 1023) / 1024);
	return 0;
}

/* A batch starts, or goes on: its quiet time begins again. */
static void
batch_touch(struct indexer *ix)
{
	if (!ix->pending)
		ix->first_ms = clock_ms();
	ix->pending = 1;
	ix->last_ms = clock_ms();
}

static void
mark(void *arg, const char *path)
{
	struct indexer *ix = arg;
	char **d, *copy;
	size_t cap;

	batch_touch(ix);
	if (ix->ndirty == ix->capdirty) {
		cap = ix->capdirty ? ix->capdirty * 2 : 64;
		if ((d = reallocarray(ix->dirty, cap, sizeof(*d))) == NULL) {
			ix->full = 1;
			return;
		}
		ix->dirty = d;
		ix->capdirty = cap;
	}
	if ((copy = strdup(path)) == NULL) {
		ix->full = 1;
		return;
	}
	ix->dirty[ix->ndirty++] = copy;
	ix->batch++;
}

/* A directory deleted or moved out: what the index had under it. */
static void
gone_dir(void *arg, const char *path)
{
	struct indexer *ix = arg;
	char dir[PATH_MAX];
	size_t i, first, last;

	if (ix->base == NULL || snprintf(dir, sizeof(dir), "%s/", path) >=
	    (int)sizeof(dir))
		return;
	index_docs_under(ix->base, dir, &first, &last);
	for (i = first; i < last; i++)
		mark(ix, ix->base->docs[ix->base->by_path[i]].path);
}

static void
overflow(void *arg)
{
	struct indexer *ix = arg;

	ix->full = 1;
	batch_touch(ix);
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Out of memory: a full walk, in a few seconds. */
static void
retry_later(struct indexer *ix)
{
	ix->full = 1;
	ix->first_ms = ix->last_ms = clock_ms() + RETRY_MS;
}

/*
 * 1 when some file changed is being written (the batch waits for it, as
 * long as a reader would), or was removed just now and may come back (a
 * checkout: for a moment; a page removed leaves the index within 2 s).
 */
static int
held_back(struct indexer *ix)
{
	const struct whole_table *t = capsule_watch_table(ix->watch);
	long now = clock_ms();
	int64_t since;
	size_t i;
	int state;

	if (now - ix->first_ms > WHOLE_BOUND_MS)
		return 0;
	for (i = 0; i < ix->ndirty; i++) {
		state = whole_table_lookup(t, ix->dirty[i],
		    strlen(ix->dirty[i]), &since);
		if (state == WHOLE_CLOSED || (state == WHOLE_WRITING &&
		    now - since <= WHOLE_BOUND_MS) || (state == WHOLE_GONE &&
		    now - since <= GONE_HOLD_MS))
			return 1;
	}
	return 0;
}

static void
hold(struct indexer *ix)
{
	ix->pending = 1;
	ix->hold_ms = clock_ms() + HOLD_MS;
}

/* The changed files, sorted, each once. */
static void
dirty_sort(struct indexer *ix)
{
	size_t i, o;

	qsort(ix->dirty, ix->ndirty, sizeof(*ix->dirty), path_cmp);
	for (i = o = 0; i < ix->ndirty; i++)
		if (o > 0 && strcmp(ix->dirty[o - 1], ix->dirty[i]) == 0)
			free(ix->dirty[i]);
		else
			ix->dirty[o++] = ix->dirty[i];
	ix->ndirty = o;
	ix->batch = 0;
}

/* The files changed since the full index, indexed again on their own. */
static void
apply(struct indexer *ix)
{
	struct index_builder *b;
	struct index_segment *changes;
	unsigned char *dead;
	size_t i, n;
	long t0 = clock_ms(), d;
	int fd, r = 0, whole;

	ix->pending = 0;
	if (ix->full || ix->base == NULL || ix->ndirty > DIRTY_MAX) {
		if (full_build(ix) == -1 && !stopped(ix))
			retry_later(ix);
		return;
	}
	if (held_back(ix)) {
		hold(ix);
		return;
	}
	whole = clock_ms() - ix->first_ms <= WHOLE_BOUND_MS;
	dirty_sort(ix);
	if ((b = index_builder_new(ix->env->words)) == NULL ||
	    (dead = calloc(ix->base->ndocs / 8 + 1, 1)) == NULL) {
		index_builder_free(b);
		retry_later(ix);
		return;
	}
	/* What the events read meanwhile mark waits for the next batch. */
	for (i = 0, n = ix->ndirty; i < n && r == 0; i++) {
		pump(ix);
		if ((d = index_doc_by_path(ix->base, ix->dirty[i])) != -1)
			dead[d / 8] |= (unsigned char)(1u << (d % 8));
		fd = capsule_open_plain(ix->env->cap, ix->dirty[i], O_RDONLY |
		    O_NONBLOCK);
		if (fd != -1)
			r = index_fd(b, fd, ix->dirty[i], whole);
	}
	/* One changed while read: the batch again, once it is whole. */
	if (r == 1) {
		index_builder_free(b);
		free(dead);
		hold(ix);
		return;
	}
	if (r == -1 || (changes = index_builder_finish(b)) == NULL) {
		if (r == -1)
			index_builder_free(b);
		free(dead);
		retry_later(ix);
		return;
	}
	publish(ix, changes, dead);
	log_info("capsule %s: reindexed in %ld ms the %zu file%s changed "
	    "since the full index", ix->env->name, clock_ms() - t0, n,
	    n == 1 ? "" : "s");
}

/* Milliseconds until the batch is due; -1: none is under way. */
static long
batch_ms(const struct indexer *ix)
{
	long due, left;

	if (!ix->pending && !ix->full)
		return -1;
	due = ix->last_ms + QUIET_MS;
	if (ix->first_ms + BATCH_MS < due)
		due = ix->first_ms + BATCH_MS;
	if (due < ix->hold_ms)
		due = ix->hold_ms;
	if (ix->base == NULL && due < ix->build_at)
		due = ix->build_at;
	left = due - clock_ms();
	return left < 0 ? 0 : left;
}

/*
 * Milliseconds poll may wait: until the batch is due, or a file closed
 * may be whole, or old snapshots may be freed; or forever.
 */
static int
wait_ms(const struct indexer *ix, int retired)
{
	long left = ix->env->index ? batch_ms(ix) : -1;
	long whole = capsule_watch_due_ms(ix->watch);

	if (retired && (left == -1 || left > RECLAIM_MS))
		left = RECLAIM_MS;
	if (whole != -1 && (left == -1 || left > whole))
		left = whole;
	return (int)left;
}

/* Watches the capsule, and says at once which files are being written. */
static int
watch_start(struct indexer *ix)
{
	const struct indexer_env *env = ix->env;
	uint64_t asked = env->asks(env->service);
	int64_t sync_ns = clock_real_ns();

	if ((ix->watch = capsule_watch_new(env->cap, env->name,
	    env->margin_ns)) == NULL) {
		log_warn("capsule %s: out of memory to watch it", env->name);
		return -1;
	}
	if (capsule_watch_all(ix->watch, env->stop) == -1)
		return -1;
	env->whole(env->service, capsule_watch_view(ix->watch), sync_ns,
	    asked, capsule_watch_partial(ix->watch));
	return 0;
}

void
indexer_run(const struct indexer_env *env)
{
	struct indexer ix;
	struct pollfd pfd[2];
	const char *delay;
	uint64_t v;
	int retired = 0;

	memset(&ix, 0, sizeof(ix));
	ix.env = env;
	ix.ops.arg = &ix;
	ix.ops.file = mark;
	ix.ops.dir_gone = gone_dir;
	ix.ops.overflow = overflow;
	if (watch_start(&ix) == -1)
		goto out;
	/* The first build; a test may delay it, to see "not ready". */
	if (env->index) {
		ix.full = 1;
		if ((delay = getenv(TEST_DELAY_ENV)) != NULL)
			ix.build_at = clock_ms() + strtol(delay, NULL, 10);
	}
	while (!stopped(&ix)) {
		pfd[0].fd = env->wakefd;
		pfd[1].fd = capsule_watch_fd(ix.watch);
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, pfd[1].fd != -1 ? 2 : 1, wait_ms(&ix, retired)) ==
		    -1 && errno != EINTR) {
			log_warn("capsule %s: poll: %s", env->name,
			    strerror(errno));
			break;
		}
		/* Drains the wake count.  A read that fails (EAGAIN: drained
		 * already) changes nothing: the loop looks again.  The test,
		 * not a cast, ignores its result: with _FORTIFY_SOURCE read()
		 * is warn_unused_result, which no (void) silences. */
		if ((pfd[0].revents & POLLIN) &&
		    read(env->wakefd, &v, sizeof(v)) == -1)
			v = 0;
		if (stopped(&ix))
			break;
		sync_pass(&ix);
		if (env->index && batch_ms(&ix) == 0)
			apply(&ix);
		retired = env->reclaim(env->service);
	}
out:
	dirty_drop(&ix, ix.ndirty);
	free(ix.dirty);
	index_segment_unref(ix.base);
	capsule_watch_free(ix.watch);
}
