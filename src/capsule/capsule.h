/* The served directory: safe path resolution beneath its root, listings. */
#ifndef ATTACHE_CAPSULE_H
#define ATTACHE_CAPSULE_H

#include <sys/stat.h>
#include <sys/types.h>
#include <stddef.h>

struct capsule {
	int	 rootfd;		/* O_PATH-less directory fd of the root */
};

enum capsule_result {
	CAPSULE_FILE,		/* fd: a regular file */
	CAPSULE_DIR_INDEX,	/* fd: the directory's index.gmi */
	CAPSULE_DIR_LISTING,	/* fd: the directory itself (no index.gmi) */
	CAPSULE_NEED_SLASH,	/* a directory named without its trailing '/' */
	CAPSULE_NOT_FOUND,
	CAPSULE_REFUSED,	/* dotfile or a way out of the root */
	CAPSULE_ERROR		/* the system failed; see why */
};

struct capsule_object {
	int		 fd;	/* -1 unless FILE, DIR_INDEX or DIR_LISTING */
	off_t		 size;
	const char	*why;	/* for the log, when not found/refused/error */
	struct stat	 st;	/* of fd: what a rendering of it depends on */
};

struct capsule_dirent {
	char	*name;
	int	 is_dir;
};

/* Opens the root directory; on failure err says why, naming it. */
int	capsule_open(struct capsule *c, const char *dir, char *err,
	    size_t errlen);
void	capsule_close(struct capsule *c);

/*
 * Resolves an absolute, decoded path without dot segments (as
 * gemini_request_parse makes them) beneath the root.  Symlinks are followed
 * only while they stay beneath it; any segment starting with '.' is refused.
 * The caller owns o->fd.
 */
enum capsule_result capsule_resolve(const struct capsule *c,
	    const char *path, size_t len, struct capsule_object *o);

/*
 * The names in the directory open at dirfd, dotfiles left out, sorted
 * bytewise.  Returns 0 and a malloc'ed array (free with
 * capsule_names_free), or -1 with errno set.
 */
int	capsule_names(int dirfd, char ***names, size_t *n);
void	capsule_names_free(char **names, size_t n);

/*
 * Lists the directory open at dirfd, whose capsule path is dirpath: regular
 * files and directories only, dotfiles and symlinks leading out of the root
 * left out; directories first, then files, each sorted by name.  Returns
 * 0 and a malloc'ed array, or -1.
 */
int	capsule_list(const struct capsule *c, const char *dirpath, int dirfd,
	    struct capsule_dirent **out, size_t *n);
void	capsule_list_free(struct capsule_dirent *ents, size_t n);

/*
 * Reads all of the regular file at fd, at most max bytes; a file that
 * shrinks meanwhile gives what there is.  Returns a malloc'ed buffer (one
 * spare byte at the end) and its length, or NULL with why set.
 */
char	*capsule_read_file(int fd, size_t max, size_t *len, const char **why);

/*
 * Resolves rel beneath rootfd one name at a time, following symlinks as
 * the kernel would (readlinkat): 1 when a name on the way or at the end
 * is hidden (starts with '.'), 0 when none is, -1 when it cannot tell
 * (a loop, an absolute link, a missing name, too long).  What decides when
 * /proc cannot say where an opened file is.
 */
int	capsule_walk_hidden(int rootfd, const char *rel);

/*
 * Opens rel (relative to the root, no leading '/') with flags by the rules
 * of capsule_resolve: nothing that leaves the root, no symlink that ends on
 * a dotfile (ENOLINK).  Returns the fd, or -1 with errno set.
 */
int	capsule_open_beneath(const struct capsule *c, const char *rel,
	    int flags);

/*
 * 1 for the name of a file that is never served nor listed: "gophermap",
 * a directory's hand-written Gopher menu.
 */
int	capsule_name_reserved(const char *name, size_t len);

/*
 * Opens the regular file name of the directory dirpath ("/", "/a/b/")
 * beneath the root, as a request would, reserved names included (the
 * menu of the directory).  Returns the fd, or -1 with errno set.
 */
int	capsule_open_in_dir(const struct capsule *c, const char *dirpath,
	    const char *name);

/*
 * Opens path (absolute, no dot segments) beneath the root following no
 * symlink at all, as the walk of capsule_walk.c sees the capsule.  Returns
 * the fd, or -1 with errno set.
 */
int	capsule_open_plain(const struct capsule *c, const char *path,
	    int flags);

/* 1 when some segment of path starts with '.'. */
int	capsule_path_hidden(const char *path, size_t len);

#endif
