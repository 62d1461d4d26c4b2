/*
 * The capsule service's watch: inotify on every directory of the capsule,
 * the table of files being written it keeps from the events, and the
 * changes it hands to the index.
 *
 * Why IN_MODIFY: it is the only sign of a file written in place (truncated,
 * then written) or created and not closed yet; IN_CLOSE_WRITE says it is
 * whole again.  Not IN_OPEN: every request's own open would wake the
 * thread.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capsule_walk.h"
#include "capsule_watch.h"
#include "clock.h"
#include "log.h"

#define WATCH_MASK	(IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | \
			IN_MOVED_TO | IN_DELETE | IN_CREATE | IN_ATTRIB | \
			IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define PRUNE_MS	500	/* the table is pruned at most this often */
/* For the test of the watch limit: watches past this many fail. */
#define TEST_WATCH_MAX_ENV	"ATTACHE_TEST_WATCH_MAX"

struct watch {
	int	 wd;
	char	*dir;			/* "/" or "/a/b/" */
};

struct capsule_watch {
	const struct capsule	*cap;
	const char		*name;		/* the capsule's real path */
	int			 ifd;		/* inotify, or -1 */
	struct watch		*watches;	/* sorted by wd */
	size_t			 nwatches, capwatches;
	int			 partial;	/* some directory unwatched */
	struct whole_table	*table;
	int			 changed;	/* since the last view */
	int64_t			 pruned_ms;
	int64_t			 margin_ns;
	int64_t			 due_ns;	/* the next confirm, or 0 */
	const struct watch_ops	*ops;		/* of the read under way */
	atomic_int		*stop;		/* of the walk under way */
	long			 test_max;	/* TEST_WATCH_MAX_ENV, or -1 */
};

struct capsule_watch *
capsule_watch_new(const struct capsule *cap, const char *name,
    int64_t margin_ns)
{
	struct capsule_watch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->table = whole_table_new()) == NULL) {
		free(w);
		return NULL;
	}
	w->cap = cap;
	w->name = name;
	w->margin_ns = margin_ns;
	w->changed = 1;
	w->test_max = getenv(TEST_WATCH_MAX_ENV) != NULL ?
	    strtol(getenv(TEST_WATCH_MAX_ENV), NULL, 10) : -1;
	if ((w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		w->partial = 1;
		log_warn("capsule %s: cannot watch for changes: %s; the index "
		    "is built once, and a file being written is checked by "
		    "its size and times alone%s", name, strerror(errno),
		    errno == EMFILE ? " (see fs.inotify.max_user_instances)" :
		    "");
	}
	return w;
}

void
capsule_watch_free(struct capsule_watch *w)
{
	if (w == NULL)
		return;
	while (w->nwatches > 0)
		free(w->watches[--w->nwatches].dir);
	free(w->watches);
	whole_table_free(w->table);
	if (w->ifd != -1)
		close(w->ifd);
	free(w);
}

int
capsule_watch_fd(const struct capsule_watch *w)
{
	return w->ifd;
}

int
capsule_watch_partial(const struct capsule_watch *w)
{
	return w->partial;
}

const struct whole_table *
capsule_watch_table(const struct capsule_watch *w)
{
	return w->table;
}

