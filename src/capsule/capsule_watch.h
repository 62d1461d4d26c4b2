/*
 * The capsule service's watch over its capsule (internal to its thread):
 * an inotify watch on every directory, by its full name under the
 * capsule's real path, and what the events say: which files are being
 * written, removed or whole again (whole_table.h), and which changes are
 * complete, for the index to take again.
 */
#ifndef ATTACHE_CAPSULE_WATCH_H
#define ATTACHE_CAPSULE_WATCH_H

#include <stdatomic.h>
#include <stdint.h>

#include "capsule.h"
#include "whole_table.h"

struct capsule_watch;

/* What the events mean for the index (the indexer's), with arg. */
struct watch_ops {
	void	*arg;
	/* A file changed whole: written and closed, moved in, removed. */
	void	(*file)(void *arg, const char *path);
	/* A directory removed or moved out: what was under it. */
	void	(*dir_gone)(void *arg, const char *path);
	/* Events were lost: the whole capsule is to be read again. */
	void	(*overflow)(void *arg);
};

/*
 * A watch over the capsule cap whose real path is name (NULL: out of
 * memory).  Without inotify (its limit on instances) it watches nothing,
 * and says so in the log once.  A file closed is whole once it has not
 * changed for margin_ns (its events may still be on their way before).
 */
struct capsule_watch *capsule_watch_new(const struct capsule *cap,
	    const char *name, int64_t margin_ns);
void	capsule_watch_free(struct capsule_watch *w);

/* What to poll for its events: -1 when it has none. */
int	capsule_watch_fd(const struct capsule_watch *w);

/*
 * Watches every directory beneath the root, as the walk sees them.
 * 0, or -1 when stop became set meanwhile.
 */
int	capsule_watch_all(struct capsule_watch *w, atomic_int *stop);
/* Watches the directory dir ("/" or "/a/b/"), a directory of the walk. */
void	capsule_watch_dir(struct capsule_watch *w, const char *dir);

/*
 * Reads the events waiting, and tells ops what they mean for the index
 * (ops NULL: nothing).  Then takes the stat of every file closed, so that
 * the table holds the version each whole one is, once it has not changed
 * for the margin.  Returns how many events it read.
 */
int	capsule_watch_read(struct capsule_watch *w, const struct watch_ops *ops);

/* Milliseconds until a file closed may be whole; -1: none is waiting. */
long	capsule_watch_due_ms(const struct capsule_watch *w);

/*
 * The table as readers are to see it, when it changed since the last
 * call (or first: always), else NULL; drops first what no reader needs.
 */
struct whole_view *capsule_watch_view(struct capsule_watch *w);

/* The table, for the indexer's own questions (its thread only). */
const struct whole_table *capsule_watch_table(const struct capsule_watch *w);

/*
 * 1 when some directory could not be watched (the limit on watches, or
 * no inotify at all): files are then checked by their stat alone.
 */
int	capsule_watch_partial(const struct capsule_watch *w);

#endif
