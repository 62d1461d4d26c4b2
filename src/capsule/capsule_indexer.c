/*
 * The capsule service's thread: walks the capsule (the checker's walk),
 * builds the index, watches every directory with inotify, and after each
 * batch of changes (a short quiet time) reindexes the files changed since
 * the full index into a small second segment, publishing a new snapshot.
 */
#include <sys/inotify.h>
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
#include "log.h"
#include "search_index.h"

#define INDEX_FILE_MAX	(16 * 1024 * 1024)	/* text read; larger: name */
#define QUIET_MS	100	/* a batch ends after this without event, */
#define BATCH_MS	500	/* or this long after it began */
#define RECLAIM_MS	200	/* the next try to free old snapshots */
#define DIRTY_MAX	2000	/* files changed since the full index */
#define RETRY_MS	5000	/* after running out of memory */
#define WATCH_MASK	(IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | \
			IN_DELETE | IN_CREATE | IN_ATTRIB | IN_ONLYDIR | \
			IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define TEST_DELAY_ENV	"ATTACHE_TEST_INDEX_DELAY_MS"

struct watch {
	int	 wd;
	char	*dir;			/* "/" or "/a/b/" */
};

struct indexer {
	const struct indexer_env *env;
	int			 ifd;		/* inotify, or -1 */
	struct watch		*watches;	/* sorted by wd */
	size_t			 nwatches, capwatches;
	int			 watch_said;	/* a failure was logged */
	struct index_segment	*base;		/* the full index */
	char			**dirty;	/* paths changed since */
	size_t			 ndirty, capdirty;
	size_t			 batch;		/* of them, in this batch */
	int			 pending;	/* a batch is under way */
	long			 first_ms, last_ms;
	int			 full;		/* a full walk is due */
	struct index_builder	*b;
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
stopped(const struct indexer *ix)
{
	return atomic_load(ix->env->stop) != 0;
}

/* Adds the file open at fd (taken), at path, to the builder. */
static int
index_fd(struct index_builder *b, int fd, const char *path)
{
	const char *name = strrchr(path, '/') + 1, *why;
	struct stat st;
	size_t len = 0;
	char *text = NULL;
	int r;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	/* Too large to read: by its name, as other files. */
	if (index_kind_of(name, strlen(name)) != INDEX_NAME)
		text = capsule_read_file(fd, INDEX_FILE_MAX, &len, &why);
	close(fd);
	r = index_builder_add(b, path, (int64_t)st.st_mtim.tv_sec, text, len);
	if (r == 0)
		index_builder_identify(b, (uint64_t)st.st_dev,
		    (uint64_t)st.st_ino);
	free(text);
	return r;
}

static struct watch *
watch_find(struct indexer *ix, int wd)
{
	size_t lo = 0, hi = ix->nwatches, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ix->watches[mid].wd == wd)
			return &ix->watches[mid];
		if (ix->watches[mid].wd < wd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
watch_remove(struct indexer *ix, int wd)
{
	struct watch *w = watch_find(ix, wd);
	size_t i;

	if (w == NULL)
		return;
	i = (size_t)(w - ix->watches);
	free(w->dir);
	memmove(w, w + 1, (ix->nwatches - i - 1) * sizeof(*w));
	ix->nwatches--;
}

/*
 * Watches the directory whose capsule path is dir, by its full name: no
 * /proc needed, and nothing the confinement to the capsules forbids.
 */
static void
watch_add(struct indexer *ix, const char *dir)
{
	char full[PATH_MAX], *copy;
	struct watch *w;
	size_t i;
	int wd;

	if (ix->ifd == -1 || snprintf(full, sizeof(full), "%s%s",
	    ix->env->name, dir) >= (int)sizeof(full))
		return;
	if ((wd = inotify_add_watch(ix->ifd, full, WATCH_MASK)) == -1) {
		if (!ix->watch_said)
			log_warn("capsule %s: cannot watch %s for changes: %s%s",
			    ix->env->name, dir, strerror(errno), errno ==
			    ENOSPC ? " (see fs.inotify.max_user_watches)" : "");
		ix->watch_said = 1;
		return;
	}
	if ((copy = strdup(dir)) == NULL)
		return;
	if ((w = watch_find(ix, wd)) != NULL) {	/* moved: its new name */
		free(w->dir);
		w->dir = copy;
		return;
	}
	if (ix->nwatches == ix->capwatches) {
		i = ix->capwatches ? ix->capwatches * 2 : 64;
		if ((w = reallocarray(ix->watches, i, sizeof(*w))) == NULL) {
			free(copy);
			return;
		}
		ix->watches = w;
		ix->capwatches = i;
	}
	for (i = ix->nwatches; i > 0 && ix->watches[i - 1].wd > wd; i--)
		ix->watches[i] = ix->watches[i - 1];
	ix->watches[i].wd = wd;
	ix->watches[i].dir = copy;
	ix->nwatches++;
}

static int
walk_dir(void *arg, int fd, const char *path)
{
	struct indexer *ix = arg;

	(void)fd;
	if (stopped(ix))
		return -1;
	watch_add(ix, path);
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
	if (capsule_name_reserved(name, strlen(name)))
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return 0;
	return index_fd(ix->b, fd, path);
}

static void
dirty_clear(struct indexer *ix)
{
	while (ix->ndirty > 0)
		free(ix->dirty[--ix->ndirty]);
	ix->batch = 0;
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

/* The whole capsule walked and indexed again: 0, or -1. */
static int
full_build(struct indexer *ix)
{
	struct capsule_walker w = { ix, walk_dir, walk_file, NULL, NULL };
	struct index_segment *seg;
	long t0 = now_ms();

	ix->watch_said = 0;
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
	dirty_clear(ix);
	ix->full = 0;
	publish(ix, NULL, NULL);
	/*
	 * The build's scratch (per-word buffers, file texts) is freed now:
	 * give it back to the system rather than keep it for the next build.
	 */
#ifndef ATTACHE_SANITIZED
	(void)malloc_trim(0);
#endif
	log_info("capsule %s: indexed %zu files (%zu pages) in %ld ms; the "
	    "index takes %zu KB", ix->env->name, seg->ndocs, seg->npages,
	    now_ms() - t0, (seg->bytes + 1023) / 1024);
	return 0;
}

static void
mark(struct indexer *ix, const char *path)
{
	char **d, *copy;
	size_t cap;

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

static int
mark_file(void *arg, int dirfd, const char *name, const char *path,
    const struct stat *st)
{
	(void)dirfd;
	(void)st;
	if (!capsule_name_reserved(name, strlen(name)))
		mark(arg, path);
	return 0;
}

/* A directory created or moved in: watched, its files changed. */
static void
new_dir(struct indexer *ix, const char *path)
{
	struct capsule_walker w = { ix, walk_dir, mark_file, NULL, NULL };
	char dir[PATH_MAX];
	int fd;

	if (snprintf(dir, sizeof(dir), "%s/", path) >= (int)sizeof(dir) ||
	    (fd = capsule_open_plain(ix->env->cap, path, O_RDONLY |
	    O_DIRECTORY)) == -1)
		return;
	(void)capsule_walk(&w, fd, dir);
	close(fd);
}

/* A directory deleted or moved out: what was under it, changed. */
static void
gone_dir(struct indexer *ix, const char *path)
{
	char dir[PATH_MAX];
	size_t i, first, last, n;

	if (snprintf(dir, sizeof(dir), "%s/", path) >= (int)sizeof(dir))
		return;
	n = strlen(dir);
	for (i = 0; i < ix->nwatches; )
		if (strncmp(ix->watches[i].dir, dir, n) == 0) {
			(void)inotify_rm_watch(ix->ifd, ix->watches[i].wd);
			watch_remove(ix, ix->watches[i].wd);
		} else
			i++;
	if (ix->base == NULL)
		return;
	index_docs_under(ix->base, dir, &first, &last);
	for (i = first; i < last; i++)
		mark(ix, ix->base->docs[ix->base->by_path[i]].path);
}

static void
handle(struct indexer *ix, const struct inotify_event *ev)
{
	char path[PATH_MAX];
	struct watch *w;

	if (ev->mask & IN_Q_OVERFLOW) {
		ix->full = 1;
		return;
	}
	if (ev->mask & IN_IGNORED) {
		watch_remove(ix, ev->wd);
		return;
	}
	/* Dotfiles are never served, nor indexed. */
	if (ev->len == 0 || ev->name[0] == '.' ||
	    (w = watch_find(ix, ev->wd)) == NULL ||
	    snprintf(path, sizeof(path), "%s%s", w->dir, ev->name) >=
	    (int)sizeof(path) - 1)
		return;
	if (ev->mask & IN_ISDIR) {
		if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
			gone_dir(ix, path);
		if (ev->mask & (IN_CREATE | IN_MOVED_TO))
			new_dir(ix, path);
	} else if (!capsule_name_reserved(ev->name, strlen(ev->name)))
		mark(ix, path);
}

static void
read_events(struct indexer *ix)
{
	char buf[16384]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	size_t batch;
	ssize_t n;
	char *p;
	int full;

	for (;;) {
		n = read(ix->ifd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		batch = ix->batch;
		full = ix->full;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			handle(ix, ev);
		}
		/* Only what changes the index starts or extends a batch. */
		if (ix->batch == batch && ix->full == full)
			continue;
		if (!ix->pending)
			ix->first_ms = now_ms();
		ix->pending = 1;
		ix->last_ms = now_ms();
	}
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
	ix->first_ms = ix->last_ms = now_ms() + RETRY_MS;
}

/* The files changed since the full index, indexed again on their own. */
static void
apply(struct indexer *ix)
{
	struct index_builder *b;
	struct index_segment *changes;
	unsigned char *dead;
	size_t i, o;
	long t0 = now_ms(), d;
	int fd;

	ix->pending = 0;
	if (ix->full || ix->base == NULL || ix->ndirty > DIRTY_MAX) {
		if (full_build(ix) == -1 && !stopped(ix))
			retry_later(ix);
		return;
	}
	qsort(ix->dirty, ix->ndirty, sizeof(*ix->dirty), path_cmp);
	for (i = o = 0; i < ix->ndirty; i++)
		if (o > 0 && strcmp(ix->dirty[o - 1], ix->dirty[i]) == 0)
			free(ix->dirty[i]);
		else
			ix->dirty[o++] = ix->dirty[i];
	ix->ndirty = o;
	ix->batch = 0;
	if ((b = index_builder_new(ix->env->words)) == NULL ||
	    (dead = calloc(ix->base->ndocs / 8 + 1, 1)) == NULL) {
		index_builder_free(b);
		retry_later(ix);
		return;
	}
	for (i = 0; i < ix->ndirty; i++) {
		if ((d = index_doc_by_path(ix->base, ix->dirty[i])) != -1)
			dead[d / 8] |= (unsigned char)(1u << (d % 8));
		fd = capsule_open_plain(ix->env->cap, ix->dirty[i], O_RDONLY |
		    O_NONBLOCK);
		if (fd != -1 && index_fd(b, fd, ix->dirty[i]) == -1)
			break;
	}
	if (i < ix->ndirty || (changes = index_builder_finish(b)) == NULL) {
		if (i < ix->ndirty)
			index_builder_free(b);
		free(dead);
		retry_later(ix);
		return;
	}
	publish(ix, changes, dead);
	log_info("capsule %s: reindexed in %ld ms the %zu file%s changed "
	    "since the full index", ix->env->name, now_ms() - t0, ix->ndirty,
	    ix->ndirty == 1 ? "" : "s");
}

/* Before the first walk, when a test asks for it: "not ready" is seen. */
static void
test_delay(struct indexer *ix)
{
	const char *v = getenv(TEST_DELAY_ENV);
	struct pollfd pfd = { ix->env->wakefd, POLLIN, 0 };
	long end;

	if (v == NULL)
		return;
	end = now_ms() + strtol(v, NULL, 10);
	while (!stopped(ix) && now_ms() < end)
		(void)poll(&pfd, 1, (int)(end - now_ms()));
}

/* Milliseconds poll may wait: until the batch is due, or forever. */
static int
wait_ms(const struct indexer *ix, int retired)
{
	long due, left = -1;

	if (ix->pending || ix->full) {
		due = ix->last_ms + QUIET_MS;
		if (ix->first_ms + BATCH_MS < due)
			due = ix->first_ms + BATCH_MS;
		left = due - now_ms();
		if (left < 0)
			left = 0;
	}
	if (retired && (left == -1 || left > RECLAIM_MS))
		left = RECLAIM_MS;
	return (int)left;
}

void
indexer_run(const struct indexer_env *env)
{
	struct indexer ix;
	struct pollfd pfd[2];
	uint64_t v;
	int retired = 0;

	memset(&ix, 0, sizeof(ix));
	ix.env = env;
	if ((ix.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		log_warn("capsule %s: cannot watch for changes: %s; the index "
		    "is built once", env->name, strerror(errno));
	test_delay(&ix);
	if (!stopped(&ix) && full_build(&ix) == -1)
		retry_later(&ix);
	while (!stopped(&ix)) {
		pfd[0].fd = env->wakefd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ix.ifd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, ix.ifd != -1 ? 2 : 1, wait_ms(&ix, retired)) ==
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
		if (pfd[1].revents & POLLIN)
			read_events(&ix);
		if ((ix.pending || ix.full) && wait_ms(&ix, 0) == 0)
			apply(&ix);
		retired = env->reclaim(env->service);
	}
	dirty_clear(&ix);
	free(ix.dirty);
	while (ix.nwatches > 0)
		free(ix.watches[--ix.nwatches].dir);
	free(ix.watches);
	index_segment_unref(ix.base);
	if (ix.ifd != -1)
		close(ix.ifd);
}