static struct watch *
watch_find(struct capsule_watch *w, int wd)
{
	size_t lo = 0, hi = w->nwatches, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->watches[mid].wd == wd)
			return &w->watches[mid];
		if (w->watches[mid].wd < wd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The watch of the directory dir, if it has one (a directory moved keeps
 * its watch: inotify_add_watch gives it its new name). */
static struct watch *
watch_find_dir(struct capsule_watch *w, const char *dir)
{
	size_t i;

	for (i = 0; i < w->nwatches; i++)
		if (strcmp(w->watches[i].dir, dir) == 0)
			return &w->watches[i];
	return NULL;
}

static void
watch_remove(struct capsule_watch *w, int wd)
{
	struct watch *p = watch_find(w, wd);
	size_t i;

	if (p == NULL)
		return;
	i = (size_t)(p - w->watches);
	free(p->dir);
	memmove(p, p + 1, (w->nwatches - i - 1) * sizeof(*p));
	w->nwatches--;
}

/* The limit on watches reached: said once per walk, with what it means. */
static void
watch_failed(struct capsule_watch *w, const char *dir, int err)
{
	if (!w->partial)
		log_warn("capsule %s: cannot watch %s for changes: %s; files "
		    "there being written are checked by their size and times "
		    "alone%s", w->name, dir, strerror(err), err == ENOSPC ?
		    " (raise fs.inotify.max_user_watches)" : "");
	w->partial = 1;
}

void
capsule_watch_dir(struct capsule_watch *w, const char *dir)
{
	char full[PATH_MAX], *copy;
	struct watch *p;
	size_t i;
	int wd;

	if (w->ifd == -1 || snprintf(full, sizeof(full), "%s%s", w->name,
	    dir) >= (int)sizeof(full))
		return;
	if (w->test_max >= 0 && w->nwatches >= (size_t)w->test_max &&
	    watch_find_dir(w, dir) == NULL) {
		watch_failed(w, dir, ENOSPC);
		return;
	}
	if ((wd = inotify_add_watch(w->ifd, full, WATCH_MASK)) == -1) {
		watch_failed(w, dir, errno);
		return;
	}
	if ((copy = strdup(dir)) == NULL)
		return;
	if ((p = watch_find(w, wd)) != NULL) {	/* moved: its new name */
		free(p->dir);
		p->dir = copy;
		return;
	}
	if (w->nwatches == w->capwatches) {
		i = w->capwatches ? w->capwatches * 2 : 64;
		if ((p = reallocarray(w->watches, i, sizeof(*p))) == NULL) {
			free(copy);
			return;
		}
		w->watches = p;
		w->capwatches = i;
	}
	for (i = w->nwatches; i > 0 && w->watches[i - 1].wd > wd; i--)
		w->watches[i] = w->watches[i - 1];
	w->watches[i].wd = wd;
	w->watches[i].dir = copy;
	w->nwatches++;
}

/* The table's event; a full table starts again, as after an overflow. */
static void
table_event(struct capsule_watch *w, const char *path, enum whole_event ev)
{
	int r = whole_table_event(w->table, path, strlen(path), ev,
	    clock_ms());

	if (r == -1)
		log_warn("capsule %s: more than %d files changing at once, or "
		    "out of memory: files being written are checked by their "
		    "size and times alone until they are closed", w->name,
		    WHOLE_TABLE_MAX);
	if (r != 0)
		w->changed = 1;
}

static int
walk_dir(void *arg, int fd, const char *path)
{
	struct capsule_watch *w = arg;

	(void)fd;
	if (w->stop != NULL && atomic_load(w->stop))
		return -1;
	capsule_watch_dir(w, path);
	return 0;
}

static int
walk_file(void *arg, int dirfd, const char *name, const char *path,
    const struct stat *st)
{
	(void)arg;
	(void)dirfd;
	(void)name;
	(void)path;
	(void)st;
	return 0;
}

int
capsule_watch_all(struct capsule_watch *w, atomic_int *stop)
{
	struct capsule_walker walker = { w, walk_dir, walk_file, NULL, NULL };
	int r;

	w->stop = stop;
	r = capsule_walk(&walker, w->cap->rootfd, "/");
	w->stop = NULL;
	return r;
}

/*
 * A file in a directory just made or moved in: whole, as far as can be
 * told (its writes before the watch were not seen), and new to the index.
 */
static int
new_file(void *arg, int dirfd, const char *name, const char *path,
    const struct stat *st)
{
	struct capsule_watch *w = arg;

	(void)dirfd;
	(void)st;
	table_event(w, path, WHOLE_EV_MOVED_IN);
	if (w->ops != NULL && !capsule_name_reserved(name, strlen(name)))
		w->ops->file(w->ops->arg, path);
	return 0;
}

/* A directory created or moved in: watched, and what is in it. */
static void
new_dir(struct capsule_watch *w, const char *path)
{
	struct capsule_walker walker = { w, walk_dir, new_file, NULL, NULL };
	char dir[PATH_MAX];
	int fd;

	if (snprintf(dir, sizeof(dir), "%s/", path) >= (int)sizeof(dir) ||
	    (fd = capsule_open_plain(w->cap, path, O_RDONLY |
	    O_DIRECTORY)) == -1)
		return;
	(void)capsule_walk(&walker, fd, dir);
	close(fd);
}

/* A directory deleted or moved out: its watches, and all beneath it. */
static void
gone_dir(struct capsule_watch *w, const char *path)
{
	char dir[PATH_MAX];
	size_t i, n;

	if (snprintf(dir, sizeof(dir), "%s/", path) >= (int)sizeof(dir))
		return;
	n = strlen(dir);
	for (i = 0; i < w->nwatches; )
		if (strncmp(w->watches[i].dir, dir, n) == 0) {
			(void)inotify_rm_watch(w->ifd, w->watches[i].wd);
			watch_remove(w, w->watches[i].wd);
		} else
			i++;
	table_event(w, path, WHOLE_EV_DIR_GONE);
	if (w->ops != NULL)
		w->ops->dir_gone(w->ops->arg, path);
}

/*
 * A file made: being written until closed, unless it is not a regular
 * file or a second name of one (a link is whole at once).
 */
static enum whole_event
created(struct capsule_watch *w, const char *path)
{
	struct stat st;

	if (fstatat(w->cap->rootfd, path + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (!S_ISREG(st.st_mode) || st.st_nlink > 1))
		return WHOLE_EV_MOVED_IN;
	return WHOLE_EV_CREATE;
}

/* What an event on a file (not a directory) means for the table. */
static void
file_event(struct capsule_watch *w, const char *path, uint32_t mask)
{
	if (mask & (IN_DELETE | IN_MOVED_FROM))
		table_event(w, path, WHOLE_EV_GONE);
	if (mask & IN_CREATE)
		table_event(w, path, created(w, path));
	if (mask & IN_MODIFY)
		table_event(w, path, WHOLE_EV_MODIFY);
	if (mask & IN_ATTRIB)
		table_event(w, path, WHOLE_EV_ATTRIB);
	if (mask & IN_CLOSE_WRITE)
		table_event(w, path, WHOLE_EV_CLOSE);
	if (mask & IN_MOVED_TO)
		table_event(w, path, WHOLE_EV_MOVED_IN);
}

static void
handle(struct capsule_watch *w, const struct inotify_event *ev)
{
	char path[PATH_MAX];
	struct watch *p;

	if (ev->mask & IN_Q_OVERFLOW) {
		/* Events lost: what was being written is not known now. */
		whole_table_clear(w->table);
		w->changed = 1;
		if (w->ops != NULL)
			w->ops->overflow(w->ops->arg);
		return;
	}
	if (ev->mask & IN_IGNORED) {
		watch_remove(w, ev->wd);
		return;
	}
	/* Dotfiles are never served, nor indexed. */
	if (ev->len == 0 || ev->name[0] == '.' ||
	    (p = watch_find(w, ev->wd)) == NULL ||
	    snprintf(path, sizeof(path), "%s%s", p->dir, ev->name) >=
	    (int)sizeof(path) - 1)
		return;
	if (ev->mask & IN_ISDIR) {
		if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
			gone_dir(w, path);
		if (ev->mask & (IN_CREATE | IN_MOVED_TO))
			new_dir(w, path);
		return;
	}
	file_event(w, path, ev->mask);
	/* The index takes a change once it is complete. */
	if (w->ops != NULL && (ev->mask & ~(uint32_t)IN_MODIFY) != 0 &&
	    !capsule_name_reserved(ev->name, strlen(ev->name)))
		w->ops->file(w->ops->arg, path);
}

/* When a file closed is looked at again, while it is open for writing. */
#define BUSY_NS		5000000LL

static void
confirm_later(struct capsule_watch *w, int64_t at)
{
	if (w->due_ns == 0 || at < w->due_ns)
		w->due_ns = at;
}

/*
 * The stat of a file closed: the version that is whole.  When a read
 * lease can be had, for sure once no one has the file open for writing;
 * else once it has not changed for the margin (sooner, a writer that
 * reopened it may have changed it, its event still on the way: the stat
 * would be of a part).
 */
static int
confirm_one(void *arg, const char *path, struct whole_key *k)
{
	struct capsule_watch *w = arg;
	int64_t now = clock_real_ns();
	struct stat st;
	int fd, lease = 2;

	fd = openat(w->cap->rootfd, path + 1, O_RDONLY | O_NONBLOCK |
	    O_NOFOLLOW | O_CLOEXEC);
	if ((fd == -1 && fstatat(w->cap->rootfd, path + 1, &st, 0) == -1) ||
	    (fd != -1 && fstat(fd, &st) == -1)) {
		if (fd != -1)
			close(fd);
		w->changed = 1;
		return -1;
	}
	/* Empty, it may be a file its creator has not opened yet: no lease
	 * says so, the margin does. */
	if (fd != -1 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (lease = capsule_lease(fd)) == 0)
		capsule_unlease(fd);
	if (fd != -1)
		close(fd);
	whole_key_of(&st, k);
	if (lease == 1) {
		confirm_later(w, now + BUSY_NS);
		return 0;
	}
	if (lease == 2 && k->ctime_ns > now - w->margin_ns) {
		confirm_later(w, k->ctime_ns + w->margin_ns);
		return 0;
	}
	w->changed = 1;
	return 1;
}

static void
confirm(struct capsule_watch *w)
{
	w->due_ns = 0;
	(void)whole_table_confirm(w->table, confirm_one, w,
	    clock_ms());
}

long
capsule_watch_due_ms(const struct capsule_watch *w)
{
	int64_t left;

	if (w->due_ns == 0)
		return -1;
	left = (w->due_ns - clock_real_ns()) / 1000000 + 1;
	return left < 0 ? 0 : (long)left;
}

int
capsule_watch_read(struct capsule_watch *w, const struct watch_ops *ops)
{
	char buf[16384]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	int count = 0;
	ssize_t n;
	char *p;

	if (w->ifd == -1)
		return 0;
	w->ops = ops;
	for (;;) {
		n = read(w->ifd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			handle(w, ev);
			count++;
		}
	}
	w->ops = NULL;
	confirm(w);
	return count;
}

struct whole_view *
capsule_watch_view(struct capsule_watch *w)
{
	int64_t now = clock_ms();
	struct whole_view *v;

	if (now - w->pruned_ms >= PRUNE_MS) {
		w->pruned_ms = now;
		if (whole_table_prune(w->table, clock_real_ns(),
		    now) > 0)
			w->changed = 1;
	}
	if (!w->changed || (v = whole_table_view(w->table)) == NULL)
		return NULL;
	w->changed = 0;
	return v;
}
