/*
 * Which files of a capsule are whole (pure).  Editors and tools change a
 * file four ways: rename over it (whole at once), write in place
 * (truncate, then write), remove it and write a new one (a checkout), or
 * append to it (a log).  The capsule service follows the kernel's
 * notifications (inotify) and keeps here, for each file changed lately,
 * what state it is in: being written (modified or created, not closed
 * yet), removed, or closed again, with the stat(2) of the version that
 * was closed.  Requests read an immutable copy of it (a view) and judge
 * the file they opened by it (whole_judge).
 *
 * Why a stat and a clock: a notification reaches the service some time
 * after the change, and a reader may open the file meanwhile.  The view
 * says up to when it is complete (sync_ns: every change made before then
 * is in it), and a change made after a file's stat gives it a new change
 * time (ctime), unless it falls in the same tick of the clock the file
 * system stamps with: so a reader trusts a file only when its ctime is
 * older than sync_ns by more than a tick (margin_ns), and checks after
 * reading that its stat did not move (capsule_read_whole).
 */
#ifndef ATTACHE_WHOLE_TABLE_H
#define ATTACHE_WHOLE_TABLE_H

#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>

/* How long a reader waits for a file being written, and how long after
 * its last change a file is "recent" at all. */
#define WHOLE_BOUND_MS		2000

/* What the service saw happen to a path. */
enum whole_event {
	WHOLE_EV_MODIFY,	/* written to or truncated */
	WHOLE_EV_CREATE,	/* a file made: being written until closed */
	WHOLE_EV_CLOSE,		/* closed after writing: whole again */
	WHOLE_EV_MOVED_IN,	/* renamed into place: whole at once */
	WHOLE_EV_ATTRIB,	/* metadata: its stat to take again */
	WHOLE_EV_GONE,		/* removed or renamed away */
	WHOLE_EV_DIR_GONE	/* a directory removed: all beneath it */
};

enum whole_state {
	WHOLE_CLOSED,		/* whole, its stat not taken yet */
	WHOLE_OK,		/* whole: key is the version closed */
	WHOLE_WRITING,		/* being written */
	WHOLE_GONE		/* removed (a directory: "/dir/", all in it) */
};

/* What tells one version of a file from another. */
struct whole_key {
	uint64_t	 dev, ino;
	int64_t		 size;
	int64_t		 mtime_ns, ctime_ns;
};

struct whole_entry {
	const char	*path;		/* "/a/b.gmi"; a directory "/a/d/" */
	uint32_t	 len;
	uint8_t		 state;		/* enum whole_state */
	int64_t		 since_ms;	/* monotonic: the state began */
	struct whole_key key;		/* WHOLE_OK */
};

/* The service's table (one thread), and the copies it publishes. */
struct whole_table;
struct whole_view {
	size_t			 n;
	const struct whole_entry *entries;	/* sorted by path */
	struct whole_view	*retired;	/* the service's list */
};

/* Most paths followed at once: past it, the table starts again empty. */
#define WHOLE_TABLE_MAX		65536

struct whole_table *whole_table_new(void);
void	whole_table_free(struct whole_table *t);
/* Forgets everything (an inotify overflow, or more than the maximum). */
void	whole_table_clear(struct whole_table *t);
size_t	whole_table_count(const struct whole_table *t);

/*
 * What happened to path (len bytes, no trailing '/') at now_ms: 1 when
 * the table changed, 0 when not, -1 when it is full or out of memory
 * (then cleared: the caller says so and starts again).
 */
int	whole_table_event(struct whole_table *t, const char *path, size_t len,
	    enum whole_event ev, int64_t now_ms);

/*
 * Takes the stat of every path closed: fn(arg, path, key) returns 1 when
 * key is the version, whole from now on; 0 when it is not to be taken yet
 * (the path stays closed); -1 when the file is gone already.  Returns how
 * many are still closed.
 */
size_t	whole_table_confirm(struct whole_table *t,
	    int (*fn)(void *arg, const char *path, struct whole_key *key),
	    void *arg, int64_t now_ms);

/*
 * Drops what no reader needs any more: whole versions changed longer ago
 * than the bound (now_ns: the realtime clock), removals older than the
 * bound (now_ms).  Returns how many went.
 */
size_t	whole_table_prune(struct whole_table *t, int64_t now_ns,
	    int64_t now_ms);

/*
 * The state of path as the table has it (its own, else that of a
 * directory removed above it) and since when; -1 when it has none.
 */
int	whole_table_lookup(const struct whole_table *t, const char *path,
	    size_t len, int64_t *since_ms);

/* An immutable copy for readers (NULL: out of memory). */
struct whole_view *whole_table_view(const struct whole_table *t);
void	whole_view_free(struct whole_view *v);

/*
 * The entry that speaks for path: its own, else that of a directory
 * removed above it; NULL when none.
 */
const struct whole_entry *whole_view_lookup(const struct whole_view *v,
	    const char *path, size_t len);
/*
 * The entries of names directly in the directory dirpath ("/", "/a/"),
 * by calling fn for each with its name (for a directory, with its '/').
 */
void	whole_view_in_dir(const struct whole_view *v, const char *dirpath,
	    void (*fn)(void *, const struct whole_entry *, const char *name,
	    size_t len), void *arg);

void	whole_key_of(const struct stat *st, struct whole_key *k);
int	whole_key_same(const struct whole_key *a, const struct whole_key *b);

/* The clocks a judgement is made at. */
struct whole_now {
	int64_t		 rt_ns;		/* CLOCK_REALTIME_COARSE */
	int64_t		 mono_ms;	/* CLOCK_MONOTONIC */
	int64_t		 margin_ns;	/* a tick of the file times, and more */
};

enum whole_verdict {
	WHOLE_SETTLED,		/* not changed lately: as always */
	WHOLE_TRUSTED,		/* changed lately, whole now: read it and
				 * check its stat did not move */
	WHOLE_AS_IS,		/* written to for longer than the bound */
	WHOLE_BEING_WRITTEN,	/* its last whole version, or wait */
	WHOLE_ASK,		/* the service may not have seen its last
				 * change yet: ask it, and try again */
	WHOLE_UNWATCHED,	/* no notifications: read it and check */
	WHOLE_MISSING		/* not there, and not being rewritten */
};

/* What a reader sees of the service. */
struct whole_sight {
	const struct whole_view	*view;		/* NULL: nothing watched */
	int64_t			 sync_ns;	/* the view is complete up to */
	int			 partial;	/* some directory not watched */
	/*
	 * The service answered an ask made during this request, so that
	 * the view holds every event from before the request; for a file
	 * not found, an ask made after it was found missing.
	 */
	int			 synced;
};

/*
 * The verdict on the file at path whose stat is b (NULL: not found; then
 * dir is the stat of the nearest directory above it that exists), by
 * what the reader sees of the service.
 */
enum whole_verdict whole_judge(const struct whole_sight *sight,
	    const char *path, size_t len, const struct whole_key *b,
	    const struct whole_key *dir, const struct whole_now *now);

/* 1 when a version stamped at ctime_ns is older than the bound. */
int	whole_settled(int64_t ctime_ns, const struct whole_now *now);

#endif
