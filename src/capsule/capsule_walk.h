/*
 * A walk over every directory and file of a capsule, as the checker and
 * the search index see it: dotfiles left out, names sorted, symlinks never
 * followed (they are reported, and their targets are walked where they
 * live).  Shared by check_capsule.c and capsule_service.c.
 */
#ifndef ATTACHE_CAPSULE_WALK_H
#define ATTACHE_CAPSULE_WALK_H

#include <sys/stat.h>

#define CAPSULE_WALK_DEPTH_MAX	64	/* directory nesting */

struct capsule_walker {
	void	*arg;
	/*
	 * A directory about to be read, open at fd, whose path is "/" or
	 * "/a/b/".  Returns 0 to go on, -1 to stop the walk.  NULL: none.
	 */
	int	(*dir)(void *arg, int fd, const char *path);
	/* A regular file: name in the directory open at dirfd.  0 or -1. */
	int	(*file)(void *arg, int dirfd, const char *name,
		    const char *path, const struct stat *st);
	/* A symlink at path.  0 or -1.  NULL: passed over. */
	int	(*symlink)(void *arg, const char *path);
	/*
	 * A directory not walked: err is an errno of listing it, or 0 when
	 * it is nested deeper than CAPSULE_WALK_DEPTH_MAX.  NULL: silent.
	 */
	void	(*problem)(void *arg, const char *path, int err);
};

/*
 * Walks the directory open at dirfd, whose capsule path is dirpath ("/"
 * for the root, else "/a/b/"), and everything beneath it.  Returns 0, or
 * -1 when a callback stopped it.
 */
int	capsule_walk(const struct capsule_walker *w, int dirfd,
	    const char *dirpath);

#endif
