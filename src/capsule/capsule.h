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
	CAPSULE_REFUSED,	/* dotfile, a way out of the root, or a
				 * gophermap: there, but never served */
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
 * Adds name[0..len) (a directory when is_dir) to a listing made by
 * capsule_list, in its order, unless it is there already.  0, or -1 when
 * out of memory (the listing left as it was).
 */
int	capsule_list_add(struct capsule_dirent **ents, size_t *n,
	    const char *name, size_t len, int is_dir);

/*
 * Reads all of the regular file at fd, at most max bytes; a file that
 * shrinks meanwhile gives what there is.  Returns a malloc'ed buffer (one
 * spare byte at the end) and its length, or NULL with why set.
 */
char	*capsule_read_file(int fd, size_t max, size_t *len, const char **why);

/*
 * Reads all of the regular file at fd, whose fstat was st (at most max
 * bytes): 0 with a malloc'ed buffer (one spare byte at the end) of exactly
 * st_size bytes when the file's stat after the read is still st; 1 when
 * it changed during the read; -1 with why set when it cannot be read (too
 * large, out of memory, an error).
 */
int	capsule_read_whole(int fd, const struct stat *st, size_t max,
	    char **out, size_t *len, const char **why);

/*
 * 1 when the file whose stat is st changed less than ns before now, by the
 * clock file times are stamped with.  With ns 0: in its current tick, when
 * a change could leave the times as they are: what is read of it now
 * cannot be told from the next version by its stat.
 */
int	capsule_changed_within(const struct stat *st, long long ns);

/*
 * A read lease on the file open (read-only) at fd: while it is held no
 * one can open the file for writing (the opener waits until it is given
 * back), and no one had it open so when it was taken.  0: held (give it
 * back with capsule_unlease); 1: the file is open for writing; 2: no lease
 * to be had (the file is not the server user's, or its file system has
 * none).  A broken lease sends SIGIO: the process must ignore it.
 */
int	capsule_lease(int fd);
void	capsule_unlease(int fd);

/*
 * The stat of the nearest directory above path (absolute, no dot
 * segments) that exists beneath the root: where a file not found was
 * removed, if it was.  0, or -1.
 */
int	capsule_stat_parent(const struct capsule *c, const char *path,
	    size_t len, struct stat *st);

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
 * menu of the directory), with its stat in st.  Returns the fd, or -1
 * with errno set.
 */
int	capsule_open_in_dir(const struct capsule *c, const char *dirpath,
	    const char *name, struct stat *st);

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
