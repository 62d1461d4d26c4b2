/* A walk over every directory and file of a capsule. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capsule.h"
#include "capsule_walk.h"

static int
walk_dir(const struct capsule_walker *w, int dirfd, const char *dirpath,
    int depth)
{
	char path[PATH_MAX], **names;
	struct stat st;
	size_t i, n = 0;
	int fd, r = 0;

	if (depth > CAPSULE_WALK_DEPTH_MAX) {
		if (w->problem != NULL)
			w->problem(w->arg, dirpath, 0);
		return 0;
	}
	if (w->dir != NULL && w->dir(w->arg, dirfd, dirpath) == -1)
		return -1;
	if (capsule_names(dirfd, &names, &n) == -1) {
		if (w->problem != NULL)
			w->problem(w->arg, dirpath, errno);
		return 0;
	}
	for (i = 0; i < n && r == 0; i++) {
		if (snprintf(path, sizeof(path), "%s%s", dirpath, names[i]) >=
		    (int)sizeof(path) - 1 ||
		    fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISLNK(st.st_mode)) {
			if (w->symlink != NULL)
				r = w->symlink(w->arg, path);
		} else if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1)
				continue;
			strcat(path, "/");
			r = walk_dir(w, fd, path, depth + 1);
			close(fd);
		} else if (S_ISREG(st.st_mode))
			r = w->file(w->arg, dirfd, names[i], path, &st);
	}
	capsule_names_free(names, n);
	return r;
}

int
capsule_walk(const struct capsule_walker *w, int dirfd, const char *dirpath)
{
	const char *p;
	int depth = 0;

	/* A walk that starts below the root counts from there. */
	for (p = dirpath; *p != '\0'; p++)
		if (*p == '/' && p[1] != '\0')
			depth++;
	return walk_dir(w, dirfd, dirpath, depth);
}
